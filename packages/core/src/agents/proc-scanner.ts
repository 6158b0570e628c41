import type { Worker } from 'node:worker_threads';
import { startPackageThread } from './package-thread.ts';
import { liveStartTimeOf, scanForTokens, scanYielding } from './proc-scan.ts';
import type { ScanProgress } from './proc-scan.ts';

/** One scan asked of the thread. */
export interface ScanRequest {
  id: number;
  /** Not reported even if it carries a token: the asking process. */
  exceptPid: number;
  /** Processes not to read (a scan got stuck reading them). */
  skip: number[];
}
/** What the thread answers: every live process carrying an agent token, with its token. */
export interface ScanReply {
  id: number;
  found: Array<[number, string]>;
}

type Found = ScanReply['found'];
type Waiter = (found: Found) => void;

/**
 * A read of one process's environment that has not returned for this long is stuck: that process's
 * memory map is held and not let go (a fault on a dead NFS mount). A normal read takes ~14 µs.
 */
const STUCK_MS = 5_000;
const WATCH_MS = 1_000;
/** A thread with no scan for this long is ended (it costs ~10 MB); the next scan starts another. */
const IDLE_MS = 30_000;

/**
 * Processes whose environment a scan got stuck reading, with their start time: later scans pass
 * them by (a token they carry cannot be seen) until they are gone or that read returns.
 */
const unreadable = new Map<number, string>();

function skipped(): number[] {
  for (const [pid, start] of unreadable) if (liveStartTimeOf(pid) !== start) unreadable.delete(pid);
  return [...unreadable.keys()];
}

/** One thread and the scans it was asked for. */
class ScanThread {
  private readonly worker: Worker;
  private readonly progress: ScanProgress = new Int32Array(new SharedArrayBuffer(8));
  /** Those the scan in flight answers. */
  private inFlight: Waiter[] = [];
  /** Those who asked after it began (it may have passed their processes already): the next scan answers them all. */
  private next: Waiter[] = [];
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private watch: NodeJS.Timeout | undefined;
  /** Set once it takes no more scans (failed, stuck or idle). */
  done = false;

  constructor(private readonly onEnd: (thread: ScanThread, failed: boolean, waiting: Waiter[]) => void) {
    this.worker = startPackageThread(import.meta.url, 'proc-scan-thread', { workerData: { progress: this.progress.buffer } });
    this.worker.unref();
    this.worker.on('message', (reply: ScanReply) => this.answered(reply));
    this.worker.on('error', () => this.end(true));
    this.worker.on('exit', () => this.end(true));
    this.idle();
  }

  /** Answers `waiters` with the next scan that begins (at once when none runs). */
  scan(waiters: Waiter[]): void {
    clearTimeout(this.idleTimer);
    if (this.inFlight.length > 0) this.next.push(...waiters);
    else this.post(waiters);
  }

  private post(waiters: Waiter[]): void {
    this.inFlight = waiters;
    this.worker.ref();
    this.worker.postMessage({ id: ++this.nextId, exceptPid: process.pid, skip: skipped() } satisfies ScanRequest);
    let reads = Atomics.load(this.progress, 1);
    let movedAt = Date.now();
    // Unreferenced: the thread is referenced while it scans, and that keeps this process up.
    this.watch = setInterval(() => {
      const now = Atomics.load(this.progress, 1);
      const pid = Atomics.load(this.progress, 0);
      // Only a read of an environment can wait on another process; the rest (the thread's start,
      // listing /proc) cannot be what holds a scan.
      if (now !== reads || pid === 0) {
        reads = now;
        movedAt = Date.now();
      } else if (Date.now() - movedAt >= STUCK_MS) {
        const start = liveStartTimeOf(pid);
        if (start !== undefined) {
          unreadable.set(pid, start);
          // The read returned after all (the thread could then end): that process can be read again.
          this.worker.once('exit', () => {
            if (unreadable.get(pid) === start) unreadable.delete(pid);
          });
        }
        this.end(false);
      }
    }, WATCH_MS).unref();
  }

  private answered(reply: ScanReply): void {
    if (this.done) return;
    clearInterval(this.watch);
    const answered = this.inFlight;
    this.inFlight = [];
    for (const waiter of answered) waiter(reply.found);
    if (this.next.length > 0) {
      const next = this.next;
      this.next = [];
      this.post(next);
    } else {
      this.worker.unref();
      this.idle();
    }
  }

  private idle(): void {
    this.idleTimer = setTimeout(() => this.end(false), IDLE_MS).unref();
  }

  /**
   * Takes no more scans and ends the thread, handing those still waiting to the next one. A thread
   * stuck in a read cannot be ended: it is left unreferenced (and Node waits for it at exit, as it
   * waits for a thread of its pool stuck in the same read).
   */
  private end(failed: boolean): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.idleTimer);
    clearInterval(this.watch);
    const waiting = [...this.inFlight, ...this.next];
    this.inFlight = [];
    this.next = [];
    this.worker.unref();
    void this.worker.terminate().catch(() => undefined);
    this.onEnd(this, failed, waiting);
  }
}

let current: ScanThread | undefined;
/**
 * After a thread could not start or failed, scans run in this thread (with pauses) until this time;
 * then a thread is tried again (a failure may pass: out of memory, too many threads).
 */
let threadlessUntil = 0;
const THREADLESS_MS = 60_000;

function threadless(): boolean {
  return Date.now() < threadlessUntil;
}

function failedThread(): void {
  threadlessUntil = Date.now() + THREADLESS_MS;
}

function scanFor(waiters: Waiter[]): void {
  if (!threadless()) {
    try {
      if (current === undefined || current.done) current = new ScanThread(ended);
      current.scan(waiters);
      return;
    } catch {
      failedThread();
    }
  }
  for (const waiter of waiters) scanYielding(scanForTokens(process.pid, new Set(skipped()))).then(waiter, () => waiter([]));
}

function ended(thread: ScanThread, failed: boolean, waiting: Waiter[]): void {
  if (current === thread) current = undefined;
  if (failed) failedThread();
  if (waiting.length > 0) scanFor(waiting);
}

/**
 * Every live process other than this one that carries an agent token, with its token, read from
 * /proc in a thread of its own so that this event loop never waits on /proc. Scans asked for while
 * one runs share the next one.
 */
export function scanAgentProcesses(): Promise<Found> {
  return new Promise((resolve) => scanFor([resolve]));
}

/** Starts the scanning thread ahead of the first scan, so its start does not delay that scan. */
export function warmProcScanner(): void {
  if (threadless() || (current !== undefined && !current.done)) return;
  try {
    current = new ScanThread(ended);
  } catch {
    failedThread();
  }
}
