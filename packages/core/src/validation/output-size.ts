import { MAX_JSON_DEPTH } from '../core/defaults.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import { jsonCopyWithin } from './json-copy.ts';
import { isStackOverflow, nestsDeeperThan } from './json-depth.ts';
import { takeParsedOutput } from './parsed-output.ts';

/** `16777216 bytes (16 MiB)`: a byte count a reader can take in. */
export function describeBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = '';
  for (const u of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  return unit === '' ? `${bytes} bytes` : `${bytes} bytes (${Number.isInteger(value) ? value : value.toFixed(1)} ${unit})`;
}

/**
 * The error of an output over `policy.maxOutputBytes`: the attempt is `invalid`, and the message
 * says the size, the limit and the policy key to raise it.
 */
export function outputTooLarge(what: string, limit: number): BatonError {
  return new BatonError('OUTPUT_INVALID', `${what}: the output limit is ${describeBytes(limit)} (policy.maxOutputBytes in the manifest)`);
}

/** The items of an array still to count, taken one at a time (pushing them all could pass V8's largest array). */
class ArrayItems {
  next = 0;
  constructor(
    readonly items: readonly unknown[],
    /** Read once, as JSON.stringify reads it. */
    readonly length: number,
  ) {}
}

const DATE_TO_JSON = Date.prototype.toJSON;
const DATE_VALUE_OF = Date.prototype.valueOf;
const DATE_METHODS = [Date.prototype.toISOString, DATE_VALUE_OF, Date.prototype[Symbol.toPrimitive]] as const;
const typedArrayLength = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype) as object, 'length')!.get!;

/** A Date whose JSON is what Date.prototype.toJSON makes of it: nothing of its own, and Date's methods as they were. */
function isPlainDate(v: object): v is Date {
  if (Object.getPrototypeOf(v) !== Date.prototype || Reflect.ownKeys(v).length > 0 || Date.prototype.toJSON !== DATE_TO_JSON) return false;
  const now = [Date.prototype.toISOString, Date.prototype.valueOf, Date.prototype[Symbol.toPrimitive]];
  return now.every((m, i) => m === DATE_METHODS[i]);
}

/**
 * A lower bound of the UTF-8 size of `JSON.stringify(value)`, counted only until it passes
 * `limit`: an output far over the limit is rejected without making its JSON copy (which, for a
 * code agent, would hold the event loop). Plain objects, arrays and primitives are counted, and
 * the values whose JSON is known from their kind: typed arrays and Dates; another value
 * with a toJSON, a Map or a boxed value may turn into less in JSON, but an array item is at least
 * one byte (`null` for what JSON cannot hold); every UTF-16 unit of a string is at least one byte
 * of UTF-8.
 */
export function jsonSizeAtLeast(value: unknown, limit: number): number {
  let size = 0;
  const stack: unknown[] = [value];
  const seen = new Set<object>();
  while (stack.length > 0 && size <= limit) {
    let v = stack.pop();
    let inArray = false;
    if (v instanceof ArrayItems) {
      if (v.next >= v.length) continue;
      inArray = true;
      stack.push(v);
      v = v.items[v.next++];
    }
    const own = ownSizeAtLeast(v, seen, stack);
    size += inArray && own === 0 ? 1 : own;
  }
  return size;
}

/** Whether an object member with this value is written (with its key): a toJSON may give undefined, which leaves it out. */
function isWritten(item: unknown): boolean {
  if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') return true;
  if (typeof item !== 'object' || item === null) return false;
  const toJSON = (item as { toJSON?: unknown }).toJSON;
  return typeof toJSON !== 'function' || (toJSON === DATE_TO_JSON && isPlainDate(item));
}

/** What `v` adds by itself (its members are pushed on `stack` to be counted). */
function ownSizeAtLeast(v: unknown, seen: Set<object>, stack: unknown[]): number {
  if (typeof v === 'string') return v.length + 2;
  if (typeof v === 'number') return 1;
  if (typeof v === 'boolean' || v === null) return 4;
  if (typeof v !== 'object' || v === undefined || seen.has(v)) return 0;
  seen.add(v);
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  // "2026-12-04T15:00:00.000Z" (26 bytes or more), or null for an invalid date.
  if (toJSON === DATE_TO_JSON && isPlainDate(v)) return Number.isNaN(DATE_VALUE_OF.call(v)) ? 4 : 26;
  // Whatever it gives (an array's too) may be shorter.
  if (typeof toJSON === 'function') return 0;
  if (Array.isArray(v)) {
    const length = v.length;
    stack.push(new ArrayItems(v, length));
    return 1 + length; // brackets and commas
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    // Its own length, which a property of the same name cannot hide.
    const n = typedArrayLength.call(v) as number;
    return n === 0 ? 2 : 1 + 6 * n; // {"0":1,"1":2}
  }
  if (Object.prototype.toString.call(v) !== '[object Object]') return 0;
  let own = 2;
  for (const [key, item] of Object.entries(v)) {
    if (isWritten(item)) own += key.length + 3;
    stack.push(item);
  }
  return own;
}

/**
 * An agent's output as JSON text, checked where it is made (a worker thread, a worker process)
 * before it is sent anywhere: a value JSON cannot hold, or a text over `maxOutputBytes`, is an
 * `OUTPUT_INVALID` error with the same message the validator would give. Undefined stays undefined.
 */
export function outputAsJson(output: unknown, maxOutputBytes: number | undefined): string | undefined {
  if (maxOutputBytes !== undefined) {
    let atLeast = 0;
    try {
      atLeast = jsonSizeAtLeast(output, maxOutputBytes);
    } catch {
      // A getter that throws: JSON.stringify below says so.
    }
    if (atLeast > maxOutputBytes) throw outputTooLarge(`the output is at least ${describeBytes(atLeast)} as JSON`, maxOutputBytes);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(output) as string | undefined;
  } catch (e) {
    // JSON.stringify overflows the stack past a few thousand levels on Node 20 and 24: the same refusal as on Node 26.
    if (isStackOverflow(e)) throw tooDeep();
    throw new BatonError('OUTPUT_INVALID', `output is not JSON-serialisable: ${errorMessage(e, 'its toJSON')}`);
  }
  // A UTF-8 byte is at least one UTF-16 unit and at most three: most texts need no count.
  if (json !== undefined && maxOutputBytes !== undefined && json.length * 3 > maxOutputBytes) {
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > maxOutputBytes) throw outputTooLarge(`the output is ${describeBytes(bytes)} as JSON`, maxOutputBytes);
  }
  return json;
}

/**
 * An upper bound of the UTF-8 size of `JSON.stringify(value)` for plain data (every UTF-16 unit of
 * a string is at most six bytes, as `\uXXXX`), or Infinity once it passes `limit` or meets what it
 * cannot bound: a toJSON, a class instance, a BigInt, data deeper than 64 levels (a cycle). The
 * very count {@link outputCopy} makes while it copies.
 */
export function jsonSizeAtMost(value: unknown, limit: number): number {
  return jsonCopyWithin(value, limit)?.bytes ?? Infinity;
}

/**
 * What `JSON.parse(JSON.stringify(output))` gives, refused as `OUTPUT_INVALID` when JSON cannot
 * hold it, its JSON is over `maxOutputBytes`, or it nests deeper than {@link MAX_JSON_DEPTH}
 * levels. Plain data surely under the limit is copied directly (no JSON text is made: it is at
 * most 64 levels deep); only an output near or over the limit, deeper than that or not plain data
 * is measured exactly. An answer that Baton parsed from its JSON text, for `producer` (the `run`
 * the attempt called), is taken as it is (see {@link takeParsedOutput}).
 */
export function outputCopy(output: unknown, maxOutputBytes: number | undefined, producer?: object): unknown {
  // An answer Baton parsed itself from its agent's JSON text is already such a copy (see parsed-output.ts).
  if (typeof output === 'object' && output !== null && takeParsedOutput(output, maxOutputBytes ?? Infinity, producer)) return output;
  let within: { copy: unknown } | undefined;
  try {
    within = jsonCopyWithin(output, maxOutputBytes ?? Infinity);
  } catch {
    // A getter that throws: the exact path below says so.
  }
  if (within) return within.copy;
  const json = outputAsJson(output, maxOutputBytes);
  if (json === undefined) return undefined;
  const copy: unknown = JSON.parse(json);
  if (nestsDeeperThan(copy, MAX_JSON_DEPTH)) throw tooDeep();
  return copy;
}

function tooDeep(): BatonError {
  return new BatonError('OUTPUT_INVALID', `the output nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep, past what Baton takes (JSON writers overflow their stack on such data)`);
}
