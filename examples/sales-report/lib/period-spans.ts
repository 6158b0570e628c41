/**
 * Concrete periods for the goal parser (`period.ts`): turns "Q2", "H1 2026", "last quarter"... into
 * inclusive date spans against the data's coverage, and names them the way people say them.
 */
import { MONTH_NAMES, monthEnd, monthSpan, monthStart, yearMonth } from './calendar.ts';
import type { Coverage, PeriodKind } from './period.ts';

/** A period found in a goal. */
export interface Span {
  kind: PeriodKind;
  start: string;
  end: string;
  /** False when the period fell back to the latest occurrence because the goal gave no year. */
  explicitYear: boolean;
  text: string;
  /** A year reported to date has no meaningful "previous period": only the year-ago one. */
  noPrevious?: boolean;
}

/** Label of a period: `Q2 2026`, `H1 2026`, `March 2026`, `2025` or `Jan–Sep 2026`. */
export function labelOf(span: Pick<Span, 'kind' | 'start' | 'end'>): string {
  const s = yearMonth(span.start);
  const e = yearMonth(span.end);
  const short = (m: number): string => (MONTH_NAMES[m - 1] ?? '').slice(0, 3);
  const whole = span.start === monthStart(s.year, s.month) && span.end === monthEnd(e.year, e.month);
  if (whole && span.kind === 'quarter' && (s.month - 1) % 3 === 0 && monthSpan(span.start, span.end) === 3) return `Q${(s.month + 2) / 3} ${s.year}`;
  if (whole && span.kind === 'half' && (s.month === 1 || s.month === 7) && monthSpan(span.start, span.end) === 6) return `H${s.month === 1 ? 1 : 2} ${s.year}`;
  if (whole && span.kind === 'month' && monthSpan(span.start, span.end) === 1) return `${MONTH_NAMES[s.month - 1] ?? ''} ${s.year}`;
  if (whole && span.kind === 'year' && s.month === 1 && monthSpan(span.start, span.end) === 12) return String(s.year);
  if (!whole) return `${span.start} – ${span.end}`;
  if (s.year === e.year) return s.month === e.month ? `${MONTH_NAMES[s.month - 1] ?? ''} ${s.year}` : `${short(s.month)}–${short(e.month)} ${s.year}`;
  return `${short(s.month)} ${s.year} – ${short(e.month)} ${e.year}`;
}

/** Turns mentions into concrete spans against the coverage. */
export class Resolver {
  constructor(
    private readonly coverage: Coverage,
    private readonly notes: string[],
  ) {}

  quarter(q: number, y: number | undefined, text: string): Span {
    const build = (yy: number): Span => ({ kind: 'quarter', start: monthStart(yy, q * 3 - 2), end: monthEnd(yy, q * 3), explicitYear: y !== undefined, text });
    return y === undefined ? this.latest(build, `Q${q}`) : build(y);
  }

  half(h: number, y: number | undefined, text: string): Span {
    const build = (yy: number): Span => ({ kind: 'half', start: monthStart(yy, h * 6 - 5), end: monthEnd(yy, h * 6), explicitYear: y !== undefined, text });
    return y === undefined ? this.latest(build, `H${h}`) : build(y);
  }

  month(m: number, y: number | undefined, text: string): Span {
    const build = (yy: number): Span => ({ kind: 'month', start: monthStart(yy, m), end: monthEnd(yy, m), explicitYear: y !== undefined, text });
    return y === undefined ? this.latest(build, MONTH_NAMES[m - 1] ?? 'that month') : build(y);
  }

  monthRange(m1: number, y1: number | undefined, m2: number, y2: number | undefined, text: string): Span {
    const endYear = y2 ?? y1;
    const build = (yy: number): Span => {
      const startYear = y1 ?? (m1 <= m2 ? yy : yy - 1);
      return { kind: 'range', start: monthStart(startYear, m1), end: monthEnd(yy, m2), explicitYear: endYear !== undefined, text };
    };
    return endYear === undefined ? this.latest(build, 'that range of months') : build(endYear);
  }

  year(y: number, text: string): Span {
    return this.clipToData({ kind: 'year', start: monthStart(y, 1), end: monthEnd(y, 12), explicitYear: true, text }, `${y}`);
  }

  yearToDate(y: number | undefined, text: string): Span {
    const end = yearMonth(this.coverage.end);
    const yy = y ?? end.year;
    return this.clipToData({ kind: 'year', start: monthStart(yy, 1), end: monthEnd(yy, 12), explicitYear: y !== undefined, text }, `${yy}`);
  }

  trailingMonths(n: number, text: string): Span {
    const last = this.latestCompleteMonth();
    const { year: y, month: m } = yearMonth(last);
    return { kind: 'range', start: monthStart(y, m - n + 1), end: monthEnd(y, m), explicitYear: true, text };
  }

  relative(which: string, unit: string, text: string): Span {
    const thisOne = which === 'this' || which === 'current';
    const end = yearMonth(this.coverage.end);
    if (unit === 'month') {
      if (thisOne) return this.clipToData({ kind: 'month', start: monthStart(end.year, end.month), end: monthEnd(end.year, end.month), explicitYear: true, text }, 'this month');
      const last = yearMonth(this.latestCompleteMonth());
      return { kind: 'month', start: monthStart(last.year, last.month), end: monthEnd(last.year, last.month), explicitYear: true, text };
    }
    const size = unit === 'quarter' ? 3 : unit === 'year' ? 12 : 6;
    const kind: PeriodKind = unit === 'quarter' ? 'quarter' : unit === 'year' ? 'year' : 'half';
    const blockStart = (ym: { year: number; month: number }): number => Math.floor((ym.month - 1) / size) * size + 1;
    if (thisOne) {
      const s = blockStart(end);
      return this.clipToData({ kind, start: monthStart(end.year, s), end: monthEnd(end.year, s + size - 1), explicitYear: true, text }, `this ${unit}`);
    }
    // "last quarter": the latest one the data covers completely, counted from the latest date in the data.
    let s = blockStart(end);
    let y = end.year;
    if (monthEnd(y, s + size - 1) > this.coverage.end) {
      s -= size;
      if (s < 1) {
        s += 12;
        y -= 1;
      }
    }
    return { kind, start: monthStart(y, s), end: monthEnd(y, s + size - 1), explicitYear: true, text };
  }

  latestCompleteQuarter(text: string): Span {
    return this.relative('last', 'quarter', text);
  }

  /** The latest occurrence the data covers completely (else the latest it touches). */
  private latest(build: (year: number) => Span, name: string): Span {
    const endYear = yearMonth(this.coverage.end).year;
    const startYear = yearMonth(this.coverage.start).year;
    for (let y = endYear; y >= startYear; y--) {
      const span = build(y);
      if (span.end <= this.coverage.end && span.start >= this.coverage.start) {
        this.notes.push(`The goal gave no year for ${name}; used the latest complete one in the data, ${labelOf(span)}.`);
        return span;
      }
    }
    const span = build(endYear);
    this.notes.push(`The goal gave no year for ${name}; used ${labelOf(span)}.`);
    return span;
  }

  private latestCompleteMonth(): string {
    const end = yearMonth(this.coverage.end);
    const last = monthEnd(end.year, end.month) <= this.coverage.end ? end : yearMonth(monthStart(end.year, end.month - 1));
    return monthStart(last.year, last.month);
  }

  /** A period the data ends inside becomes "to date", ending at the data's last complete month. */
  private clipToData(span: Span, name: string): Span {
    if (span.start > this.coverage.end || span.end <= this.coverage.end) return span;
    const last = yearMonth(this.latestCompleteMonth());
    const end = monthEnd(last.year, last.month);
    if (end < span.start) return span;
    const clipped: Span = { ...span, kind: 'range', end, noPrevious: span.kind === 'year' };
    this.notes.push(`The data ends on ${this.coverage.end}, so ${name} is reported to date: ${labelOf(clipped)}.`);
    return clipped;
  }
}

