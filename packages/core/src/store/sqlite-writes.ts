import { finishTransaction, sqliteErrorCode } from './sqlite-driver.ts';
import type { SqliteDatabase } from './sqlite-driver.ts';

/** How often a write asks again for a lock another connection holds: soon at first, then every 10 ms. */
function retryDelayMs(waitedMs: number): number {
  return waitedMs < 20 ? 1 : 10;
}

/**
 * The write transactions of one SQLite connection, which wait for another connection's write lock
 * with the event loop free. SQLite's busy handler sleeps in the calling thread: a write that met
 * the lock held (the checkpointer thread completing the WAL, another process writing or running
 * `VACUUM`) held the event loop, its timers, HTTP server and heartbeats, for as long as it waited,
 * up to the busy timeout. Here the lock is asked for without the busy handler and, while another
 * connection holds it, asked for again on a timer until the busy timeout has passed, when the
 * write fails with SQLite's own SQLITE_BUSY error. Transactions begin in the order they were
 * asked for: one that finds others waiting waits behind them.
 */
export class SqliteWrites {
  private readonly noWait = 'PRAGMA busy_timeout = 0';
  private readonly restoreWait: string;
  /** The last transaction waiting for the lock, until it began (or failed). */
  private lastWaiting: Promise<void> | undefined;

  /**
   * @param ensureOpen throws when the store was closed (checked before each try).
   * @param yieldLock true while this process's own checkpointer thread waits for the write lock
   *   (see `SqliteCheckpointer.completing`): no transaction begins meanwhile, until the busy timeout.
   */
  constructor(
    private readonly db: SqliteDatabase,
    private readonly busyTimeoutMs: number,
    private readonly ensureOpen: () => void,
    private readonly yieldLock: () => boolean = () => false,
  ) {
    this.restoreWait = `PRAGMA busy_timeout = ${busyTimeoutMs}`;
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction: committed if it returns, rolled back if it throws.
   * With the lock free and nobody waiting, `fn` runs before this returns, as a synchronous
   * transaction would.
   */
  run<T>(fn: () => T): Promise<T> {
    try {
      if (!this.lastWaiting && !this.yieldLock()) {
        const busy = this.beginAtOnce();
        if (busy === undefined) return Promise.resolve(finishTransaction(this.db, fn));
        return this.waitThenRun(fn, performance.now(), busy);
      }
      return this.waitThenRun(fn, performance.now(), undefined);
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  private async waitThenRun<T>(fn: () => T, askedAt: number, busy: unknown): Promise<T> {
    const ahead = this.lastWaiting;
    let begun!: () => void;
    const mine = new Promise<void>((resolve) => (begun = resolve));
    this.lastWaiting = mine;
    try {
      if (ahead) await ahead;
      let tried = busy !== undefined;
      for (;;) {
        if (tried) {
          const waited = performance.now() - askedAt;
          if (busy !== undefined && waited >= this.busyTimeoutMs) throw busy;
          await new Promise((resolve) => setTimeout(resolve, retryDelayMs(waited)));
        }
        tried = true;
        if (this.yieldLock() && performance.now() - askedAt < this.busyTimeoutMs) {
          busy = undefined;
          continue;
        }
        busy = this.beginAtOnce();
        if (busy === undefined) break;
      }
    } finally {
      if (this.lastWaiting === mine) this.lastWaiting = undefined;
      begun();
    }
    return finishTransaction(this.db, fn);
  }

  /** Begins a transaction if the write lock is free now: undefined, or SQLite's busy error. */
  private beginAtOnce(): unknown {
    this.ensureOpen();
    this.db.exec(this.noWait);
    try {
      this.db.exec('BEGIN IMMEDIATE');
      return undefined;
    } catch (e) {
      if (sqliteErrorCode(e) === 'SQLITE_BUSY') return e;
      throw e;
    } finally {
      this.db.exec(this.restoreWait);
    }
  }
}
