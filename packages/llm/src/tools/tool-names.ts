/**
 * The names a model is given for an agent's tools. OpenAI refuses a whole request whose tool names
 * do not match `^[a-zA-Z0-9_-]{1,64}$` (Anthropic allows 128 of the same characters), and MCP
 * servers name tools `github.create_issue`, `fs/read` or longer than that.
 */
import { createHash } from 'node:crypto';

/** Longest tool name every provider accepts (OpenAI's limit). */
export const MAX_TOOL_NAME_CHARS = 64;

const CALLABLE = /^[A-Za-z0-9_-]{1,64}$/;
const HASH_CHARS = 8;

/** Whether every provider accepts `name` as a tool's name as it is. */
export function isCallableName(name: string): boolean {
  return CALLABLE.test(name);
}

/** `name` with each character a model cannot be given (outside `[A-Za-z0-9_-]`) replaced by `_`. */
export function cleanedToolName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_') || 'tool';
}

/**
 * A callable name for each of `originals` (distinct names), in a map from the original. A callable
 * name stays as it is. Another has each character outside `[A-Za-z0-9_-]` replaced by `_`, and one
 * longer than 64 characters is cut, ending in `_` and 8 hex digits of the SHA-256 of the original;
 * so does one that would be another tool's name (`a.b` beside `a_b`). The names depend on the set
 * only, not on its order: callable names are placed first, the others in sorted order.
 */
export function callableNames(originals: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const name of originals) {
    if (!isCallableName(name)) continue;
    names.set(name, name);
    taken.add(name);
  }
  const renamed = originals.filter((name) => !isCallableName(name)).sort();
  for (const original of renamed) {
    const replaced = cleanedToolName(original);
    const seed = (n: number): string => (n === 0 ? original : `${original}\n${n}`);
    let name = replaced.length > MAX_TOOL_NAME_CHARS ? suffixed(replaced, seed(0)) : replaced;
    // A hash that meets a name already taken (one chance in 4 billion) is hashed again.
    for (let n = name === replaced ? 0 : 1; taken.has(name); n++) name = suffixed(replaced, seed(n));
    names.set(original, name);
    taken.add(name);
  }
  return names;
}

/** `base`, cut to leave room, then `_` and a short hash of `seed`: at most 64 characters. */
function suffixed(base: string, seed: string): string {
  const hash = createHash('sha256').update(seed).digest('hex').slice(0, HASH_CHARS);
  return `${base.slice(0, MAX_TOOL_NAME_CHARS - HASH_CHARS - 1)}_${hash}`;
}
