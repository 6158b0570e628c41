import { MAX_JSON_DEPTH } from '../core/defaults.ts';

/** What is known of an output Baton parsed from an agent's JSON text. */
interface Parsed {
  /** The `run` of Baton's own that answered it: only an attempt calling that very function is spared the copy. */
  producer: object;
  /** An upper bound of the UTF-8 size of its JSON, as JSON.stringify would write it. */
  bytes: number;
}

/**
 * Outputs Baton parsed itself from the JSON text an agent sent (a module agent's worker thread, a
 * command agent's stdout). Such a value is held by nobody else and is already what JSON gives, so
 * checking it needs no copy: the copy of a 2.6 MB dataset held the orchestrator's thread ~30 ms.
 */
const parsedOutputs = new WeakMap<object, Parsed>();

/**
 * Marks `output`, just parsed from an agent's JSON text by `producer` (the `run` function of a
 * Baton agent, which answers it), whose JSON as `JSON.stringify` writes it takes at most `bytes`
 * bytes of UTF-8: an attempt that called `producer` may take it as it is ({@link takeParsedOutput}).
 * A wrapper with a `run` of its own, which could keep the answer, is another function.
 */
export function markParsedOutput(output: unknown, bytes: number, producer: object): void {
  if (typeof output === 'object' && output !== null) parsedOutputs.set(output, { producer, bytes });
}

/**
 * True when `output` was marked as the answer of `producer` ({@link markParsedOutput}), its JSON
 * surely within `limit` bytes and it nests at most {@link MAX_JSON_DEPTH} levels: it is then what
 * JSON gives, once the walk here has made each -0 a 0 and each non-finite number null (`1e400`
 * parses to Infinity, which JSON writes as null), and needs no copy. The mark is taken: a value is
 * spared its copy once, by the attempt it answers. Anything else is copied, as before.
 */
export function takeParsedOutput(output: object, limit: number, producer: object | undefined): boolean {
  const parsed = parsedOutputs.get(output);
  if (!parsed) return false;
  parsedOutputs.delete(output);
  return parsed.producer === producer && parsed.bytes <= limit && settled(output);
}

/** What JSON makes of a number: -0 is written 0, a non-finite number null. */
function jsonNumber(n: number): number | null {
  return Number.isFinite(n) ? n + 0 : null;
}

/**
 * Walks a parsed value without recursion: false when it nests deeper than {@link MAX_JSON_DEPTH}
 * levels; numbers JSON would write otherwise (-0, ±Infinity) are made what it writes on the way.
 */
function settled(root: object): boolean {
  const values: object[] = [root];
  const depths: number[] = [1];
  let depth = 1;
  /** What JSON writes for an item of the value at `depth`: an array or object is walked later, a level down. */
  const written = (item: unknown): unknown => {
    if (typeof item === 'object' && item !== null) {
      values.push(item);
      depths.push(depth + 1);
      return item;
    }
    return typeof item === 'number' && (item === 0 || !Number.isFinite(item)) ? jsonNumber(item) : item;
  };
  while (values.length > 0) {
    const value = values.pop()!;
    depth = depths.pop()!;
    if (depth > MAX_JSON_DEPTH) return false;
    if (Array.isArray(value)) {
      const items = value as unknown[];
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        const json = written(item);
        if (!Object.is(json, item)) items[i] = json;
      }
      continue;
    }
    const record = value as Record<string, unknown>;
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      const item = record[key];
      const json = written(item);
      if (!Object.is(json, item)) record[key] = json;
    }
  }
  return true;
}
