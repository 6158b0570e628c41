/** Past this depth the copy leaves the value to JSON itself (which reports a cycle as such). */
const MAX_DEPTH = 64;

/** Returned by `copyPlain` for a value it leaves to JSON's own rules, or once past its bound. */
const NOT_PLAIN = Symbol('not plain');

/**
 * The longest JSON text of a finite number: 17 significant digits after `-0.00000` (numbers in
 * [1e-6, 1e-5) are written without an exponent), e.g. `-0.0000010889470780382062`, 25 bytes;
 * `-1.7976931348623157e+308` is 24.
 */
const MAX_NUMBER_BYTES = 25;

/**
 * An upper bound of the UTF-8 size of the JSON of what `copyPlain` has copied so far (every UTF-16
 * unit of a string is at most six bytes, as `\uXXXX`), and the bound it may not pass. Module state,
 * not arguments: the copy runs on every agent output, and counting as it copies spares a second
 * walk. Saved and restored around each copy, since a getter may start another.
 */
let boundBytes = 0;
let boundLimit = Infinity;

/**
 * What `JSON.parse(JSON.stringify(value))` gives, without writing and reading the text in
 * between. Plain data (strings, numbers, booleans, null, arrays and objects whose prototype is
 * Object.prototype or null) is copied directly, following JSON's rules: non-finite numbers become
 * null, -0 becomes 0, undefined, functions and symbols are left out of objects and become null in
 * arrays. Anything else (a toJSON method, a Date, a Map, a class instance, a BigInt, a cycle, a
 * `__proto__` key) goes through JSON itself, so its result and its errors are exactly JSON's.
 */
export function jsonCopy(value: unknown): unknown {
  const within = jsonCopyWithin(value, Infinity);
  if (within) return within.copy;
  // A toJSON may give undefined, which JSON.stringify writes as no text at all.
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? undefined : JSON.parse(text);
}

/**
 * A copy of a value that is already JSON data (an artifact, run parameters): what JSON would
 * give, made directly. A string, number, boolean or null is its own copy.
 */
export function dataCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  const copy = unboundedCopy(value);
  return (copy === NOT_PLAIN ? JSON.parse(JSON.stringify(value)) : copy) as T;
}

/**
 * A copy of a run's result (or part of one) that the caller may change: made directly when it is
 * plain data, as {@link dataCopy} makes it (what a journal reads back), several times faster than
 * `structuredClone` for a large run. A result can still hold what a custom planner put in its plan
 * (a BigInt, a Date, a cycle: the memory journal keeps the plan as it was given), which JSON would
 * refuse or change: such a value is copied by `structuredClone`, as it was before.
 */
export function resultCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  const copy = unboundedCopy(value);
  return (copy === NOT_PLAIN ? structuredClone(value) : copy) as T;
}

/** copyPlain itself, not jsonCopyWithin: a copy with no record of its size (one per input of every attempt). */
function unboundedCopy(value: object): unknown {
  const saved = boundBytes;
  const savedLimit = boundLimit;
  boundLimit = Infinity;
  try {
    return copyPlain(value, 0);
  } finally {
    boundBytes = saved;
    boundLimit = savedLimit;
  }
}

/**
 * `{ copy, bytes }` when `value` is plain data (see {@link jsonCopy}) whose JSON surely takes at
 * most `limit` bytes of UTF-8: `bytes` is an upper bound of that size, counted while copying.
 * Otherwise (past the limit, or what it cannot bound: a toJSON, a class instance, a BigInt, data
 * deeper than 64 levels, a cycle) `undefined`, and the caller measures the JSON text exactly.
 * Throws what a getter of `value` throws.
 */
export function jsonCopyWithin(value: unknown, limit: number): { copy: unknown; bytes: number } | undefined {
  const saved = boundBytes;
  const savedLimit = boundLimit;
  boundBytes = 0;
  boundLimit = limit;
  try {
    const copy = copyPlain(value, 0);
    return copy === NOT_PLAIN || boundBytes > limit ? undefined : { copy, bytes: boundBytes };
  } finally {
    boundBytes = saved;
    boundLimit = savedLimit;
  }
}

/** The copy, `undefined` for what JSON leaves out, or NOT_PLAIN (also once past the bound). */
function copyPlain(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
      boundBytes += value.length * 6 + 2;
      return boundBytes > boundLimit ? NOT_PLAIN : value;
    case 'boolean':
      boundBytes += 5;
      return value;
    case 'number':
      boundBytes += MAX_NUMBER_BYTES;
      return Number.isFinite(value) ? value + 0 : null;
    case 'undefined':
    case 'function':
    case 'symbol':
      boundBytes += 5;
      return undefined;
    case 'bigint':
      return NOT_PLAIN;
    case 'object':
      break;
  }
  if (value === null) {
    boundBytes += 5;
    return null;
  }
  if (depth >= MAX_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function') return NOT_PLAIN;
  if (Array.isArray(value)) {
    boundBytes += 2 + value.length;
    if (boundBytes > boundLimit) return NOT_PLAIN;
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = copyPlain(value[i], depth + 1);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      out[i] = item === undefined ? null : item;
    }
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  boundBytes += 2;
  const out: Record<string, unknown> = {};
  // for-in walks own keys in the order JSON does without allocating their list (inherited ones are skipped).
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key === '__proto__') return NOT_PLAIN;
    boundBytes += key.length * 6 + 4;
    if (boundBytes > boundLimit) return NOT_PLAIN;
    const item = copyPlain((value as Record<string, unknown>)[key], depth + 1);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    if (item !== undefined) out[key] = item;
  }
  return out;
}
