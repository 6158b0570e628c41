/** Marks the end of an object's keys in a shape, so `{a}` then `{a, b}` differ. */
const END = Symbol('end of object');

/** Past this depth a value is not remembered: it is checked again every time. */
const MAX_DEPTH = 32;

/**
 * Every object, key and value of a value written by a person (a plan given with each run, a
 * manifest's workflow), flattened in the order they are walked. `matches` tells in one pass,
 * allocating nothing, whether the same value was changed in place since, so that such a plan is
 * checked once and checked again only when something in it changed (a fixed instruction, an added
 * task). What cannot be walked (deeper than 32 levels, a getter that throws) has no shape and is
 * checked every time.
 */
export class DataShape {
  private constructor(private readonly parts: readonly unknown[]) {}

  /** The shape of `value` as it is now, or undefined when it cannot be taken. */
  static of(value: unknown): DataShape | undefined {
    const parts: unknown[] = [];
    try {
      return flatten(value, parts, 0) ? new DataShape(parts) : undefined;
    } catch {
      return undefined;
    }
  }

  /** True when `value` holds exactly what it held when this shape was taken. */
  matches(value: unknown): boolean {
    try {
      return compare(value, this.parts, 0, 0) === this.parts.length;
    } catch {
      return false;
    }
  }
}

function flatten(value: unknown, parts: unknown[], depth: number): boolean {
  parts.push(value);
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    parts.push(value.length);
    for (let i = 0; i < value.length; i++) if (!flatten(value[i], parts, depth + 1)) return false;
    return true;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    parts.push(key);
    if (!flatten((value as Record<string, unknown>)[key], parts, depth + 1)) return false;
  }
  parts.push(END);
  return true;
}

/** The index after `value` in `parts` when it matches from `at`, else -1. */
function compare(value: unknown, parts: readonly unknown[], at: number, depth: number): number {
  if (parts[at] !== value) return -1;
  let i = at + 1;
  if (typeof value !== 'object' || value === null) return i;
  if (depth >= MAX_DEPTH) return -1;
  if (Array.isArray(value)) {
    if (parts[i++] !== value.length) return -1;
    for (let k = 0; k < value.length && i >= 0; k++) i = compare(value[k], parts, i, depth + 1);
    return i;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (parts[i++] !== key) return -1;
    i = compare((value as Record<string, unknown>)[key], parts, i, depth + 1);
    if (i < 0) return -1;
  }
  return parts[i] === END ? i + 1 : -1;
}
