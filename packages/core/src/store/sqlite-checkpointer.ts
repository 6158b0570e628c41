import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { within } from '../core/within.ts';

/**
 * WAL pages after which the checkpointer thread completes the WAL (see {@link SqliteCheckpointer}),
 * so that the writer starts it again from its beginning. A pass finds it there some pages later:
 * under writes that never pause the WAL file reached 14-26 MiB (docs/performance.md).
 */
export const THREAD_COMPLETES_PAGES = 3000;

/**
 * WAL pages after which the writing connection checkpoints by itself, as SQLite's default 1000
 * does, should the checkpointer thread fall behind or be gone: the WAL stays bounded (~32 MiB).
 */
export const WRITER_CHECKPOINT_PAGES = 8000;

/**
 * How long closing waits for the thread to stop by itself: far more than its longest step (a
 * completing checkpoint waits COMPLETE_WAIT_MS for the lock, then syncs twice).
 */
export const CLOSE_WAIT_MS = 5000;

/** How long a checkpoint waits after a write, so that one pass copies the pages of many commits. */
const GATHER_MS = 20;

/**
 * How long the thread's completing checkpoint waits for the write lock and for readers of older
 * pages; writers wait for it meanwhile (this process's with its event loop free: `SqliteWrites`).
 * When a reader keeps it from finishing, the next try waits until the WAL is twice as long.
 */
const COMPLETE_WAIT_MS = 20;

// Runs in the worker, as CommonJS. state[0] counts the writer's commits, state[1] is set to stop,
// state[2] while the thread completes the WAL (this process's writer then lets it have the lock).
// Sleeps until a commit, lets more gather, copies the WAL into the database file (PASSIVE: never
// waits for or blocks the writer, readers or another process), and closes its connection on stop.
// Under writes that never pause, a PASSIVE pass never copies the frames committed while it ran,
// so the WAL cannot start again from its beginning; past THREAD_COMPLETES_PAGES a FULL checkpoint,
// holding the write lock, copies the rest and syncs (the writer's own checkpoint did, in COMMIT,
// its event loop held for the ~10-20 ms of two fsyncs). SQLite's busy handler would rarely find
// the lock free between the commits of a busy writer, so state[2] asks this process's writer to
// begin no transaction meanwhile.
export const CHECKPOINTER_SOURCE = `
const { workerData } = require('node:worker_threads');
const state = new Int32Array(workerData.state);
function open() {
  if (workerData.driver === 'better-sqlite3') return new (require(workerData.betterSqlite))(workerData.file, { fileMustExist: true });
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return new (process.getBuiltinModule('node:sqlite').DatabaseSync)(workerData.file);
  } finally {
    process.emitWarning = emitWarning;
  }
}
const db = open();
try {
  const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  const complete = db.prepare('PRAGMA wal_checkpoint(FULL)');
  db.exec('PRAGMA busy_timeout = 0');
  let seen = 0;
  // After a completion that a reader of older pages kept from finishing, the WAL frames it waits
  // for: twice as many, so that a reader that never lets go costs a few tries, not one per pass.
  let completeAt = workerData.completePages;
  while (Atomics.load(state, 1) === 0) {
    Atomics.wait(state, 0, seen);
    if (Atomics.load(state, 1) !== 0) break;
    Atomics.wait(state, 1, 0, workerData.gatherMs);
    seen = Atomics.load(state, 0);
    try {
      const pass = checkpoint.get();
      const log = Number(pass.log);
      // A pass that met another checkpoint says busy and log -1: it tells nothing of the WAL.
      if (Number(pass.busy) === 0 && log < workerData.completePages) completeAt = workerData.completePages;
      // Not only when the pass left frames behind: its counts are of the WAL as the pass began,
      // and the writer has committed more since.
      if (log >= completeAt) {
        db.exec('PRAGMA busy_timeout = ' + workerData.completeWaitMs);
        Atomics.store(state, 2, 1);
        try {
          const full = complete.get();
          if (Number(full.busy) !== 0) completeAt = 2 * log;
        } finally {
          Atomics.store(state, 2, 0);
          db.exec('PRAGMA busy_timeout = 0');
        }
      }
    } catch {
      // Busy (another process is checkpointing) or a passing I/O error: the next commit retries,
      // and the writer checkpoints by itself past WRITER_CHECKPOINT_PAGES. (A completion kept
      // from finishing is no error: its row says busy.)
    }
  }
} finally {
  db.close();
}
`;

/**
 * Checkpoints a SQLite journal's WAL from a worker thread, so that copying pages into the
 * database file and its two fsyncs do not stall the event loop of the process that writes (they
 * used to land on one commit in ~45, a pause of milliseconds). Under writes that never pause it
 * also completes the WAL past {@link THREAD_COMPLETES_PAGES}, holding the write lock while it
 * syncs, which this process's writes wait for with the event loop free. Started by the first
 * commit, so a process that only reads the journal starts no thread; the thread never keeps the
 * process alive.
 */
export class SqliteCheckpointer {
  private readonly state = new Int32Array(new SharedArrayBuffer(12));
  private worker: Worker | undefined;
  private exited: Promise<void> | undefined;
  private stopped = false;

  /**
   * @param onFailure called once if the thread cannot run (the writer then checkpoints as before).
   * @param thread what the thread runs ({@link CHECKPOINTER_SOURCE}), and how long closing waits for it: tests change both.
   */
  constructor(
    private readonly file: string,
    private readonly driver: 'node:sqlite' | 'better-sqlite3',
    private readonly onFailure: () => void,
    private readonly thread = { source: CHECKPOINTER_SOURCE, closeWaitMs: CLOSE_WAIT_MS },
  ) {}

  /** True while the thread runs. */
  get running(): boolean {
    return this.worker !== undefined && !this.stopped;
  }

  /**
   * True while the thread completes the WAL: the writing connection begins no transaction
   * meanwhile (it would rarely let the thread find the write lock free), but waits with its event
   * loop free. The thread holds it for ~2 fsyncs, as the writer's own checkpoint did.
   */
  get completing(): boolean {
    return Atomics.load(this.state, 2) === 1;
  }

  /** After each commit of the writing connection: starts the thread once, then wakes it. */
  committed(): void {
    if (this.stopped) return;
    if (!this.worker) this.start();
    Atomics.add(this.state, 0, 1);
    Atomics.notify(this.state, 0);
  }

  private start(): void {
    const workerData: Record<string, unknown> = {
      file: this.file,
      driver: this.driver,
      state: this.state.buffer,
      gatherMs: GATHER_MS,
      completePages: THREAD_COMPLETES_PAGES,
      completeWaitMs: COMPLETE_WAIT_MS,
    };
    if (this.driver === 'better-sqlite3') workerData['betterSqlite'] = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(this.thread.source, { eval: true, workerData, stdout: true, stderr: true });
    worker.unref();
    this.exited = new Promise((resolve) => {
      worker.once('exit', () => {
        // A thread gone while it completed the WAL must not leave the writer waiting for it.
        Atomics.store(this.state, 2, 0);
        resolve();
      });
      worker.once('error', () => {
        if (!this.stopped) this.onFailure();
        this.stopped = true;
      });
    });
    this.worker = worker;
  }

  /**
   * Stops the thread and waits until it closed its connection, {@link CLOSE_WAIT_MS} at most: then
   * the thread is terminated, so that no close of the journal (a command's last step) waits for ever.
   */
  async close(): Promise<void> {
    this.stopped = true;
    const worker = this.worker;
    if (!worker) return;
    Atomics.store(this.state, 1, 1);
    Atomics.store(this.state, 2, 0);
    // Counted as a commit too: a thread that read the stop flag as unset just before it was set
    // goes on to sleep until the commit count moves from the one it saw. A notify alone, sent
    // before that sleep began, woke nobody, and the thread slept for good.
    Atomics.add(this.state, 0, 1);
    Atomics.notify(this.state, 0);
    Atomics.notify(this.state, 1);
    // Held, or a process whose last task is this close would exit before the thread did.
    worker.ref();
    const stopped = await within(this.exited, this.thread.closeWaitMs);
    if ('problem' in stopped) await worker.terminate();
  }
}
