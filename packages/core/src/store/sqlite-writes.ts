import { finishTransaction, sqliteErrorCode } from './sqlite-driver.ts';
import type { SqliteDatabase } from './sqlite-driver.ts';

/** How often a write asks again for a lock another connection holds: soon at first, then every 10 ms. */
function retryDelayMs(waitedMs: number): number {
  return waitedMs < 20 ? 1 : 10;
}

/**
 * How long a write gives way to this process's own checkpointer thread at most, beyond the busy
 * timeout: the thread holds the lock for a copy and two fsyncs, and lets go of it when it is gone.
 */
const OWN_THREAD_MAX_WAIT_MS = 10_000;

/** When a write asked for the lock, and how long the queue had given way to the checkpointer thread by then. */
interface AskedFor {
  at: number;
  yielded: number;
}

/**
 * The write transactions of one SQLite connection, which wait for another connection's write lock
 * with the event loop free. SQLite's busy handler sleeps in the calling thread: a write that met
 * the lock held (another process writing or running `VACUUM`, the checkpointer thread completing
 * the WAL) held the event loop, its timers, HTTP server and heartbeats, for as long as it waited,
 * up to the busy timeout. Here the lock is asked for without the busy handler and, while another
 * connection holds it, asked for again on a timer until the busy timeout has passed, when the
 * write fails with SQLite's own SQLITE_BUSY error. The time a write gives way to this process's
 * own checkpointer thread does not count against the busy timeout. Writes begin in the order
 * they were asked for: one that finds others waiting waits behind them.
 */
export class SqliteWrites {
  private readonly noWait = 'PRAGMA busy_timeout = 0';
  private readonly restoreWait: string;
  /** The last write waiting for the lock, until it began (or failed). */
  private lastWaiting: Promise<void> | undefined;
  /** All the time the queue has given way to this process's checkpointer thread. */
  private yieldedMs = 0;

  /**
   * @param ensureOpen throws when the store was closed (checked before each try).
   * @param ownThreadHolds true while this process's checkpointer thread wants or holds the write
   *   lock (`SqliteCheckpointer.completing`): no write begins meanwhile.
   */
  constructor(
    private readonly db: SqliteDatabase,
    private readonly busyTimeoutMs: number,
    private readonly ensureOpen: () => void,
    private readonly ownThreadHolds: () => boolean = () => false,
  ) {
    this.restoreWait = `PRAGMA busy_timeout = ${busyTimeoutMs}`;
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction: committed if it returns, rolled back if it throws.
   * With the lock free and nobody waiting, `fn` runs before this returns, as a synchronous
   * transaction would.
   */
  run<T>(fn: () => T): Promise<T> {
    return this.whenLocked(
      () => this.atOnce(() => this.db.exec('BEGIN IMMEDIATE')),
      () => finishTransaction(this.db, fn),
    );
  }

  /**
   * Runs one statement that takes the write lock by itself and cannot run inside a transaction
   * (`VACUUM`), waiting for the lock in the same way.
   */
  alone(statement: string): Promise<void> {
    return this.whenLocked(
      () => this.atOnce(() => this.db.exec(statement)),
      () => undefined,
    );
  }

  /** `lock` tries once (undefined when it took the lock, else SQLite's busy error); `then` follows it at once. */
  private whenLocked<T>(lock: () => unknown, then: () => T): Promise<T> {
    try {
      if (this.lastWaiting || this.ownThreadHolds()) return this.waitThenRun(lock, then, undefined);
      const busy = lock();
      if (busy === undefined) return Promise.resolve(then());
      return this.waitThenRun(lock, then, busy);
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  private async waitThenRun<T>(lock: () => unknown, then: () => T, busy: unknown): Promise<T> {
    const asked: AskedFor = { at: performance.now(), yielded: this.yieldedMs };
    const ahead = this.lastWaiting;
    let begun!: () => void;
    const mine = new Promise<void>((resolve) => (begun = resolve));
    this.lastWaiting = mine;
    try {
      if (ahead) await ahead;
      await this.lock(lock, busy, asked);
    } finally {
      if (this.lastWaiting === mine) this.lastWaiting = undefined;
      begun();
    }
    return then();
  }

  /**
   * Tries `lock` until it takes the lock (`busy`: the error of a try just made). Throws the busy
   * error once other connections have held the lock for the busy timeout since the write was
   * asked for (the writes ahead of it in the queue waited for the same lock), not counting the
   * time the queue gave way to this process's checkpointer thread, 10 s of it at most.
   */
  private async lock(lock: () => unknown, busy: unknown, asked: AskedFor): Promise<void> {
    let wait = busy !== undefined;
    for (;;) {
      if (wait) {
        const yielding = this.yieldsToOwnThread(asked);
        const sleptFrom = performance.now();
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs(sleptFrom - asked.at)));
        if (yielding) this.yieldedMs += performance.now() - sleptFrom;
      }
      wait = true;
      if (this.yieldsToOwnThread(asked)) continue;
      busy = lock();
      if (busy === undefined) return;
      if (this.othersMs(asked) >= this.busyTimeoutMs) throw busy;
    }
  }

  /** Whether the write gives way to this process's checkpointer thread now: while it holds the lock, 10 s at most. */
  private yieldsToOwnThread(asked: AskedFor): boolean {
    return this.ownThreadHolds() && this.yieldedMs - asked.yielded < OWN_THREAD_MAX_WAIT_MS;
  }

  /** How long other connections have held the lock since the write was asked for. */
  private othersMs(asked: AskedFor): number {
    return performance.now() - asked.at - (this.yieldedMs - asked.yielded);
  }

  /**
   * Runs `step` with SQLite's busy handler off (`busy_timeout` 0), so that a lock another
   * connection holds makes it fail or answer busy at once instead of sleeping in this thread;
   * throws when the store was closed.
   */
  withoutWaiting<T>(step: () => T): T {
    this.ensureOpen();
    this.db.exec(this.noWait);
    try {
      return step();
    } finally {
      this.db.exec(this.restoreWait);
    }
  }

  /** Runs `step`, which takes the write lock, if the lock is free now: undefined, or SQLite's busy error. */
  private atOnce(step: () => void): unknown {
    try {
      this.withoutWaiting(step);
      return undefined;
    } catch (e) {
      if (sqliteErrorCode(e) === 'SQLITE_BUSY') return e;
      throw e;
    }
  }
}
