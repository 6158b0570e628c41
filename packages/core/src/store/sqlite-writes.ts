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
    const askedAt = performance.now();
    const ahead = this.lastWaiting;
    let begun!: () => void;
    const mine = new Promise<void>((resolve) => (begun = resolve));
    this.lastWaiting = mine;
    try {
      if (ahead) await ahead;
      await this.lock(lock, busy, askedAt);
    } finally {
      if (this.lastWaiting === mine) this.lastWaiting = undefined;
      begun();
    }
    return then();
  }

  /**
   * Tries `lock` until it takes the lock (`busy`: the error of a try just made). Throws the busy
   * error once other connections have held the lock for the busy timeout since `askedAt` (the
   * writes ahead in the queue waited for the same lock); while this process's checkpointer thread
   * holds it, waits without trying and without counting, 10 s at most.
   */
  private async lock(lock: () => unknown, busy: unknown, askedAt: number): Promise<void> {
    const ownThreadDeadline = askedAt + this.busyTimeoutMs + OWN_THREAD_MAX_WAIT_MS;
    let othersMs = 0;
    let since = askedAt;
    let tried = busy !== undefined;
    for (;;) {
      if (tried) await new Promise((resolve) => setTimeout(resolve, retryDelayMs(performance.now() - askedAt)));
      tried = true;
      if (this.ownThreadHolds() && performance.now() < ownThreadDeadline) {
        since = performance.now();
        continue;
      }
      busy = lock();
      if (busy === undefined) return;
      const now = performance.now();
      othersMs += now - since;
      since = now;
      if (othersMs >= this.busyTimeoutMs) throw busy;
    }
  }

  /** Runs `step`, which takes the write lock, if the lock is free now: undefined, or SQLite's busy error. */
  private atOnce(step: () => void): unknown {
    this.ensureOpen();
    this.db.exec(this.noWait);
    try {
      step();
      return undefined;
    } catch (e) {
      if (sqliteErrorCode(e) === 'SQLITE_BUSY') return e;
      throw e;
    } finally {
      this.db.exec(this.restoreWait);
    }
  }
}
