import * as nodeModule from 'node:module';
import { availableParallelism } from 'node:os';
import { basename, dirname } from 'node:path';
import { SHARE_ENV } from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';
import type { AgentContext } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import { SlotMap } from '../core/slot-map.ts';
import type { AgentInput, AgentOutput } from '../core/types.ts';
import { markParsedOutput } from '../validation/parsed-output.ts';
import { startPackageThread } from './package-thread.ts';
import type { FromModuleThread, ModuleThreadData, ThreadError, ToModuleThread } from './module-thread-protocol.ts';
import { claimAgentToken, KILL_GRACE_MS, killAgentProcesses, killAgentProcessesUnder, reserveAgentToken } from './orphan-sweep.ts';

/** After an attempt is stopped: how long its thread has to show its event loop is free before it is terminated. */
const ABORT_GRACE_MS = 1_000;
/** How long `close` waits for a module's own close() in each thread. */
const CLOSE_GRACE_MS = 5_000;
/** A thread with no attempt for this long is ended, down to one warm thread. */
const IDLE_MS = 30_000;
/**
 * Threads per agent at most. A thread runs several attempts at once (as this thread would); more
 * threads only help a module that computes, and each costs memory (about 10 MB, 30 MB when it
 * loads TypeScript through tsx).
 */
const MAX_THREADS = Math.max(1, Math.min(4, availableParallelism()));

/** Node 22.8+: where this thread keeps V8's compiled code, when it does. */
const compileCacheDir = (nodeModule as { getCompileCacheDir?: () => string | undefined }).getCompileCacheDir;

/** What a module agent's threads run: the module and the agent's name. */
export type ModuleThreadTarget = Pick<ModuleThreadData, 'file' | 'agent'>;

function startWorker(data: ModuleThreadData): Worker {
  const kept = compileCacheDir?.();
  // Node keeps it in a folder named for its version (v24.22.3-x64-…), which enableCompileCache adds to the folder it is given.
  const cacheDir = kept !== undefined && basename(kept).startsWith(`v${process.versions.node}-`) ? dirname(kept) : kept;
  const workerData: ModuleThreadData = cacheDir === undefined ? data : { ...data, compileCacheDir: cacheDir };
  // process.env is shared, as it is for a module running in this thread.
  return startPackageThread(import.meta.url, 'module-thread', { workerData, env: SHARE_ENV });
}

/** Why a thread's `error` event ended it, as its attempts' error says. */
function threadErrorReason(error: Error): string {
  if ((error as NodeJS.ErrnoException).code !== 'ERR_WORKER_OUT_OF_MEMORY') return errorMessage(error);
  return "it ran out of memory: its JavaScript heap reached Node's limit; isolation: process with maxMemoryMb bounds an agent's memory without risk to Baton's process";
}

function fromThreadError(error: ThreadError): BatonError {
  return new BatonError(error.code ?? 'AGENT_FAILED', error.message, { retryable: error.retryable ?? true });
}

/**
 * An answer the thread sent as JSON text (JSON.stringify's, measured there against the output
 * limit), marked as the answer of `call.producer` with the text's size in UTF-8.
 */
function parsedAnswer(json: string, call: Call): AgentOutput {
  const output = JSON.parse(json) as AgentOutput;
  if (call.producer) {
    // A UTF-8 byte is at least one UTF-16 unit and at most three: most texts need no count.
    const bound = json.length * 3;
    markParsedOutput(output, bound <= (call.ctx.maxOutputBytes ?? Infinity) ? bound : Buffer.byteLength(json, 'utf8'), call.producer);
  }
  return output;
}

/** `promise`'s value, or `fallback` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

interface Call {
  ctx: AgentContext;
  /** The agent's `run` that made this call: its answer, parsed here, is marked as that function's. */
  producer: object | undefined;
  resolve(output: AgentOutput): void;
  reject(error: Error): void;
}

/** One worker thread running one module: the attempts it runs, and whether its event loop answers. */
class ModuleThread {
  /** Settles when the module is loaded (with its `version` export), or could not be. */
  readonly ready: Promise<{ version?: string }>;
  dead = false;
  idleSince = Date.now();
  private readonly worker: Worker;
  /** A SlotMap: a Map's old tables kept every answered call's context and callbacks (and the attempt they hold) through minor GCs. */
  private readonly calls = new SlotMap<number, Call>();
  private readonly pings = new Map<number, () => void>();
  private nextId = 0;
  /** What the processes this thread starts carry; its attempts' carry `<token>.<id>`. */
  private readonly token = reserveAgentToken();
  /** Whether the thread started a process, which is killed as the thread ends. */
  private startedProcesses = false;
  /** Whether it ends because it was asked to close (it said whether it started processes), not otherwise. */
  private closing = false;
  private processesKilled: Promise<unknown> | undefined;

  constructor(
    private readonly data: ModuleThreadTarget,
    private readonly onChange: () => void,
  ) {
    this.worker = startWorker({ ...data, token: this.token });
    this.worker.unref();
    let loaded: (info: { version?: string }) => void = () => undefined;
    let failed: (error: Error) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      loaded = resolve;
      failed = reject;
    });
    this.ready.catch(() => undefined);
    this.worker.on('message', (message: FromModuleThread) => {
      if (message.type === 'loaded') loaded(message.version === undefined ? {} : { version: message.version });
      else if (message.type === 'load-failed') {
        failed(fromThreadError(message.error));
        void this.terminate();
      } else this.onMessage(message);
    });
    const stopped = (why: string): void => {
      const error = new BatonError('AGENT_FAILED', `agent '${data.agent}': its worker thread stopped (${why})`);
      failed(error);
      this.dead = true;
      void this.killProcesses();
      for (const id of [...this.calls.keys()]) this.finish(id, (call) => call.reject(error));
      for (const pong of this.pings.values()) pong();
      this.pings.clear();
      this.onChange();
    };
    this.worker.on('error', (e) => stopped(threadErrorReason(e)));
    this.worker.on('exit', (code) => stopped(`exit code ${code}`));
  }

  /** Attempts running in this thread. */
  get load(): number {
    return this.calls.size;
  }

  /** An attempt was stopped and the thread has not yet shown that its event loop is free: give it nothing new. */
  get suspect(): boolean {
    return this.pings.size > 0;
  }

  run(input: AgentInput, ctx: AgentContext, producer: object | undefined): Promise<AgentOutput> {
    if (ctx.signal.aborted) return Promise.reject(ctx.signal.reason as Error);
    const id = ++this.nextId;
    return new Promise<AgentOutput>((resolve, reject) => {
      const onAbort = (): void => {
        // An attempt that has its answer is over: its signal is aborted as it ends, and the thread has nothing to stop.
        if (!this.calls.has(id)) return;
        const reason = ctx.signal.reason as Error;
        // The attempt moves on now; the thread is told, and terminated if its event loop does not answer.
        this.finish(id, () => reject(reason));
        this.post({ type: 'abort', id, reason: errorMessage(reason), name: reason instanceof Error ? reason.name : 'AbortError' });
        void this.terminateIfBlocked();
      };
      this.calls.set(id, { ctx, producer, resolve, reject });
      this.worker.ref();
      // At the deadline, an answer already made but not read yet (this thread was busy) is read first.
      ctx.setAnswerCheck?.(() => new Promise((settled) => setImmediate(() => settled(!this.calls.has(id)))));
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const message: ToModuleThread = { type: 'run', id, input };
      if (ctx.deadline !== undefined) message.deadline = ctx.deadline;
      if (ctx.maxOutputBytes !== undefined) message.maxOutputBytes = ctx.maxOutputBytes;
      try {
        this.post(message);
      } catch (e) {
        // The input cannot be cloned (not plain data).
        this.finish(id, (call) => call.reject(new BatonError('AGENT_FAILED', `the input cannot be sent to the agent's thread: ${errorMessage(e)}`)));
      }
    });
  }

  /** Asks the module to close (its exported agent's close()), then ends the thread. */
  async close(): Promise<void> {
    if (this.dead) return;
    // Referenced while closing: whoever awaits the close keeps the process alive until it is done.
    this.worker.ref();
    const loaded = await within(
      this.ready.then(
        () => true,
        () => false,
      ),
      CLOSE_GRACE_MS,
      false,
    );
    this.closing = true;
    if (loaded && !this.dead) {
      const closed = new Promise<boolean>((resolve) => {
        this.worker.on('message', (m: FromModuleThread) => m.type === 'closed' && resolve(true));
        this.worker.once('exit', () => resolve(true));
      });
      this.post({ type: 'close' });
      await within(closed, CLOSE_GRACE_MS, false);
    }
    await this.terminate();
  }

  /** Ends the thread; resolves once the processes it started are gone. */
  async terminate(): Promise<void> {
    this.dead = true;
    await this.worker.terminate();
    await this.killProcesses();
  }

  /**
   * Kills, once, the processes this thread and its attempts started, as the thread ends. A thread
   * that did not close (terminated, or ended by its module) may not have said that it started some.
   */
  private killProcesses(): Promise<unknown> {
    this.processesKilled ??= this.startedProcesses || !this.closing ? killAgentProcessesUnder(this.token) : Promise.resolve();
    return this.processesKilled;
  }

  /** SIGTERM to the processes a stopped attempt started, SIGKILL to those left after the grace period. */
  private stopAttemptProcesses(id: number): void {
    const token = `${this.token}.${id}`;
    void killAgentProcesses([token], 'SIGTERM');
    setTimeout(() => void killAgentProcesses([token]), KILL_GRACE_MS).unref();
  }

  /** A thread whose event loop does not answer within the grace period is blocked: it is terminated. */
  private async terminateIfBlocked(): Promise<void> {
    if (this.dead) return;
    const id = ++this.nextId;
    const answered = new Promise<boolean>((resolve) => this.pings.set(id, () => resolve(true)));
    this.post({ type: 'ping', id });
    const free = await within(answered, ABORT_GRACE_MS, false);
    this.pings.delete(id);
    if (!free && !this.dead) await this.terminate();
  }

  private post(message: ToModuleThread): void {
    if (!this.dead) this.worker.postMessage(message);
  }

  private onMessage(message: FromModuleThread): void {
    if (message.type === 'pong') {
      this.pings.get(message.id)?.();
      return;
    }
    if (message.type === 'started-process') {
      this.startedProcesses = true;
      claimAgentToken(this.token);
      return;
    }
    if (message.type === 'stopped-with-processes') {
      this.stopAttemptProcesses(message.id);
      return;
    }
    if (!('id' in message)) return;
    if (message.type === 'usage') {
      try {
        this.calls.get(message.id)?.ctx.reportUsage?.(message.usage);
      } catch {
        // The thread checked it before sending: nothing a thread sends may end this process.
      }
    } else if (message.type === 'result' || message.type === 'error') {
      this.finish(message.id, (call) => {
        // The thread's clock says when the answer was made; this thread may read it later (it was busy).
        const late = call.ctx.deadline === undefined ? 0 : message.at - call.ctx.deadline;
        if (late > 0) call.reject(new BatonError('AGENT_TIMEOUT', `the agent answered ${late} ms past its deadline`));
        else if (message.type === 'error') call.reject(fromThreadError(message.error));
        else call.resolve((message.json === undefined ? undefined : parsedAnswer(message.json, call)) as AgentOutput);
      });
    }
  }

  /** Ends one call (once); a thread with no call left is idle. */
  private finish(id: number, how: (call: Call) => void): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    how(call);
    if (this.calls.size === 0) {
      this.idleSince = Date.now();
      if (!this.dead) this.worker.unref();
    }
    this.onChange();
  }
}

/**
 * The worker threads of one module agent (`isolation: thread`): up to {@link MAX_THREADS}, each
 * running several attempts, a new attempt going to the least busy one. A thread whose attempt is
 * stopped but whose event loop does not answer (a synchronous loop) is terminated, and replaced
 * when needed; threads idle for {@link IDLE_MS} are ended down to one. Threads are unreferenced
 * while idle, so they never keep the process alive.
 */
export class ModuleThreadPool {
  private readonly threads: ModuleThread[] = [];
  private closed = false;
  private trimTimer: NodeJS.Timeout | undefined;
  /** What the module reported when its version was last read ({@link version}): the version checked against its pin. */
  private checked: { version?: string } | undefined;
  /** Set once a thread loaded the module at another version (its file changed): no thread is started again. */
  private changedFile: { version: string | undefined } | undefined;

  constructor(private readonly data: ModuleThreadTarget) {}

  /** Runs an attempt, in a thread of the version checked, for `producer` (the agent's `run`, whose answer it marks as its own). */
  async run(input: AgentInput, ctx: AgentContext, producer?: object): Promise<AgentOutput> {
    if (this.closed) throw new BatonError('AGENT_FAILED', `agent '${this.data.agent}' is closed`, { retryable: false });
    const thread = this.pick();
    if (!thread) throw this.changedFileError();
    const loaded = await thread.ready;
    if (this.checked && loaded.version !== this.checked.version) {
      // Ended at once: the attempt goes to a thread of the version checked, if one is left.
      this.loadedAgain(thread, loaded.version);
      return this.run(input, ctx, producer);
    }
    return thread.run(input, ctx, producer);
  }

  /**
   * A thread started after the version was read (a busy agent's next one, or the replacement of a
   * blocked one) loaded the module at another version: its file changed while this process ran.
   * That code's version was never checked against the pin, and attempts record the one that was:
   * it runs nothing, and no thread is started again; the threads of the version checked go on.
   * (A changed file that reports the same version is not seen: the version is what is pinned.)
   */
  private loadedAgain(thread: ModuleThread, version: string | undefined): void {
    void thread.terminate();
    this.changedFile ??= { version };
  }

  private changedFileError(): BatonError {
    const said = (v: string | undefined): string => (v === undefined ? 'no version' : `version ${v}`);
    return new BatonError(
      'AGENT_FAILED',
      `agent '${this.data.agent}': its module was loaded again in a new worker thread and reports ${said(this.changedFile?.version)}, not ${said(this.checked?.version)} as when its version was checked: ${this.data.file} changed while Baton ran; restart it to check and run the new version`,
      { retryable: false },
    );
  }

  /**
   * The module's `version` export, read by a thread as it loads the module: the version checked
   * against the pin, which every thread started later must report too.
   */
  async version(): Promise<string | undefined> {
    const loaded = await (this.threads.find((t) => !t.dead) ?? this.warm()).ready;
    // Read again (the gate checks anew an agent it refused): threads are held to this version now.
    this.checked = loaded;
    this.changedFile = undefined;
    return loaded.version;
  }

  /** Starts a thread ahead of the first attempt, so its start-up does not count against that attempt's time. */
  warm(): ModuleThread {
    return this.threads[0] ?? this.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.trimTimer);
    await Promise.all(this.threads.splice(0).map((t) => t.close()));
  }

  /** The thread for the next attempt; none once the module's file changed and no thread of the version checked is left. */
  private pick(): ModuleThread | undefined {
    const live = this.threads.filter((t) => !t.dead && !t.suspect);
    const least = live.reduce<ModuleThread | undefined>((best, t) => (best === undefined || t.load < best.load ? t : best), undefined);
    if (least && (least.load === 0 || live.length >= MAX_THREADS || this.changedFile)) return least;
    // Its file changed: a thread of the version checked that is only being pinged (after an abort) still serves.
    if (this.changedFile) return this.threads.find((t) => !t.dead);
    return this.start();
  }

  private start(): ModuleThread {
    const thread = new ModuleThread(this.data, () => this.changed());
    this.threads.push(thread);
    void thread.ready.catch(() => this.changed());
    return thread;
  }

  /** Drops dead threads and schedules the ending of idle ones. */
  private changed(): void {
    for (let i = this.threads.length - 1; i >= 0; i--) if (this.threads[i]!.dead) this.threads.splice(i, 1);
    if (this.closed || this.trimTimer || this.threads.length <= 1) return;
    this.trimTimer = setTimeout(() => {
      this.trimTimer = undefined;
      const now = Date.now();
      const idle = this.threads.filter((t) => t.load === 0 && now - t.idleSince >= IDLE_MS);
      for (const t of idle.slice(0, this.threads.length - 1)) {
        this.threads.splice(this.threads.indexOf(t), 1);
        void t.close();
      }
      this.changed();
    }, IDLE_MS);
    this.trimTimer.unref();
  }
}
