/**
 * Calendar arithmetic on ISO dates (`YYYY-MM-DD`, UTC, inclusive ranges). Plain strings keep the
 * periods readable in artifacts and comparable with SQLite's TEXT dates.
 */

export const MONTH_NAMES = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
] as const;

/** `YYYY-MM-DD` of a year, month (1-12) and day. */
export function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Number of days in a month (1-12). */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** First day of a month, with month overflow handled (month 13 = January next year, 0 = December before). */
export function monthStart(year: number, month: number): string {
  const d = new Date(Date.UTC(year, month - 1, 1));
  return isoDate(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** Last day of a month, with month overflow handled like `monthStart`. */
export function monthEnd(year: number, month: number): string {
  const d = new Date(Date.UTC(year, month, 0));
  return isoDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** Year and month (1-12) of an ISO date. */
export function yearMonth(date: string): { year: number; month: number } {
  return { year: Number(date.slice(0, 4)), month: Number(date.slice(5, 7)) };
}

/** Adds whole months to the first or last day of a month range, keeping month boundaries. */
export function shiftMonths(start: string, end: string, months: number): { start: string; end: string } {
  const s = yearMonth(start);
  const e = yearMonth(end);
  return { start: monthStart(s.year, s.month + months), end: monthEnd(e.year, e.month + months) };
}

/** Whole months from `start`'s month to `end`'s month, inclusive. */
export function monthSpan(start: string, end: string): number {
  const s = yearMonth(start);
  const e = yearMonth(end);
  return (e.year - s.year) * 12 + (e.month - s.month) + 1;
}

/** `YYYY-MM` of every month touched by an inclusive range. */
export function monthsOf(start: string, end: string): string[] {
  const s = yearMonth(start);
  const out: string[] = [];
  for (let i = 0; i < monthSpan(start, end); i++) out.push(monthStart(s.year, s.month + i).slice(0, 7));
  return out;
}

/** The day after an ISO date. */
export function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** Short month label, e.g. `Apr 2026`. */
export function monthLabel(ym: string): string {
  const { year, month } = yearMonth(`${ym}-01`);
  return `${(MONTH_NAMES[month - 1] ?? '').slice(0, 3)} ${year}`;
}
