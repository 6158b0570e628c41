import type { Worker } from 'node:worker_threads';
import { startPackageThread } from './package-thread.ts';
import { scanForTokens } from './proc-scan.ts';

/** One scan asked of the thread. */
export interface ScanRequest {
  id: number;
  /** Not reported even if it carries a token: the asking process. */
  exceptPid: number;
}
/** What the thread answers: every live process carrying an agent token, with its token. */
export type ScanReply = { id: number; found: Array<[number, string]> } | { id: number; error: string };

/**
 * How long a scan may take before it is given up (a normal one takes ~15 ms over 1,000 processes,
 * plus up to 1 s for processes met inside execve): a read of /proc that blocks (a process stuck
 * on a dead NFS mount holds its memory map) would otherwise hold the attempt waiting for it.
 */
const SCAN_TIMEOUT_MS = 15_000;
/** A thread with no scan for this long is ended (it costs a few MB); the next scan starts another. */
const IDLE_MS = 30_000;

type Found = Array<[number, string]>;

/** One thread and the scans it was asked for. */
class ScanThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, (found: Found) => void>();
  private nextId = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Set once it must take no more scans (stuck, failed, exited or idle). */
  done = false;

  constructor(private readonly onDone: (thread: ScanThread) => void) {
    this.worker = startPackageThread(import.meta.url, 'proc-scan-thread');
    this.worker.unref();
    this.worker.on('message', (reply: ScanReply) => this.answered(reply));
    // A thread that fails or exits before it answers leaves its scans to this thread.
    this.worker.on('error', () => this.end(true));
    this.worker.on('exit', () => this.end(true));
    this.idle();
  }

  scan(): Promise<Found> {
    clearTimeout(this.idleTimer);
    const id = ++this.nextId;
    const answer = new Promise<Found>((resolve) => this.pending.set(id, resolve));
    this.worker.ref();
    this.worker.postMessage({ id, exceptPid: process.pid } satisfies ScanRequest);
    const timer = setTimeout(() => this.end(false), SCAN_TIMEOUT_MS);
    return answer.finally(() => clearTimeout(timer));
  }

  private answered(reply: ScanReply): void {
    const resolve = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    resolve?.('found' in reply ? reply.found : scanHere());
    if (this.pending.size === 0) {
      this.worker.unref();
      this.idle();
    }
  }

  private idle(): void {
    this.idleTimer = setTimeout(() => this.end(false), IDLE_MS);
    this.idleTimer.unref();
  }

  /**
   * Takes no more scans and ends the thread. A thread that failed leaves its scans to be done in
   * this thread; one that is stuck in a read of /proc gives them up (they find nothing: the
   * agent's process group was signalled already), and is left unreferenced.
   */
  private end(failed: boolean): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.idleTimer);
    this.onDone(this);
    for (const resolve of this.pending.values()) resolve(failed ? scanHere() : []);
    this.pending.clear();
    this.worker.unref();
    void this.worker.terminate().catch(() => undefined);
  }
}

function scanHere(): Found {
  try {
    return scanForTokens(process.pid);
  } catch {
    return [];
  }
}

let current: ScanThread | undefined;

function thread(): ScanThread {
  if (current === undefined || current.done) {
    current = new ScanThread((ended) => {
      if (current === ended) current = undefined;
    });
  }
  return current;
}

/**
 * Every live process other than this one that carries an agent token, with its token, read from
 * /proc in a thread of its own so this event loop never waits on /proc.
 */
export function scanAgentProcesses(): Promise<Found> {
  return thread().scan();
}

/** Starts the scanning thread ahead of the first scan, so its start does not delay that scan. */
export function warmProcScanner(): void {
  thread();
}
