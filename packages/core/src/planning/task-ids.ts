/** The verb used when an agent's description does not start with one. */
export const FALLBACK_VERB = 'make';

/** Leading words that are not verbs: descriptions such as "The agent that..." or "A tool for...". */
const NOT_VERBS: ReadonlySet<string> = new Set(['a', 'an', 'the', 'this', 'it', 'agent', 'tool', 'my', 'our']);

/**
 * The verb of an agent, from the first word of its description, de-inflected to its base form:
 * "Extracts" → "extract", "Fetches" → "fetch", "Applies" → "apply", "Computes" → "compute".
 * Falls back to "make" when the description is empty or does not start with a word.
 */
export function verbOf(description: string): string {
  const first = description.trim().split(/\s+/)[0] ?? '';
  const word = first.toLowerCase();
  if (!/^[a-z]+$/.test(word) || NOT_VERBS.has(word)) return FALLBACK_VERB;
  return deinflect(word);
}

/** Third-person singular to base form; leaves words that are not in that form alone. */
function deinflect(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (/(?:ss|sh|ch|x|zz|o)es$/.test(word)) return word.slice(0, -2);
  if (/(?:ss|us|is)$/.test(word)) return word;
  if (word.endsWith('s')) return word.slice(0, -1);
  return word;
}

/** An artifact type as an id segment: lower case, runs of other characters become one `-`. */
export function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s === '' ? 'output' : s;
}

/**
 * A task id `t<n>-<verb>-<artifact>`, e.g. `t1-extract-sales-dataset`: `n` is the task's place in
 * topological order (from 1), so ids are unique, readable and stable for the same goal and manifest.
 */
export function taskId(position: number, verb: string, artifact: string): string {
  return `t${position}-${slug(verb)}-${slug(artifact)}`;
}
