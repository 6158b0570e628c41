import { execFile } from 'node:child_process';
import type { Agent, AgentContext } from '../core/contracts.ts';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../core/defaults.ts';
import { BatonError } from '../core/errors.ts';
import { parseStdout } from './command-stdout.ts';
import type { AgentInput, AgentOutput, AgentSpec } from '../core/types.ts';
import type { LaunchResult } from './launcher-protocol.ts';
import { AGENT_TOKEN_VAR, newAgentToken } from './orphan-sweep.ts';
import { processLauncher } from './process-launcher.ts';
import { markSendsInput } from './sends-input.ts';
import { WARM_UP } from './warm-up.ts';
import type { WarmableAgent } from './warm-up.ts';
import { outputTooLarge } from '../validation/output-size.ts';
import { markParsedOutput } from '../validation/parsed-output.ts';

export { OutputParseError } from './command-stdout.ts';

/**
 * What JSON.stringify may write longer than stdout held it: a number in exponent form (1e20 is
 * written out in 21 digits), one of 16 digits or more (9999999999999999 is written 10000000000000000),
 * a byte that was not UTF-8 (made U+FFFD, three bytes). Conservative: such text in a string counts too.
 */
const MAY_GROW = /\d[eE]|\d{16}|\uFFFD/;

/** How long a `versionCommand` may take. */
const VERSION_TIMEOUT_MS = 10_000;

function environment(spec: AgentSpec, input: AgentInput, token: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return { ...env, ...spec.env, BATON_RUN_ID: input.runId, BATON_TASK_ID: input.task.id, [AGENT_TOKEN_VAR]: token };
}

/**
 * Runs one attempt of an agent process through the launcher: `input` as JSON on its stdin, its
 * stdout read up to `maxStdoutBytes`, the process (and all it started) stopped with the attempt;
 * `onReport`, when given, is told each line it writes on its fd 3 as it runs. Settles once it
 * exited; throws the attempt's abort reason when the attempt was stopped.
 */
export async function launchAttempt(
  spec: AgentSpec,
  command: { file: string; args: string[]; cwd?: string },
  input: AgentInput,
  ctx: AgentContext,
  maxStdoutBytes: number,
  onReport?: (line: string) => void,
): Promise<LaunchResult> {
  ctx.signal.throwIfAborted();
  const token = newAgentToken();
  const launched = processLauncher().launch({ ...command, env: environment(spec, input, token), input: JSON.stringify(input), token, maxOutputBytes: maxStdoutBytes }, onReport);
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
  return result;
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
  const versionCommand = spec.versionCommand;
  const run: Agent['run'] = async (input: AgentInput, ctx) => {
    const maxOutputBytes = ctx.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const result = await launchAttempt(spec, { file, args, ...(spec.baseDir === undefined ? {} : { cwd: spec.baseDir }) }, input, ctx, maxOutputBytes);
    return judge(result, file, maxOutputBytes, run);
  };
  const agent: WarmableAgent = {
    spec,
    // The launcher (a Node process, ~60 MB) starts when a run's plan or a worker calls on this agent (see warm-up.ts), or at its first launch.
    [WARM_UP]: () => processLauncher().warm(),
    ...(versionCommand ? { version: () => readCommandVersion(spec, versionCommand) } : {}),
    run,
  };
  // Its input is written to the process's stdin as JSON when it is called (see sends-input.ts).
  return markSendsInput(agent);
}

/** The output of a finished command, or the error saying why there is none. */
function judge(result: LaunchResult, file: string, maxOutputBytes: number, run: Agent['run']): AgentOutput {
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
  const text = Buffer.from(result.stdout).toString('utf8');
  const output = parseStdout(text);
  // JSON.stringify writes what it parsed in no more bytes than stdout held, but for what MAY_GROW
  // finds: such an answer is copied, its size measured as before.
  if (!MAY_GROW.test(text)) markParsedOutput(output, result.stdout.byteLength, run);
  return output;
}

/** The last `n` lines of `text`. */
export function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n).join('\n');
}

/** Runs the agent's `versionCommand`: the first non-empty line of its stdout is the version. */
export function readCommandVersion(spec: AgentSpec, argv: string[]): Promise<string | undefined> {
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
