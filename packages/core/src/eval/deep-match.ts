/**
 * Compares an agent's output with the output expected of it, naming where they differ.
 * `partial`: every key the expectation gives must be there with a matching value; keys it leaves
 * out may hold anything. Lists must have the same length, item by item. `exact`: equal JSON.
 */

/** One place where the actual value differs from the expected one. */
export interface Mismatch {
  /** JSON Pointer of the place, `/summary/regions/0`. */
  path: string;
  expected: unknown;
  actual: unknown;
  /** What is wrong there, in words. */
  message: string;
}

/** Where `actual` differs from `expected` (at most `max` places). */
export function matchOutput(expected: unknown, actual: unknown, mode: 'partial' | 'exact', max = 10): Mismatch[] {
  const found: Mismatch[] = [];
  walk(expected, actual, mode, '', found, max);
  return found;
}

function walk(expected: unknown, actual: unknown, mode: 'partial' | 'exact', path: string, found: Mismatch[], max: number): void {
  if (found.length >= max) return;
  const miss = (message: string): void => {
    found.push({ path: path || '/', expected, actual, message });
  };
  if (isObject(expected)) {
    if (!isObject(actual)) return miss(`expected an object, got ${kind(actual)}`);
    for (const [key, value] of Object.entries(expected)) {
      const at = `${path}/${escapePointer(key)}`;
      if (!Object.hasOwn(actual, key)) {
        found.push({ path: at, expected: value, actual: undefined, message: 'is missing' });
        if (found.length >= max) return;
        continue;
      }
      walk(value, actual[key], mode, at, found, max);
    }
    if (mode === 'exact') {
      for (const key of Object.keys(actual)) {
        if (!Object.hasOwn(expected, key)) {
          found.push({ path: `${path}/${escapePointer(key)}`, expected: undefined, actual: actual[key], message: 'is not expected' });
          if (found.length >= max) return;
        }
      }
    }
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return miss(`expected a list, got ${kind(actual)}`);
    if (actual.length !== expected.length) return miss(`expected ${expected.length} item${expected.length === 1 ? '' : 's'}, got ${actual.length}`);
    expected.forEach((item, i) => walk(item, actual[i], mode, `${path}/${i}`, found, max));
    return;
  }
  if (!Object.is(expected, actual)) miss(`expected ${JSON.stringify(expected)}, got ${preview(actual)}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${preview(value)}`;
}

function preview(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
