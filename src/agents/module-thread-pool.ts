import { SHARE_ENV, Worker } from 'node:worker_threads';
import type { AgentContext } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import type { AgentInput, AgentOutput } from '../core/types.ts';
import type { FromModuleThread, ModuleThreadData, ThreadError, ToModuleThread } from './module-thread-protocol.ts';

/** After an attempt is stopped: how long its thread gets to settle before it is terminated. */
const ABORT_GRACE_MS = 1_000;
/** How long `close` waits for a module's own close() in each thread. */
const CLOSE_GRACE_MS = 5_000;
/** Warm threads kept per module when no attempt runs. */
const KEEP_IDLE = 2;

// From the TypeScript sources (a checkout, the tests), the thread's entry is loaded through tsx.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const BOOTSTRAP = `const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then((api) => api.tsImport(workerData.entry, workerData.entry));`;

function startWorker(data: ModuleThreadData): Worker {
  const entry = new URL(FROM_SOURCE ? './module-thread.ts' : './module-thread.js', import.meta.url);
  // process.env is shared, as it is for a module running in this thread.
  if (!FROM_SOURCE) return new Worker(entry, { workerData: data, env: SHARE_ENV });
  return new Worker(BOOTSTRAP, { eval: true, env: SHARE_ENV, workerData: { ...data, entry: entry.href, tsxApi: import.meta.resolve('tsx/esm/api') } });
}

function fromThreadError(error: ThreadError): BatonError {
  return new BatonError(error.code ?? 'AGENT_FAILED', error.message, { retryable: error.retryable ?? true });
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
  id: number;
  ctx: AgentContext;
  settled: boolean;
  resolve(output: AgentOutput): void;
  reject(error: Error): void;
}

/** One worker thread running one module, one attempt at a time. */
class ModuleThread {
  /** Settles when the module is loaded (with its `version` export), or could not be. */
  readonly ready: Promise<{ version?: string }>;
  dead = false;
  private readonly worker: Worker;
  private call: Call | undefined;
  private nextId = 0;
  private abortTimer: NodeJS.Timeout | undefined;

  constructor(
    data: ModuleThreadData,
    private readonly onFree: (thread: ModuleThread) => void,
  ) {
    this.worker = startWorker(data);
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
      this.dead = true;
      failed(error);
      this.finish((call) => call.reject(error));
    };
    this.worker.on('error', (e) => stopped(errorMessage(e)));
    this.worker.on('exit', (code) => stopped(`exit code ${code}`));
  }

  run(input: AgentInput, ctx: AgentContext): Promise<AgentOutput> {
    const id = ++this.nextId;
    if (ctx.signal.aborted) return Promise.reject(ctx.signal.reason as Error);
    return new Promise<AgentOutput>((resolve, reject) => {
      const call: Call = { id, ctx, settled: false, resolve, reject };
      this.call = call;
      this.worker.ref();
      const onAbort = (): void => {
        const reason = ctx.signal.reason as Error;
        this.post({ type: 'abort', id, reason: errorMessage(reason), name: reason instanceof Error ? reason.name : 'AbortError' });
        // The attempt moves on now; the thread gets a moment to wind down, then is terminated.
        this.settle(call, () => reject(reason));
        this.abortTimer = setTimeout(() => void this.terminate(), ABORT_GRACE_MS);
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const message: ToModuleThread = { type: 'run', id, input };
      if (ctx.deadline !== undefined) message.deadline = ctx.deadline;
      if (ctx.maxOutputBytes !== undefined) message.maxOutputBytes = ctx.maxOutputBytes;
      try {
        this.post(message);
      } catch (e) {
        // The input cannot be cloned (not plain data).
        this.finish((c) => c.reject(new BatonError('AGENT_FAILED', `the input cannot be sent to the agent's thread: ${errorMessage(e)}`)));
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
    if (loaded && !this.dead) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.worker.on('message', (m: FromModuleThread) => m.type === 'closed' && resolve());
        this.worker.once('exit', () => resolve());
        timer = setTimeout(resolve, CLOSE_GRACE_MS);
        this.post({ type: 'close' });
      });
      clearTimeout(timer);
    }
    await this.terminate();
  }

  async terminate(): Promise<void> {
    this.dead = true;
    clearTimeout(this.abortTimer);
    await this.worker.terminate();
  }

  private post(message: ToModuleThread): void {
    this.worker.postMessage(message);
  }

  private onMessage(message: FromModuleThread): void {
    const call = this.call;
    if (!call || !('id' in message) || message.id !== call.id) return;
    if (message.type === 'usage') {
      if (!call.settled) call.ctx.reportUsage?.(message.usage);
    } else if (message.type === 'result') {
      this.finish((c) => c.resolve(message.json === undefined ? (undefined as unknown as AgentOutput) : (JSON.parse(message.json) as AgentOutput)));
    } else if (message.type === 'error') {
      this.finish((c) => c.reject(fromThreadError(message.error)));
    }
  }

  private settle(call: Call, how: () => void): void {
    if (call.settled) return;
    call.settled = true;
    how();
  }

  /** Ends the current call; a live thread is free again for the next attempt. */
  private finish(how: (call: Call) => void): void {
    const call = this.call;
    if (!call) return;
    this.call = undefined;
    clearTimeout(this.abortTimer);
    this.settle(call, () => how(call));
    if (!this.dead) {
      this.worker.unref();
      this.onFree(this);
    }
  }
}

/**
 * The worker threads of one module agent (`isolation: thread`): one attempt per thread, warm
 * threads reused, a thread that does not stop when its attempt is stopped terminated and replaced.
 * Threads are unreferenced while idle, so they never keep the process alive.
 */
export class ModuleThreadPool {
  private readonly idle: ModuleThread[] = [];
  private readonly threads = new Set<ModuleThread>();
  private closed = false;

  constructor(private readonly data: ModuleThreadData) {}

  async run(input: AgentInput, ctx: AgentContext): Promise<AgentOutput> {
    if (this.closed) throw new BatonError('AGENT_FAILED', `agent '${this.data.agent}' is closed`, { retryable: false });
    const thread = this.take();
    await thread.ready;
    return thread.run(input, ctx);
  }

  /** The module's `version` export, read by a thread as it loads the module. */
  async version(): Promise<string | undefined> {
    const thread = [...this.threads].find((t) => !t.dead) ?? this.warm();
    return (await thread.ready).version;
  }

  /** Starts a thread ahead of the first attempt, so its start-up does not count against that attempt's time. */
  warm(): ModuleThread {
    const thread = this.start();
    this.idle.push(thread);
    return thread;
  }

  async close(): Promise<void> {
    this.closed = true;
    const threads = [...this.threads];
    this.threads.clear();
    this.idle.length = 0;
    await Promise.all(threads.map((t) => t.close()));
  }

  private take(): ModuleThread {
    for (let thread = this.idle.pop(); thread; thread = this.idle.pop()) if (!thread.dead) return thread;
    return this.start();
  }

  private start(): ModuleThread {
    for (const old of this.threads) if (old.dead) this.threads.delete(old);
    const thread = new ModuleThread(this.data, (free) => this.release(free));
    this.threads.add(thread);
    void thread.ready.catch(() => this.threads.delete(thread));
    return thread;
  }

  private release(thread: ModuleThread): void {
    if (this.closed || this.idle.length >= KEEP_IDLE) {
      this.threads.delete(thread);
      void thread.close();
    } else {
      this.idle.push(thread);
    }
  }
}
