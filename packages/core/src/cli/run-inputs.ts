import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BatonError, errorMessage } from '../core/errors.ts';

/** `--param KEY=VALUE` (repeatable): collects the pairs in the order given. */
export function collectParam(pair: string, previous: string[] = []): string[] {
  return [...previous, pair];
}

/** Reads stdin to its end (for `--params -` and `--plan -`). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A JSON or YAML document from a file, or from stdin when `file` is `-`.
 * @throws BatonError `BAD_REQUEST` naming the file and what is wrong with it.
 */
export async function readDocument(file: string, option: string): Promise<unknown> {
  let text: string;
  const where = file === '-' ? 'stdin' : path.resolve(file);
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (e) {
    throw new BatonError('BAD_REQUEST', `${option} ${file}: cannot read ${where}: ${errorMessage(e)}`, { retryable: false });
  }
  try {
    // YAML is a superset of JSON: one parser reads both.
    return parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new BatonError('BAD_REQUEST', `${option} ${file}: ${where} is neither JSON nor YAML: ${(errorMessage(e).split('\n')[0] ?? '').replace(/:$/, '')}`, { retryable: false });
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
    Object.assign(params, doc);
  }
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new BatonError('BAD_REQUEST', `--param ${JSON.stringify(pair)}: expected KEY=VALUE, e.g. --param city=Lisbon or --param days=3`, { retryable: false });
    params[pair.slice(0, eq)] = paramValue(pair.slice(eq + 1));
  }
  return params;
}
