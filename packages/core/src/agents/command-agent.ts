import { execFile, spawn } from 'node:child_process';
import type { Agent } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import type { AgentInput, AgentOutput, AgentSpec } from '../core/types.ts';
import { newAgentToken, recordAgentGroup, sweepOrphanedAgents } from './orphan-sweep.ts';

/** How long a command agent gets between SIGTERM and SIGKILL when it is cut off. */
const KILL_GRACE_MS = 2_000;
const MAX_STDOUT_BYTES = 256 * 1024 * 1024;
const STDERR_TAIL_BYTES = 8 * 1024;
/** How long a `versionCommand` may take. */
const VERSION_TIMEOUT_MS = 10_000;

/** A command agent printed something that is not a JSON object: the attempt is `invalid`. */
export class OutputParseError extends BatonError {
  constructor(message: string) {
    super('OUTPUT_INVALID', message);
    this.name = 'OutputParseError';
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function parseStdout(stdout: string): AgentOutput {
  const text = stdout.trim();
  if (text === '') throw new OutputParseError('the command printed nothing on stdout; expected one JSON object');
  try {
    return JSON.parse(text) as AgentOutput;
  } catch (first) {
    // Tolerate log lines before the result: the last non-empty line may be the JSON object.
    const last = text.slice(text.lastIndexOf('\n') + 1);
    if (last !== text) {
      try {
        return JSON.parse(last) as AgentOutput;
      } catch {
        // fall through to the first error, which describes the whole output
      }
    }
    const preview = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    throw new OutputParseError(`stdout is not JSON (${(first as Error).message}); it began: ${preview}`);
  }
}

/**
 * A `kind: command` agent: any executable reading the agent input as JSON on stdin and writing
 * its output as JSON on stdout. It runs in its own process group so that a timeout or a
 * cancellation kills it and everything it started; a non-zero exit is a failure whose message
 * is the end of stderr.
 */
export function createCommandAgent(spec: AgentSpec): Agent {
  const argv = spec.command;
  if (!argv || argv.length === 0 || !argv[0]) {
    throw new BatonError('MANIFEST_INVALID', `agent '${spec.name}' is of kind command but has no command`, { retryable: false });
  }
  const [file, ...args] = argv as [string, ...string[]];
  // Agents left running by a Baton process that was killed on this machine go first.
  sweepOrphanedAgents();
  const versionCommand = spec.versionCommand;
  return {
    spec,
    ...(versionCommand ? { version: () => readCommandVersion(spec, versionCommand) } : {}),
    run(input: AgentInput, ctx) {
      return new Promise<AgentOutput>((resolve, reject) => {
        if (ctx.signal.aborted) {
          reject(ctx.signal.reason as Error);
          return;
        }
        const token = newAgentToken();
        const child = spawn(file, args, {
          cwd: spec.baseDir,
          env: { ...process.env, ...spec.env, BATON_RUN_ID: input.runId, BATON_TASK_ID: input.task.id, BATON_AGENT_TOKEN: token },
          detached: true,
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        const forget = recordAgentGroup(child.pid, token);
        const out: Buffer[] = [];
        let outBytes = 0;
        let errTail = '';
        let settled = false;
        let killTimer: NodeJS.Timeout | undefined;
        let overflow = false;

        const onAbort = (): void => {
          killGroup(child.pid, 'SIGTERM');
          killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
          killTimer.unref();
        };
        ctx.signal.addEventListener('abort', onAbort, { once: true });

        const finish = (fn: () => void): void => {
          if (settled) return;
          settled = true;
          ctx.signal.removeEventListener('abort', onAbort);
          fn();
        };

        child.stdout.on('data', (chunk: Buffer) => {
          outBytes += chunk.length;
          if (outBytes > MAX_STDOUT_BYTES) {
            overflow = true;
            killGroup(child.pid, 'SIGKILL');
            return;
          }
          out.push(chunk);
        });
        child.stderr.on('data', (chunk: Buffer) => {
          errTail = (errTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
        });
        child.stdin.on('error', () => {
          // The command may exit without reading its input; its exit status tells what happened.
        });
        child.on('error', (e) => {
          finish(() => reject(new BatonError('AGENT_FAILED', `cannot start ${file}: ${e.message}`, { retryable: false, cause: e })));
        });
        child.on('close', (code, signal) => {
          // Whatever the command left running in its group goes with it.
          killGroup(child.pid, 'SIGKILL');
          forget();
          if (killTimer) clearTimeout(killTimer);
          finish(() => {
            if (ctx.signal.aborted) return reject(ctx.signal.reason as Error);
            if (overflow) return reject(new BatonError('AGENT_FAILED', `stdout exceeded ${MAX_STDOUT_BYTES} bytes`));
            if (code !== 0) {
              const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
              const err = errTail.trim();
              return reject(new BatonError('AGENT_FAILED', `${file} ${why}${err ? `: ${lastLines(err, 5)}` : ''}`));
            }
            try {
              resolve(parseStdout(Buffer.concat(out).toString('utf8')));
            } catch (e) {
              reject(e as Error);
            }
          });
        });
        child.stdin.end(JSON.stringify(input));
      });
    },
  };
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
