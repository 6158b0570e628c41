/**
 * The launcher: a small helper process that starts a Baton process's command agents, so the
 * Baton process itself never forks. Starting a child blocks the caller until the child has
 * exec'd, which on a loaded machine took up to 1.5 s of the orchestrator's event loop; here it
 * blocks only this process. It also reads each agent's output (up to its limit), and kills what
 * each agent leaves running. When its parent goes (even SIGKILLed), it kills every agent it started
 * and exits. Started by `process-launcher.ts`; not meant to be run by hand.
 */
import type { ChildProcessByStdio } from 'node:child_process';
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { MAX_REPORT_CHARS } from './launcher-protocol.ts';
import type { FromLauncher, LaunchResult, SpawnMessage, ToLauncher } from './launcher-protocol.ts';
import { KILL_GRACE_MS, killAgentProcesses, terminateAgentProcesses } from './orphan-sweep.ts';
import { warmProcScanner } from './proc-scanner.ts';

/** After the agent exited and what it left was killed: how long to wait for its pipes to close. */
const DRAIN_MS = 1_000;
const STDERR_TAIL_CHARS = 8 * 1024;

function send(message: FromLauncher): void {
  process.send?.(message);
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** How often the launcher notes that its event loop is free (while agents run). */
const TICK_MS = 10;
let lastTick = Date.now();
let ticker: NodeJS.Timeout | undefined;

/**
 * The earliest moment an event read now can have happened: its time is unknown while this event
 * loop was busy (starting a child blocks it until the child has exec'd), and it could have
 * happened as soon as the loop stopped noting ticks.
 */
function earliestNow(): number {
  return Math.min(Date.now(), lastTick + TICK_MS);
}

/** One command agent: its process, its output, and everything it started. */
class AgentRun {
  /** When its main process exited, at the earliest (epoch ms). */
  exitedAt: number | undefined;
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private overflow = false;
  private stderrTail = '';
  private killTimer: NodeJS.Timeout | undefined;
  private finished = false;
  /** The agent's fd 3, when it reports as it runs (`reports`). */
  private readonly reports: Readable | undefined;
  /** What it wrote there after its last newline. */
  private reportTail = '';

  constructor(
    private readonly request: SpawnMessage,
    private readonly onDone: () => void,
  ) {
    this.child = spawn(request.file, request.args, {
      env: request.env,
      // Its own process group (and session): stopping it signals the group.
      detached: true,
      stdio: request.reports ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'],
      ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
    }) as ChildProcessByStdio<Writable, Readable, Readable>;
    this.reports = request.reports ? (this.child.stdio[3] as Readable | undefined) : undefined;
    this.reports?.on('data', (chunk: Buffer) => this.onReports(chunk));
    this.child.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    // The command may exit without reading its input; its exit status tells what happened.
    this.child.stdin.on('error', () => undefined);
    this.child.on('error', (e) => {
      if (this.child.pid === undefined) this.finish({ spawnError: e.message });
    });
    this.child.on('exit', (code, signal) => void this.onExit(code, signal));
    if (this.child.pid !== undefined) this.child.stdin.end(request.input);
  }

  /** SIGTERM to the agent's group and to all carrying its token, each once; SIGKILL after the grace period. */
  stop(): void {
    if (this.killTimer || this.finished) return;
    signalGroup(this.child.pid, 'SIGTERM');
    void terminateAgentProcesses(this.request.token, this.child.pid);
    this.killTimer = setTimeout(() => void this.killAll(), KILL_GRACE_MS);
  }

  /** SIGKILL to the agent's group and to every process carrying its token; resolves once they are gone. */
  async killAll(): Promise<void> {
    signalGroup(this.child.pid, 'SIGKILL');
    await killAgentProcesses([this.request.token]);
  }

  private onStdout(chunk: Buffer): void {
    if (this.overflow) return;
    this.bytes += chunk.length;
    if (this.bytes > this.request.maxOutputBytes) {
      // Reading on would only hold more of what will be rejected: stop the agent instead.
      this.overflow = true;
      this.chunks.push(chunk.subarray(0, chunk.length - (this.bytes - this.request.maxOutputBytes)));
      void this.killAll();
      return;
    }
    this.chunks.push(chunk);
  }

  /** Sends on each whole line; a line past {@link MAX_REPORT_CHARS} is dropped, not held. */
  private onReports(chunk: Buffer): void {
    const lines = (this.reportTail + chunk.toString('utf8')).split('\n');
    this.reportTail = lines.pop() ?? '';
    if (this.reportTail.length > MAX_REPORT_CHARS) this.reportTail = '';
    for (const line of lines) if (line.length > 0 && line.length <= MAX_REPORT_CHARS) send({ type: 'report', id: this.request.id, line });
  }

  private async onExit(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    this.exitedAt = earliestNow();
    clearTimeout(this.killTimer);
    // Whatever it left running goes with it; then nothing holds its pipes open.
    await this.killAll();
    await this.drained();
    this.finish({ exit: { code, signal }, exitedAt: this.exitedAt });
  }

  /** Resolves when stdout and stderr have closed, or after DRAIN_MS (a holder that could not be found). */
  private drained(): Promise<void> {
    const streams = [this.child.stdout, this.child.stderr, ...(this.reports ? [this.reports] : [])].filter((s) => !s.closed);
    if (streams.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let open = streams.length;
      const timer = setTimeout(done, DRAIN_MS);
      function done(): void {
        clearTimeout(timer);
        for (const s of streams) s.destroy();
        resolve();
      }
      for (const s of streams) {
        s.once('close', () => {
          if (--open === 0) done();
        });
      }
    });
  }

  private finish(partial: Pick<LaunchResult, 'exit' | 'spawnError' | 'exitedAt'>): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.killTimer);
    const result: LaunchResult = { ...partial, stdout: Buffer.concat(this.chunks), stderrTail: this.stderrTail, overflow: this.overflow };
    send({ type: 'result', id: this.request.id, result });
    this.onDone();
  }
}

const runs = new Map<number, AgentRun>();
// Every attempt ends with a scan of /proc: its thread starts now rather than in the first attempt.
if (process.platform === 'linux') warmProcScanner();

function finished(id: number): void {
  runs.delete(id);
  if (runs.size === 0) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

process.on('message', (message: ToLauncher) => {
  switch (message.type) {
    case 'spawn': {
      let run: AgentRun;
      try {
        run = new AgentRun(message, () => finished(message.id));
      } catch (e) {
        // spawn() throws, rather than emitting 'error', for some failures: E2BIG (an environment
        // variable past the kernel's 128 KiB, e.g. a very long task id in BATON_TASK_ID), a NUL
        // byte in an argument or a variable. That agent cannot start; the others run on.
        const why = e instanceof Error ? e.message : String(e);
        const hint = (e as NodeJS.ErrnoException).code === 'E2BIG' ? ' (its arguments or environment are past what the system allows: one variable holds at most 128 KiB, and BATON_TASK_ID holds the task id)' : '';
        send({ type: 'result', id: message.id, result: { spawnError: `${why}${hint}`, stdout: new Uint8Array(), stderrTail: '', overflow: false } });
        break;
      }
      runs.set(message.id, run);
      if (!ticker) {
        lastTick = Date.now();
        ticker = setInterval(() => (lastTick = Date.now()), TICK_MS);
      }
      break;
    }
    case 'stop':
      runs.get(message.id)?.stop();
      break;
    case 'query':
      // After the I/O already pending (an exit, output) has been read: that is what is asked about.
      // A run no longer here has sent its result, with its exit time, before this reply.
      setImmediate(() => {
        const exitedAt = runs.get(message.id)?.exitedAt;
        send({ type: 'reply', queryId: message.queryId, exited: exitedAt !== undefined && exitedAt <= message.deadline });
      });
      break;
  }
});

// The Baton process is gone (exited or killed): nothing it started may outlive it.
process.on('disconnect', () => {
  void Promise.all([...runs.values()].map((run) => run.killAll())).finally(() => process.exit(0));
});
