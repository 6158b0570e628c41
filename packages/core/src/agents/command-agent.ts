import { execFile } from 'node:child_process';
import type { Agent } from '../core/contracts.ts';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../core/defaults.ts';
import { BatonError } from '../core/errors.ts';
import type { AgentInput, AgentOutput, AgentSpec } from '../core/types.ts';
import type { LaunchResult } from './launcher-protocol.ts';
import { AGENT_TOKEN_VAR, newAgentToken } from './orphan-sweep.ts';
import { processLauncher } from './process-launcher.ts';
import { outputTooLarge } from '../validation/output-size.ts';

/** How long a `versionCommand` may take. */
const VERSION_TIMEOUT_MS = 10_000;

/** A command agent printed something that is not a JSON object: the attempt is `invalid`. */
export class OutputParseError extends BatonError {
  constructor(message: string) {
    super('OUTPUT_INVALID', message);
    this.name = 'OutputParseError';
  }
}

/** How many line starts to try: enough for a pretty-printed result, bounded on a huge stdout. */
const MAX_JSON_STARTS = 8;

/** The JSON object that ends `text` after log lines, when there is one. */
function jsonAfterLogs(text: string): AgentOutput | undefined {
  let tries = 0;
  for (let end = text.length; tries < MAX_JSON_STARTS; ) {
    const start = text.lastIndexOf('\n', end - 1);
    if (start < 0) return undefined;
    const from = start + 1;
    if (text.startsWith('{', from) || tries === 0) {
      tries++;
      try {
        return JSON.parse(text.slice(from)) as AgentOutput;
      } catch {
        // not from here: try an earlier line
      }
    }
    end = start;
  }
  return undefined;
}

function parseStdout(stdout: string): AgentOutput {
  const text = stdout.trim();
  if (text === '') throw new OutputParseError('the command printed nothing on stdout; expected one JSON object');
  try {
    return JSON.parse(text) as AgentOutput;
  } catch (first) {
    // Tolerate log lines before the result: the JSON object is the last line, or the last lines
    // from one that opens it (printed with indentation: `json.dump(x, indent=2)`).
    const found = jsonAfterLogs(text);
    if (found !== undefined) return found;
    const after = linesAfterJson(text);
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
function linesAfterJson(text: string): string | undefined {
  let end = text.lastIndexOf('\n');
  if (end < 0) return undefined;
  const last = text.slice(end + 1).trim();
  if (last.startsWith('{') || last.startsWith('[')) return undefined;
  for (let n = 0; n < MAX_JSON_STARTS && end > 0; n++, end = text.lastIndexOf('\n', end - 1)) {
    const before = text.slice(0, end).trimEnd();
    if (!before.endsWith('}')) continue;
    const value = jsonAfterLogs(before) ?? jsonOrUndefined(before);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return last;
  }
  return undefined;
}

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function environment(spec: AgentSpec, input: AgentInput, token: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return { ...env, ...spec.env, BATON_RUN_ID: input.runId, BATON_TASK_ID: input.task.id, [AGENT_TOKEN_VAR]: token };
}

/**
 * A `kind: command` agent: any executable reading the agent input as JSON on stdin and writing
 * its output as JSON on stdout. It runs in its own process group, marked with a token that
 * everything it starts inherits; when its main process exits, or the attempt is stopped, every
 * process carrying the token is killed, and what the main process printed before exiting is its
 * answer. A non-zero exit is a failure whose message is the end of stderr. Agents are started by
 * a helper process (see `process-launcher.ts`), so starting one never blocks this process.
 */
export function createCommandAgent(spec: AgentSpec): Agent {
  const argv = spec.command;
  if (!argv || argv.length === 0 || !argv[0]) {
    throw new BatonError('MANIFEST_INVALID', `agent '${spec.name}' is of kind command but has no command`, { retryable: false });
  }
  const [file, ...args] = argv as [string, ...string[]];
  processLauncher().warm();
  const versionCommand = spec.versionCommand;
  return {
    spec,
    ...(versionCommand ? { version: () => readCommandVersion(spec, versionCommand) } : {}),
    async run(input: AgentInput, ctx) {
      ctx.signal.throwIfAborted();
      const token = newAgentToken();
      const maxOutputBytes = ctx.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
      const launched = processLauncher().launch({
        file,
        args,
        ...(spec.baseDir === undefined ? {} : { cwd: spec.baseDir }),
        env: environment(spec, input, token),
        input: JSON.stringify(input),
        token,
        maxOutputBytes,
      });
      const { deadline } = ctx;
      if (deadline !== undefined) ctx.setAnswerCheck?.(() => launched.exitedBy(deadline));
      const onAbort = (): void => launched.stop();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      let result: LaunchResult;
      try {
        result = await launched.result;
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
      }
      ctx.signal.throwIfAborted();
      return judge(result, file, maxOutputBytes);
    },
  };
}

/** The output of a finished command, or the error saying why there is none. */
function judge(result: LaunchResult, file: string, maxOutputBytes: number): AgentOutput {
  if (result.spawnError !== undefined) {
    throw new BatonError('AGENT_FAILED', `cannot start ${file}: ${result.spawnError}`, { retryable: false });
  }
  if (result.overflow) throw outputTooLarge(`the command printed more than ${maxOutputBytes} bytes on stdout and was stopped`, maxOutputBytes);
  const { code, signal } = result.exit ?? { code: null, signal: null };
  if (code !== 0) {
    const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const err = result.stderrTail.trim();
    throw new BatonError('AGENT_FAILED', `${file} ${why}${err ? `: ${lastLines(err, 5)}` : ''}`);
  }
  return parseStdout(Buffer.from(result.stdout).toString('utf8'));
}

function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n).join('\n');
}

/** Runs the agent's `versionCommand`: the first non-empty line of its stdout is the version. */
function readCommandVersion(spec: AgentSpec, argv: string[]): Promise<string | undefined> {
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: spec.baseDir, env: { ...process.env, ...spec.env }, timeout: VERSION_TIMEOUT_MS, maxBuffer: 64 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const why = error.killed ? `did not finish within ${VERSION_TIMEOUT_MS} ms` : typeof error.code === 'number' ? `exited with code ${error.code}` : error.message;
        const err = stderr.trim();
        return reject(new BatonError('AGENT_FAILED', `${why}${err ? `: ${lastLines(err, 3)}` : ''}`, { retryable: false }));
      }
      const line = stdout.split('\n').map((l) => l.trim()).find((l) => l !== '');
      resolve(line);
    });
  });
}
