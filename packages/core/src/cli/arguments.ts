import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { InvalidArgumentError } from 'commander';
import type { RunStatus } from '../core/types.ts';

// commander's error is required when one is thrown: the packages that import the core's internal
// entry for parseDuration need no more of commander. The ESM entry re-exports these very classes.
const requireCjs = createRequire(import.meta.url);

/** An InvalidArgumentError (commander reports it, and the command exits 64). */
function invalidArgument(message: string): InvalidArgumentError {
  const { InvalidArgumentError: Invalid } = requireCjs('commander') as { InvalidArgumentError: typeof InvalidArgumentError };
  return new Invalid(message);
}

/** The statuses `runs list --status` accepts. */
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'awaiting-approval', 'succeeded', 'partial', 'failed', 'cancelled'];

/** The version of the installed `batonjs` package (src/cli and dist/cli are both two folders below it). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

/** A goal: some words, not blank. */
export function parseGoal(value: string): string {
  if (value.trim() === '') throw invalidArgument('the goal is empty: say what you want in plain language, e.g. "Q2 sales report by region"');
  return value;
}

/** A whole number from `min` to `max`, written in digits, for options such as `--limit`. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const digits = value.trim();
    const n = Number(digits);
    // Digits only: Number() also reads 1e3, 0x10 and 1_000 as numbers nobody meant to type here.
    if (!/^\d+$/.test(digits) || n < min) throw invalidArgument(`expected a whole number >= ${min}, e.g. ${min === 0 ? 0 : min * 20}`);
    if (n > max) throw invalidArgument(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

/** The longest duration: 100,000,000 days, the span a Date holds on each side of 1970 (a cutoff older than that is no date). */
const MAX_DURATION_DAYS = 100_000_000;

/**
 * A duration such as `7d`, `12h` or `30m` (days, hours, minutes) in milliseconds, at most
 * 100000000d. Throws an InvalidArgumentError naming the expected form, so commander reports it
 * and exits 64.
 */
export function parseDuration(value: string): number {
  const m = /^(\d+)\s*([dhm])$/i.exec(value.trim());
  const amount = m ? Number(m[1]) : NaN;
  const ms = m ? amount * UNIT_MS[m[2]!.toLowerCase() as keyof typeof UNIT_MS] : NaN;
  if (!(amount > 0) || !(ms <= MAX_DURATION_DAYS * UNIT_MS.d)) {
    throw invalidArgument(`expected a duration such as 7d, 12h or 30m (a whole number of days, hours or minutes, > 0 and at most ${MAX_DURATION_DAYS}d)`);
  }
  return ms;
}

/** `--param KEY=VALUE` (repeatable): collects the pairs in the order given. */
export function collectParam(pair: string, previous: string[] = []): string[] {
  return [...previous, pair];
}
