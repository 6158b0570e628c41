import type { Agent, AgentContext } from '../core/contracts.ts';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../core/defaults.ts';
import { BatonError } from '../core/errors.ts';
import type { AgentOutput, AgentSpec, Usage } from '../core/types.ts';
import { outputTooLarge } from '../validation/output-size.ts';
import { markParsedOutput } from '../validation/parsed-output.ts';
import { lastLines, launchAttempt, readCommandVersion } from './command-agent.ts';
import type { LaunchResult } from './launcher-protocol.ts';
import { ANSWER_OVERHEAD_BYTES, VERSION_ARG } from './module-process-protocol.ts';
import type { ModuleProcessAnswer } from './module-process-protocol.ts';
import { packageProcessEntry, processLauncher } from './process-launcher.ts';
import { markSendsInput } from './sends-input.ts';
import { WARM_UP } from './warm-up.ts';
import type { WarmableAgent } from './warm-up.ts';

/** A usage report the module's process sent as it ran (a line of JSON; one the attempt refuses is dropped). */
function reportUsage(ctx: AgentContext, line: string): void {
  try {
    ctx.reportUsage?.(JSON.parse(line) as Usage);
  } catch {
    // Not three counts: the process checked each report before it sent it, so this is not its.
  }
}

/** What V8 prints on stderr as it ends a process whose JavaScript heap is full. */
const OUT_OF_MEMORY = /JavaScript heap out of memory|Allocation failed/;

/**
 * A `kind: module` agent with `isolation: process`: each attempt runs the module in a Node process
 * of its own (`module-process.ts`), started by the command launcher as a command agent is, in its
 * own process group, and stopped, with all it started, when the attempt is. Nothing the module
 * does reaches this process: a heap past `maxMemoryMb` (Node's `--max-old-space-size`), a
 * `process.exit()`, an error nobody handled or a crash fails the attempt, and retries and
 * fallbacks follow. The price is a process start per attempt (~130 ms on 2 cores; a TypeScript
 * module loads tsx too). Usage the module reports comes as it runs, on the process's fd 3.
 */
export function createProcessModuleAgent(spec: AgentSpec, file: string): Agent {
  const entry = packageProcessEntry('module-process');
  const memory = spec.maxMemoryMb === undefined ? [] : [`--max-old-space-size=${spec.maxMemoryMb}`];
  const node = [...entry.execArgv, ...memory, entry.file, file, spec.name];
  const run: Agent['run'] = async (input, ctx) => {
    const maxOutputBytes = ctx.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const args = [...node, String(maxOutputBytes), ...(ctx.deadline === undefined ? [] : [String(ctx.deadline)])];
    const result = await launchAttempt(spec, { file: process.execPath, args }, input, ctx, maxOutputBytes + ANSWER_OVERHEAD_BYTES, (line) => reportUsage(ctx, line));
    const answer = answerOf(result, spec, maxOutputBytes);
    if (answer.usage) ctx.reportUsage?.(answer.usage);
    if ('error' in answer) throw new BatonError(answer.error.code ?? 'AGENT_FAILED', answer.error.message, { retryable: answer.error.retryable ?? true });
    // The process wrote the output with JSON.stringify, within the line's bytes.
    markParsedOutput(answer.output, result.stdout.byteLength, run);
    return answer.output as AgentOutput;
  };
  const agent: WarmableAgent = {
    spec,
    [WARM_UP]: () => processLauncher().warm(),
    version: () => readCommandVersion(spec, [process.execPath, ...entry.execArgv, entry.file, file, spec.name, VERSION_ARG]),
    run,
  };
  // Its input is written to the process's stdin as JSON when it is called (see sends-input.ts).
  return markSendsInput(agent);
}

/** What Node prints of an error that ended a process, less the stack's frames and Node's version: the error itself. */
function withoutStack(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !/^\s+at |^Node\.js v\d/.test(line) && line.trim() !== '')
    .join('\n');
}

/** The answer line the module's process printed, or the error saying why there is none. */
function answerOf(result: LaunchResult, spec: AgentSpec, maxOutputBytes: number): ModuleProcessAnswer {
  const failed = (why: string, retryable = true): BatonError => new BatonError('AGENT_FAILED', `agent '${spec.name}': ${why}`, { retryable });
  if (result.spawnError !== undefined) throw failed(`cannot start its process: ${result.spawnError}`, false);
  if (result.overflow) throw outputTooLarge(`agent '${spec.name}' answered more than ${maxOutputBytes} bytes`, maxOutputBytes);
  const { code, signal } = result.exit ?? { code: null, signal: null };
  const stderr = result.stderrTail.trim();
  if (code !== 0 || result.stdout.byteLength === 0) {
    if (OUT_OF_MEMORY.test(stderr)) {
      throw failed(`its process ran out of memory: its JavaScript heap reached ${spec.maxMemoryMb === undefined ? "Node's limit" : `maxMemoryMb, ${spec.maxMemoryMb} MB`}`);
    }
    const how = signal ? `was killed by ${signal}` : code === 0 ? 'exited (code 0) before the module answered: the module ended it (process.exit)' : `exited with code ${code}`;
    const said = lastLines(withoutStack(stderr), 5);
    throw failed(`its process ${how}${said ? `: ${said}` : ''}`);
  }
  let answer: unknown;
  try {
    answer = JSON.parse(Buffer.from(result.stdout).toString('utf8'));
  } catch {
    // Not an answer: below.
  }
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
    throw failed('its process printed something other than its answer on stdout: the module wrote to its file descriptor 1 itself (use stderr for logs)');
  }
  return answer as ModuleProcessAnswer;
}
