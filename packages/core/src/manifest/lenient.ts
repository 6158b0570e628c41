/** Lenient readers for a manifest that may be malformed: what does not fit reads as empty. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** A string of a list, with its index in the list (for the problem's path). */
export interface Entry {
  value: string;
  index: number;
}

/** The strings of a list; other items and non-lists are skipped. */
export function stringEntries(value: unknown): Entry[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, index) => (typeof item === 'string' ? [{ value: item, index }] : []));
}
