/**
 * How numbers are written in the report and the summary. One place, so the summary's evidence can
 * be checked: formatting a metric's value must give back the exact text quoted.
 */
import type { NumberFormat } from './artifacts.ts';

const thousands = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `$14.2M`, `$871K`, `$2,126`. */
export function usd(n: number): string {
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  if (a >= 1e9) return `${sign}$${(a / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${sign}$${(a / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${sign}$${Math.round(a / 1e3)}K`;
  return `${sign}$${thousands.format(a)}`;
}

/** A ratio or change as a percentage with one decimal: `22.8%`. */
export function percent(n: number): string {
  return `${(n * 100).toFixed(1)}%`;
}

/** A difference of two ratios in percentage points: `0.5 pts`. */
export function points(n: number): string {
  return `${(n * 100).toFixed(1)} pts`;
}

export function count(n: number): string {
  return thousands.format(n);
}

/** Signed change for tables: `+22.8%`, `-13.3%`. */
export function signedPercent(n: number): string {
  return `${n >= 0 ? '+' : '-'}${percent(Math.abs(n))}`;
}

export function signedPoints(n: number): string {
  return `${n >= 0 ? '+' : '-'}${points(Math.abs(n))}`;
}

/** Writes a value the way the summary quotes it (sizes without sign: the words say up or down). */
export function formatNumber(value: number, format: NumberFormat): string {
  switch (format) {
    case 'usd':
      return usd(Math.abs(value));
    case 'percent':
      return percent(Math.abs(value));
    case 'points':
      return points(Math.abs(value));
    case 'count':
      return count(Math.abs(value));
  }
}
