import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { BatonError } from '../core/errors.ts';
import { SlotMap } from '../core/slot-map.ts';
import type { FromLauncher, LaunchResult, SpawnMessage, ToLauncher } from './launcher-protocol.ts';
import { killAgentProcesses } from './orphan-sweep.ts';

/** One agent started through the launcher. */
export interface LaunchedAgent {
  /** Settles once the agent exited, what it started is gone and its output is read. */
  result: Promise<LaunchResult>;
  /** SIGTERM to the agent and all it started, SIGKILL after a grace period. */
  stop(): void;
  /** Whether its main process had exited by `deadline` (epoch ms), asked after the launcher read the I/O already pending. */
  exitedBy(deadline: number): Promise<boolean>;
}

export type LaunchRequest = Omit<SpawnMessage, 'type' | 'id'>;

interface Call {
  token: string;
  onReport: ((line: string) => void) | undefined;
  resolve(result: LaunchResult): void;
  reject(error: Error): void;
}

const STDERR_TAIL_CHARS = 4 * 1024;

/**
 * The entry file of a Node process running `name`, one of this folder's modules: the TypeScript
 * source in a checkout (run through tsx), the compiled file in a package.
 */
export function packageProcessEntry(name: string): { file: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, import.meta.url).pathname;
  return { file, execArgv: fromSource ? ['--import', import.meta.resolve('tsx')] : [] };
}

/**
 * Starts command agents through one helper process (`launcher-process.ts`), started on first use
 * and kept while this process lives. Forking a large process, and waiting for the child to exec,
 * blocks the event loop; the helper takes that cost so the orchestrator's timers stay on time.
 * The helper is unreferenced while no agent runs, so it never keeps this process alive.
 */
export class ProcessLauncher {
  private child: ChildProcess | undefined;
  /** A SlotMap: a Map's old tables kept every ended call's callbacks (and the attempt they lead to) through minor GCs. */
  private readonly calls = new SlotMap<number, Call>();
  private readonly queries = new Map<number, (exited: boolean) => void>();
  private nextId = 0;
  private stderrTail = '';

  /** Starts the helper ahead of the first agent, so its start-up does not count against that agent's time. */
  warm(): void {
    if (!this.child) this.updateRef(this.start());
  }

  /** Starts an agent; `onReport` is told each line it writes on its fd 3, which it then gets (see {@link SpawnMessage.reports}). */
  launch(request: LaunchRequest, onReport?: (line: string) => void): LaunchedAgent {
    const id = ++this.nextId;
    const result = new Promise<LaunchResult>((resolve, reject) => {
      this.calls.set(id, { token: request.token, onReport, resolve, reject });
    });
    this.send({ type: 'spawn', id, ...request, ...(onReport ? { reports: true } : {}) });
    this.updateRef();
    // Known once the result is here (it reaches this process before the reply to a later query).
    let exitedAt: number | undefined;
    result.then(
      (r) => (exitedAt = r.exitedAt ?? Infinity),
      () => (exitedAt = Infinity),
    );
    return {
      result,
      stop: () => this.send({ type: 'stop', id }),
      exitedBy: async (deadline) => {
        const known = (): boolean | undefined => (exitedAt === undefined ? undefined : exitedAt <= deadline);
        const before = known();
        if (before !== undefined) return before;
        const replied = await this.query(id, deadline);
        return known() ?? replied;
      },
    };
  }

  private query(id: number, deadline: number): Promise<boolean> {
    if (!this.calls.has(id)) return Promise.resolve(false);
    const queryId = ++this.nextId;
    return new Promise((resolve) => {
      this.queries.set(queryId, resolve);
      this.send({ type: 'query', id, queryId, deadline });
    });
  }

  private send(message: ToLauncher): void {
    const child = this.child ?? this.start();
    // A failed send means the helper is gone: its exit handler fails what it ran.
    child.send(message, (e) => e && undefined);
  }

  private start(): ChildProcess {
    const { file, execArgv } = packageProcessEntry('launcher-process');
    const child = spawn(process.execPath, [...execArgv, file], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    this.child = child;
    this.stderrTail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    child.on('message', (message: FromLauncher) => this.onMessage(message));
    child.on('error', () => undefined);
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    return child;
  }

  private onMessage(message: FromLauncher): void {
    if (message.type === 'reply') {
      this.queries.get(message.queryId)?.(message.exited);
      this.queries.delete(message.queryId);
      return;
    }
    const call = this.calls.get(message.id);
    if (message.type === 'report') {
      call?.onReport?.(message.line);
      return;
    }
    this.calls.delete(message.id);
    this.updateRef();
    call?.resolve(message.result);
  }

  /** The helper died (killed from outside): fail what it ran, and kill what those agents left. */
  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = this.stderrTail.trim();
    const error = new BatonError('AGENT_FAILED', `the launcher process that runs command agents ${how}${tail ? `: ${tail.split('\n').slice(-3).join(' | ')}` : ''}`);
    const calls = this.calls.values();
    this.calls.clear();
    for (const resolve of this.queries.values()) resolve(false);
    this.queries.clear();
    void killAgentProcesses(calls.map((c) => c.token)).finally(() => {
      for (const call of calls) call.reject(error);
    });
  }

  /** Referenced while an agent runs (this process waits for it), unreferenced otherwise. */
  private updateRef(child = this.child): void {
    if (!child) return;
    const busy = this.calls.size > 0;
    const handles: ({ ref(): unknown; unref(): unknown } | null | undefined)[] = [child, child.channel, child.stderr as Socket | null];
    for (const handle of handles) {
      if (!handle) continue;
      if (busy) handle.ref();
      else handle.unref();
    }
  }
}

let shared: ProcessLauncher | undefined;

/** The launcher of this process. */
export function processLauncher(): ProcessLauncher {
  shared ??= new ProcessLauncher();
  return shared;
}
