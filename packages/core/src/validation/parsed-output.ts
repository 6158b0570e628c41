import { MAX_JSON_DEPTH } from '../core/defaults.ts';

/** What is known of an output Baton parsed from an agent's JSON text. */
interface Parsed {
  /** The agent whose answer it is: only that agent's attempt is spared the copy. */
  producer: object;
  /** An upper bound of the UTF-8 size of its JSON text. */
  bytes: number;
}

/**
 * Outputs Baton parsed itself from the JSON text an agent sent (a module agent's worker thread, a
 * command agent's stdout). Such a value is held by nobody else and is already what JSON gives, so
 * checking it needs no copy: the copy of a 2.6 MB dataset held the orchestrator's thread ~30 ms.
 */
const parsedOutputs = new WeakMap<object, Parsed>();

/**
 * Marks `output`, just parsed from a JSON text of at most `bytes` bytes of UTF-8, as the answer of
 * `producer`, whose attempt may then take it as it is ({@link takeParsedOutput}).
 */
export function markParsedOutput(output: unknown, bytes: number, producer: object): void {
  if (typeof output === 'object' && output !== null) parsedOutputs.set(output, { producer, bytes });
}

/**
 * True when `output` was marked as `producer`'s answer ({@link markParsedOutput}), its text is
 * surely within `limit` bytes and it nests at most {@link MAX_JSON_DEPTH} levels: it is then what
 * JSON gives (a -0 in it is made 0 here, as JSON writes it) and needs no copy. The mark is taken:
 * a value is spared its copy once, by the attempt it answers. Anything else is copied, as before.
 */
export function takeParsedOutput(output: object, limit: number, producer: object | undefined): boolean {
  const parsed = parsedOutputs.get(output);
  if (!parsed) return false;
  parsedOutputs.delete(output);
  return parsed.producer === producer && parsed.bytes <= limit && settled(output);
}

/**
 * Walks a parsed value without recursion: false when it nests deeper than {@link MAX_JSON_DEPTH}
 * levels; every -0 (which `JSON.parse('-0')` gives and JSON never writes) is made 0 on the way.
 */
function settled(root: object): boolean {
  const values: object[] = [root];
  const depths: number[] = [1];
  while (values.length > 0) {
    const value = values.pop()!;
    const depth = depths.pop()!;
    if (depth > MAX_JSON_DEPTH) return false;
    if (Array.isArray(value)) {
      const items = value as unknown[];
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (typeof item === 'object' && item !== null) {
          values.push(item);
          depths.push(depth + 1);
        } else if (item === 0 && Object.is(item, -0)) items[i] = 0;
      }
      continue;
    }
    const record = value as Record<string, unknown>;
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      const item = record[key];
      if (typeof item === 'object' && item !== null) {
        values.push(item);
        depths.push(depth + 1);
      } else if (item === 0 && Object.is(item, -0)) record[key] = 0;
    }
  }
  return true;
}
