import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { setOwn } from '../core/artifact-names.ts';
import { MAX_JSON_DEPTH } from '../core/defaults.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import { hasDuplicateKey } from '../core/json-duplicate-key.ts';
import { readStdinText, readTextFile } from '../core/read-text.ts';
import type { RunOptions } from '../orchestrator.ts';

/**
 * A JSON or YAML document from a file, or from stdin when `file` is `-`.
 * @throws BatonError `BAD_REQUEST` naming the file and what is wrong with it.
 */
export async function readDocument(file: string, option: string): Promise<unknown> {
  let text: string;
  const where = file === '-' ? 'stdin' : path.resolve(file);
  try {
    text = file === '-' ? await readStdinText() : await readTextFile(file);
  } catch (e) {
    throw new BatonError('BAD_REQUEST', `${option} ${file}: cannot read ${where}: ${errorMessage(e)}`, { retryable: false });
  }
  // JSON first: the YAML parser recurses, and overflows its stack on JSON nested a few hundred
  // levels deep that Baton takes (up to MAX_JSON_DEPTH, checked where the value is used).
  let duplicate = false;
  try {
    const json = JSON.parse(text) as unknown;
    // JSON.parse keeps the last of two equal keys without a word (a mistake in a file a person
    // wrote, as in the manifest's schema files): the YAML parser below refuses them, saying where.
    if (!hasDuplicateKey(text)) return json;
    duplicate = true;
  } catch {
    // Not JSON: YAML, or neither.
  }
  try {
    return parseYaml(text, { prettyErrors: true });
  } catch (e) {
    if (duplicate) {
      const at = /at line \d+, column \d+/.exec(errorMessage(e))?.[0];
      throw new BatonError('BAD_REQUEST', `${option} ${file}: ${where} has the same key twice in one object${at ? ` (${at})` : ''}: only one of them would be kept; remove the other`, { retryable: false });
    }
    // The YAML parser reports its own stack overflow as a parse error at the point it gave up.
    const why = errorMessage(e).includes('Maximum call stack size exceeded') ? `its YAML nests too deeply to be read (as JSON it may nest up to ${MAX_JSON_DEPTH} levels)` : (errorMessage(e).split('\n')[0] ?? '').replace(/:$/, '');
    throw new BatonError('BAD_REQUEST', `${option} ${file}: ${where} is neither JSON nor YAML: ${why}`, { retryable: false });
  }
}

/** A `--param` value: what it means as JSON when it parses as JSON (`3`, `true`, `["a"]`), else the text itself. */
export function paramValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The run parameters of `baton run`: those of `--params FILE|-` (JSON or YAML), then each
 * `--param KEY=VALUE` over them. Undefined when neither is given. Checking them against the
 * manifest's `orchestrator.params` is the orchestrator's job.
 */
export async function runParams(pairs: readonly string[] | undefined, file: string | undefined): Promise<Record<string, unknown> | undefined> {
  if ((pairs === undefined || pairs.length === 0) && file === undefined) return undefined;
  const params: Record<string, unknown> = {};
  if (file !== undefined) {
    const doc = await readDocument(file, '--params');
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw new BatonError('BAD_REQUEST', `--params ${file}: expected a mapping of parameter names to values, e.g. {"city": "Lisbon"}`, { retryable: false });
    }
    // Set as own entries, so a key such as `__proto__` reaches the check (and its refusal) as the library's does.
    for (const [key, value] of Object.entries(doc)) setOwn(params, key, value);
  }
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new BatonError('BAD_REQUEST', `--param ${JSON.stringify(pair)}: expected KEY=VALUE, e.g. --param city=Lisbon or --param days=3`, { retryable: false });
    const key = pair.slice(0, eq);
    const text = pair.slice(eq + 1);
    const value = paramValue(text);
    // 12345678901234567890 as a JSON number is 12345678901234567000: refused rather than changed.
    if (typeof value === 'number' && !Number.isSafeInteger(value) && /^\s*-?\d+\s*$/.test(text) && Number.isFinite(value) && BigInt(text.trim()) !== BigInt(value)) {
      throw new BatonError(
        'BAD_REQUEST',
        `--param ${JSON.stringify(pair)}: ${text.trim()} is too large to be held exactly as a number (it would become ${String(value)}); to give it as text, quote it: --param '${key}="${text.trim()}"'`,
        { retryable: false },
      );
    }
    setOwn(params, key, value);
  }
  return params;
}

/**
 * What `baton run` gives the orchestrator besides the goal: parameters, a plan file, a workflow.
 * A goal is needed unless a plan or a workflow is given; a blank one counts as left out (DESIGN
 * section 9), as in the library.
 */
export async function runInputs(
  goal: string | undefined,
  opts: { param?: string[]; params?: string; plan?: string; workflow?: string },
): Promise<Pick<RunOptions, 'params' | 'plan' | 'workflow'>> {
  if (!goal?.trim() && opts.plan === undefined && opts.workflow === undefined) {
    const why = goal === undefined ? 'baton run needs a goal ("what you want, in plain language")' : 'the goal is empty: say what you want in plain language, e.g. "Q2 sales report by region"';
    throw new BatonError('BAD_REQUEST', `${why}, or --plan FILE or --workflow NAME`, { retryable: false });
  }
  if (opts.plan === '-' && opts.params === '-') throw new BatonError('BAD_REQUEST', '--plan and --params cannot both read stdin (-): give one of them as a file', { retryable: false });
  const params = await runParams(opts.param, opts.params);
  let plan: RunOptions['plan'];
  if (opts.plan !== undefined) {
    const doc = await readDocument(opts.plan, '--plan');
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw new BatonError('BAD_REQUEST', `--plan ${opts.plan}: expected the output of baton plan --json, or its plan member ({ "tasks": [...] })`, { retryable: false });
    }
    // Its shape is checked by the orchestrator, like a plan given over HTTP.
    plan = doc as RunOptions['plan'];
  }
  return { ...(params ? { params } : {}), ...(plan ? { plan } : {}), ...(opts.workflow === undefined ? {} : { workflow: opts.workflow }) };
}
