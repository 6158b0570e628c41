import { BatonError } from '../core/errors.ts';
import type { AgentOutput } from '../core/types.ts';

/** A command agent printed something that is not a JSON object: the attempt is `invalid`. */
export class OutputParseError extends BatonError {
  constructor(message: string) {
    super('OUTPUT_INVALID', message);
    this.name = 'OutputParseError';
  }
}

/** How many line starts to try: enough for a pretty-printed result, bounded on a huge stdout. */
const MAX_JSON_STARTS = 8;

/**
 * What the tries after the first whole parse may have JSON.parse read in all, beyond the length of
 * the stdout: one more parse of the whole of it (a result after log lines), and 1 MiB of smaller
 * tries. A try that fails late reads its whole text: a stdout of 15 MB whose lines each looked like
 * the start of a result made ~70 such tries, and held the event loop for 0.5-0.9 s.
 */
const EXTRA_PARSE_CHARS = 1024 * 1024;

/** The characters the tries of one stdout may still have JSON.parse read (a try longer than that is not made). */
interface ParseBudget {
  left: number;
}

/**
 * `JSON.parse(text)`, or `undefined` when it is not JSON or the budget cannot pay for trying. A try
 * is paid for what JSON.parse read: up to where it gave up when its message says (V8 writes "at
 * position N" for most errors: a try from a log line written as JSON stops where that line's
 * object ends), the whole text otherwise.
 */
function tryParse(text: string, budget: ParseBudget): unknown {
  if (text.length > budget.left) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    budget.left -= text.length;
    return value;
  } catch (e) {
    const at = /at position (\d+)/.exec((e as Error).message);
    budget.left -= at ? Math.min(text.length, Number(at[1]) + 1) : text.length;
    return undefined;
  }
}

/**
 * The JSON object that ends `text` after log lines, when there is one the budget lets it find: its
 * last line alone, or the lines from one of the last lines that open an object (`{` first). At
 * most one of those can be an object that ends the text (its last `}` closes one `{` only, and no
 * JSON string holds a line break), so they are tried longest first: the result's own length finds
 * it, where nearest first spent a budget on each `{` line inside a result printed without indent.
 */
function jsonAfterLogs(text: string, budget: ParseBudget): AgentOutput | undefined {
  const last = text.lastIndexOf('\n');
  if (last < 0) return undefined;
  const alone = tryParse(text.slice(last + 1), budget);
  if (alone !== undefined) return alone as AgentOutput;
  // A text that does not end an object has no line opening one that it ends.
  if (!text.endsWith('}')) return undefined;
  const starts: number[] = [];
  for (let end = last; starts.length < MAX_JSON_STARTS - 1; ) {
    const at = text.lastIndexOf('\n{', end - 1);
    if (at < 0) break;
    starts.push(at + 1);
    end = at;
  }
  for (let i = starts.length - 1; i >= 0; i--) {
    const from = starts[i]!;
    // A line that is a JSON value by itself (a log line written as JSON) cannot open the object
    // that ends the text: something follows it. Told by its own length, not the text's after it.
    if (tryParse(text.slice(from, text.indexOf('\n', from)), budget) !== undefined) continue;
    const found = tryParse(text.slice(from), budget);
    if (found !== undefined) return found as AgentOutput;
  }
  return undefined;
}

/**
 * The result of a command agent: the JSON object its stdout holds, alone, or as the last lines
 * after log lines. Throws {@link OutputParseError}, saying what is wrong, when there is none.
 */
export function parseStdout(stdout: string): AgentOutput {
  const text = stdout.trim();
  if (text === '') throw new OutputParseError('the command printed nothing on stdout; expected one JSON object');
  try {
    return JSON.parse(text) as AgentOutput;
  } catch (first) {
    const budget: ParseBudget = { left: text.length + EXTRA_PARSE_CHARS };
    // Tolerate log lines before the result: the JSON object is the last line, or the last lines
    // from one that opens it (printed with indentation: `json.dump(x, indent=2)`).
    const found = jsonAfterLogs(text, budget);
    if (found !== undefined) return found;
    const after = linesAfterJson(text, budget);
    if (after !== undefined) {
      const last = after.length > 120 ? `${after.slice(0, 120)}…` : after;
      throw new OutputParseError(`stdout has lines after its JSON object (the last: ${JSON.stringify(last)}): the result must be printed last; print logs to stderr, or before the result`);
    }
    const preview = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    throw new OutputParseError(`stdout is not JSON (${(first as Error).message}); it began: ${preview}`);
  }
}

/**
 * The last line of `text` when the lines before it end with a JSON object (read as a result after
 * logs would be), and the last line is not itself an attempt at JSON: a result followed by logs.
 */
function linesAfterJson(text: string, budget: ParseBudget): string | undefined {
  let end = text.lastIndexOf('\n');
  if (end < 0) return undefined;
  const last = text.slice(end + 1).trim();
  if (last.startsWith('{') || last.startsWith('[')) return undefined;
  /** Where the last text tried ended: a line end after it has only blank lines between, the same text. */
  let tried = -1;
  for (let n = 0; n < MAX_JSON_STARTS && end > 0 && budget.left > 0; n++, end = text.lastIndexOf('\n', end - 1)) {
    if (tried >= 0 && end >= tried) continue;
    const before = text.slice(0, end).trimEnd();
    tried = before.length;
    if (!before.endsWith('}')) continue;
    // Only a text that opens an object can be one: the others are not tried whole.
    const value = jsonAfterLogs(before, budget) ?? (before.startsWith('{') ? tryParse(before, budget) : undefined);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return last;
  }
  return undefined;
}
