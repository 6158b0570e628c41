import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { BatonError } from 'batonjs/internal';
import { redisOptions } from './connection.ts';
import { READ_SHARED_LOCKS, SharedLocks } from './shared-locks.ts';

/** How often a worker renews its heartbeat, and how long one lasts (ms), unless told otherwise. */
export const HEARTBEAT_DEFAULTS = { intervalMs: 1_000, ttlMs: 5_000 } as const;

/** What a worker's heartbeat key holds: enough for an orchestrator to say who was lost. */
export interface HeartbeatValue {
  host: string;
  pid: number;
  /** How long the key lives without being renewed (ms). */
  ttlMs: number;
  /** The agents whose queues the worker consumes (absent from workers before it was sent). */
  agents?: string[];
}

export interface HeartbeatOptions {
  url: string;
  /** The Redis key renewed on every beat (see `heartbeatKey`). */
  key: string;
  /** The set the worker's id is added to on every beat (see `workersKey`), and removed from when it stops. */
  workersKey: string;
  workerId: string;
  value: HeartbeatValue;
  intervalMs: number;
  /** The BullMQ lock duration of the worker's jobs (ms): each beat extends held locks to it. */
  lockMs: number;
  /** Locks held at once through shared memory (default 64; the worker passes its concurrency); more go by message. */
  lockSlots?: number;
  /**
   * The cancel records of the held jobs (`cancelledKey(prefix, '')`): on every beat, each held
   * job's record is read, and `onCancelled` is told of those that have one.
   */
  cancelledKeyPrefix?: string;
  /** A held job was cancelled (told again on every beat while the job's lock is held). */
  onCancelled?: (jobId: string) => void;
}

type ThreadMessage = { type: 'ready' } | { type: 'stopped' } | { type: 'cancelled'; jobId: string };

/**
 * The heartbeat thread's code. It runs in a worker thread of its own, with its own Redis
 * connection, so that a worker whose main thread is busy (an agent computing for a minute) keeps
 * beating: only a dead process, a frozen one or one cut off from Redis stops. On every beat it
 * also extends the BullMQ locks of the jobs the worker runs (only while they still hold the
 * worker's token), so a busy worker's jobs are not taken for stalled and run a second time
 * elsewhere either, and reads, in the same round trip, which of those jobs orchestrators cancelled
 * (the cancel message may have been missed by a reconnecting subscriber). It is plain CommonJS evaluated by `new Worker(code, { eval: true })`: it runs
 * the same from the TypeScript sources (tsx, vitest) and from the compiled package.
 */
const THREAD_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const ioredis = require(workerData.ioredis);
const Redis = ioredis.Redis || ioredis.default || ioredis;
const { key, workersKey, workerId, value, intervalMs, ttlMs, lockMs, options, sharedLocks, cancelledKeyPrefix } = workerData;
${READ_SHARED_LOCKS}
// Commands fail at once while the connection is down: a missed beat is skipped, never queued.
const redis = new Redis({ ...options, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (n) => Math.min(50 * 2 ** n, 1000) });
redis.on('error', () => {});
// Plain EVAL (no script cache to lose when Redis restarts): extend a lock only while it is still ours.
const EXTEND_OWN_LOCK = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";
// Locks sent by message: those that found no room in the shared table.
const locks = new Map();
const held = new Map();
let ready = false;
let timer;
// A lock key is '<queue key>:<job id>:lock', and job ids hold no ':'.
const jobIdOfLock = (lockKey) => lockKey.split(':').slice(-2)[0];
const beat = () => {
  // Added on every beat: an orchestrator drops an id whose key has expired, and Redis may restart empty.
  const batch = redis.pipeline().set(key, value, 'PX', ttlMs).sadd(workersKey, workerId);
  held.clear();
  const jobIds = [];
  const extend = (lockKey, token) => {
    batch.eval(EXTEND_OWN_LOCK, 1, lockKey, token, lockMs);
    jobIds.push(jobIdOfLock(lockKey));
  };
  for (const [lockKey, token] of readSharedLocks(sharedLocks, held)) extend(lockKey, token);
  for (const [lockKey, token] of locks) if (!held.has(lockKey)) extend(lockKey, token);
  if (cancelledKeyPrefix) for (const jobId of jobIds) batch.exists(cancelledKeyPrefix + jobId);
  return batch.exec().then(
    (replies) => {
      if (!replies) return;
      if (!ready && !replies[0][0]) {
        ready = true;
        parentPort.postMessage({ type: 'ready' });
      }
      if (!cancelledKeyPrefix) return;
      const first = 2 + jobIds.length;
      jobIds.forEach((jobId, i) => {
        const [error, found] = replies[first + i] || [];
        if (!error && found === 1) parentPort.postMessage({ type: 'cancelled', jobId });
      });
    },
    () => {},
  );
};
redis.once('ready', () => {
  void beat();
  timer = setInterval(beat, intervalMs);
});
parentPort.on('message', (message) => {
  if (message.type === 'hold') locks.set(message.lockKey, message.token);
  else if (message.type === 'release') locks.delete(message.lockKey);
  else if (message.type === 'beat') void beat();
  else if (message.type === 'stop') {
    clearInterval(timer);
    const done = () => {
      redis.disconnect();
      parentPort.postMessage({ type: 'stopped' });
      parentPort.close();
    };
    redis.multi().del(key).srem(workersKey, workerId).exec().then(done, done);
  }
});
`;

/**
 * A worker's heartbeat: a Redis key with a short TTL, renewed every `intervalMs` from a worker
 * thread, which also extends the locks of the jobs the worker holds. Orchestrators read the key
 * to tell a live worker from a lost one. A thread that dies unexpectedly is started again.
 */
export class Heartbeat {
  /** Locks that found no room in `shared`, sent to the thread by message (and again to a restarted thread). */
  private readonly locks = new Map<string, string>();
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly options: HeartbeatOptions,
    private readonly shared: SharedLocks,
    private thread: Worker,
    private readonly log: (line: string) => void,
  ) {
    this.watch(thread);
  }

  /** Starts beating; resolves once the first beat is in Redis (a job taken before it would look lost). */
  static async start(options: HeartbeatOptions, log: (line: string) => void = () => undefined, timeoutMs = 15_000): Promise<Heartbeat> {
    const shared = new SharedLocks(Math.min(Math.max(1, Math.trunc(options.lockSlots ?? 64) || 1), MAX_LOCK_SLOTS));
    const thread = spawnThread(options, shared);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no heartbeat written within ${timeoutMs} ms`)), timeoutMs);
        thread.on('message', (m: ThreadMessage) => {
          if (m.type === 'ready') {
            clearTimeout(timer);
            resolve();
          }
        });
        thread.once('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        thread.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`the heartbeat thread exited (${code})`));
        });
      });
    } catch (e) {
      await thread.terminate();
      throw new BatonError('INTERNAL', `cannot start the worker's heartbeat on Redis: ${(e as Error).message}`, { retryable: false, cause: e });
    }
    return new Heartbeat(options, shared, thread, log);
  }

  /** Keeps extending a job's BullMQ lock (`<jobKey>:lock`) while it still holds `token`. */
  hold(lockKey: string, token: string): void {
    const earlier = this.locks.get(lockKey);
    if (earlier !== undefined) this.release(lockKey, earlier);
    if (this.shared.hold(lockKey, token)) return;
    this.locks.set(lockKey, token);
    this.thread.postMessage({ type: 'hold', lockKey, token });
  }

  /** Stops extending a lock held with `token` (the job finished or was handed back); a later hold of the same key with another token stays. */
  release(lockKey: string, token: string): void {
    if (this.shared.release(lockKey, token) || this.locks.get(lockKey) !== token) return;
    this.locks.delete(lockKey);
    this.thread.postMessage({ type: 'release', lockKey });
  }

  /** Beats now, out of turn: reads the held jobs' cancel records at once (the worker's subscriber has just reconnected). */
  beatNow(): void {
    if (!this.stopping) this.thread.postMessage({ type: 'beat' });
  }

  /** Stops beating and deletes the key: a worker that stops on purpose is not reported as lost. */
  stop(timeoutMs = 2_000): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      const thread = this.thread;
      const finish = (): void => {
        clearTimeout(timer);
        void thread.terminate().then(() => resolve());
      };
      const timer = setTimeout(finish, timeoutMs);
      thread.on('message', (m: ThreadMessage) => {
        if (m.type === 'stopped') finish();
      });
      thread.once('exit', finish);
      thread.postMessage({ type: 'stop' });
    });
    return this.stopping;
  }

  private watch(thread: Worker): void {
    thread.on('error', () => undefined);
    thread.on('message', (m: ThreadMessage) => {
      if (m.type === 'cancelled') this.options.onCancelled?.(m.jobId);
    });
    thread.once('exit', (code) => {
      if (this.stopping || thread !== this.thread) return;
      this.log(`the heartbeat thread stopped (exit ${code}); starting it again`);
      this.thread = spawnThread(this.options, this.shared);
      for (const [lockKey, token] of this.locks) this.thread.postMessage({ type: 'hold', lockKey, token });
      this.watch(this.thread);
    });
  }
}

/** Past this many locks at once (2 MiB of table), the rest go by message. */
const MAX_LOCK_SLOTS = 4096;

function spawnThread(options: HeartbeatOptions, shared: SharedLocks): Worker {
  // Only what survives structured cloning: the retry strategy is the thread's own.
  const { retryStrategy: _, ...plain } = redisOptions(options.url, false);
  const thread = new Worker(THREAD_CODE, {
    eval: true,
    // The thread needs no loader (tsx, source conditions): it loads ioredis by its resolved path.
    execArgv: [],
    workerData: {
      ioredis: createRequire(import.meta.url).resolve('ioredis'),
      key: options.key,
      workersKey: options.workersKey,
      workerId: options.workerId,
      value: JSON.stringify(options.value),
      intervalMs: options.intervalMs,
      ttlMs: options.value.ttlMs,
      lockMs: options.lockMs,
      options: plain,
      sharedLocks: shared.buffer,
      cancelledKeyPrefix: options.cancelledKeyPrefix,
    },
  });
  thread.unref();
  return thread;
}
