/** Past this depth the copy leaves the value to JSON itself (which reports a cycle as such). */
const MAX_DEPTH = 64;

/** Returned by `copyPlain` for a value it leaves to JSON's own rules. */
const NOT_PLAIN = Symbol('not plain');

/**
 * What `JSON.parse(JSON.stringify(value))` gives, without writing and reading the text in
 * between. Plain data (strings, numbers, booleans, null, arrays and objects whose prototype is
 * Object.prototype or null) is copied directly, following JSON's rules: non-finite numbers become
 * null, -0 becomes 0, undefined, functions and symbols are left out of objects and become null in
 * arrays. Anything else (a toJSON method, a Date, a Map, a class instance, a BigInt, a cycle, a
 * `__proto__` key) goes through JSON itself, so its result and its errors are exactly JSON's.
 */
export function jsonCopy(value: unknown): unknown {
  const copy = copyPlain(value, 0);
  if (copy !== NOT_PLAIN) return copy;
  // A toJSON may give undefined, which JSON.stringify writes as no text at all.
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? undefined : JSON.parse(text);
}

/** The copy, `undefined` for what JSON leaves out, or NOT_PLAIN. */
function copyPlain(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value + 0 : null;
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      return NOT_PLAIN;
    case 'object':
      break;
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function') return NOT_PLAIN;
  if (Array.isArray(value)) {
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
  const out: Record<string, unknown> = {};
  // for-in walks own keys in the order JSON does without allocating their list (inherited ones are skipped).
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key === '__proto__') return NOT_PLAIN;
    const item = copyPlain((value as Record<string, unknown>)[key], depth + 1);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    if (item !== undefined) out[key] = item;
  }
  return out;
}
