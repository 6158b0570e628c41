/**
 * The body of an `isolation: process` module agent's process, one per attempt: reads the agent
 * input (JSON) on stdin, loads the module, runs it once and prints its answer
 * (module-process-protocol.ts) on stdout, then exits, whatever the module left running. A crash,
 * an exit of the module's own or a heap past `--max-old-space-size` ends only this process.
 *
 * argv: `<module file> <agent name> <max output bytes> [<deadline, epoch ms>]`, or
 * `<module file> <agent name> --version` to print the module's `version` export.
 */
import { createWriteStream, fstatSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { text } from 'node:stream/consumers';
import type { AgentContext } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import type { AgentInput, Usage } from '../core/types.ts';
import { addUsage, checkedUsage } from '../core/usage-check.ts';
import { outputAsJson } from '../validation/output-size.ts';
import { loadModuleAgent } from './module-exports.ts';
import type { LoadedModule } from './module-exports.ts';
import { VERSION_ARG } from './module-process-protocol.ts';
import { portableError } from './module-thread-protocol.ts';
import { UsagePerTurn } from './usage-per-turn.ts';

const [file = '', agent = '', limitArg = '', deadlineArg] = process.argv.slice(2);
// Stdout carries the answer: what the module writes there (console.log) goes to stderr, as a log.
const answerOut = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
// The process lives until it has answered (it then exits), as a thread does: a module waiting only
// for its signal holds nothing that would keep it alive, and Node would end it with code 13.
setInterval(() => undefined, 2 ** 30);

/** Fd 3, on which the launcher reads reports as the process runs, when it is open. */
const REPORTS_FD = 3;

/**
 * The usage the module reports, sent as lines on fd 3 as a module thread posts them
 * ({@link UsagePerTurn}). What could not be sent goes in the answer.
 */
class UsageReports {
  private readonly out: WriteStream | undefined;
  private readonly perTurn = new UsagePerTurn<0>((_, usage) => this.send(usage));
  /** Sent, but the write failed. */
  private lost: Usage | undefined;

  constructor() {
    try {
      fstatSync(REPORTS_FD);
      this.out = createWriteStream('', { fd: REPORTS_FD }).on('error', () => undefined);
    } catch {
      // Started without the channel (by hand): every report goes in the answer.
    }
  }

  report(usage: Usage): void {
    this.perTurn.report(0, usage);
  }

  /** What the answer carries, once every line sent is written: the usage not sent. */
  async close(): Promise<Usage | undefined> {
    const held = this.perTurn.take(0);
    if (this.out) await finished(this.out.end()).catch(() => undefined);
    const { lost } = this;
    return held && lost ? addUsage(held, lost) : (held ?? lost);
  }

  private send(usage: Usage): void {
    if (!this.out) {
      this.lost = addUsage(this.lost, usage);
      return;
    }
    this.out.write(`${JSON.stringify(usage)}\n`, (e) => {
      if (e) this.lost = addUsage(this.lost, usage);
    });
  }
}

/** Runs the module once on the input read from stdin: the answer line. */
async function answer(loaded: LoadedModule): Promise<string> {
  const maxOutputBytes = Number(limitArg);
  const controller = new AbortController();
  // Baton stops an attempt with SIGTERM (SIGKILL 2 s later): the module's signal tells it, as in a
  // thread. Kept past the first, so that another SIGTERM (a supervisor's, a user's) does not end
  // the process before the module has wound down: the SIGKILL does, if it has not by then.
  process.on('SIGTERM', () => controller.abort(new BatonError('AGENT_FAILED', `agent '${agent}': its attempt was stopped`)));
  const reports = new UsageReports();
  const ctx: AgentContext = {
    signal: controller.signal,
    reportUsage: (reported) => reports.report(checkedUsage(reported)),
    maxOutputBytes,
    ...(deadlineArg === undefined ? {} : { deadline: Number(deadlineArg) }),
  };
  let json: string | undefined;
  let error: ReturnType<typeof portableError> | undefined;
  try {
    const input = JSON.parse(await text(process.stdin)) as AgentInput;
    json = outputAsJson(await loaded.run(input, ctx), maxOutputBytes);
  } catch (e) {
    error = portableError(e);
  }
  const usage = await reports.close();
  const usagePart = usage ? `"usage":${JSON.stringify(usage)}` : '';
  let line: string;
  if (error) line = JSON.stringify({ error, ...(usage ? { usage } : {}) });
  else line = json === undefined ? `{${usagePart}}` : `{"output":${json}${usagePart ? `,${usagePart}` : ''}}`;
  try {
    await loaded.close?.();
  } catch (e) {
    process.stderr.write(`agent '${agent}': its close() failed: ${errorMessage(e)}\n`);
  }
  return line;
}

/** Prints `line` and exits, without waiting for what the module left running. */
function finish(line: string, code: number): void {
  answerOut(`${line}\n`, () => process.exit(code));
}

try {
  const loaded = await loadModuleAgent(file, agent);
  finish(limitArg === VERSION_ARG ? (loaded.version ?? '') : await answer(loaded), 0);
} catch (e) {
  if (limitArg === VERSION_ARG) {
    process.stderr.write(`${errorMessage(e)}\n`);
    process.exit(1);
  }
  finish(JSON.stringify({ error: portableError(e) }), 0);
}
