import { errorMessage } from '../core/errors.ts';
import type { BatonError } from '../core/errors.ts';
import type { FenceListener } from './journal.ts';
import type { RunLoop, StopReason } from './run-loop.ts';

/**
 * The one cancellation path of a run. Stopping it aborts `signal`, which reaches the planner, every
 * attempt (through the loop), the integrator and the jobs queued for workers; a stop that comes
 * before the loop exists is kept and applied when it attaches.
 */
export class RunControl implements FenceListener {
  reason: StopReason | undefined;
  /** True once the run is driven under a claim this process can give back (see `Orchestrator.handOver`). */
  releasable = false;
  private readonly controller = new AbortController();
  private loop: RunLoop | undefined;
  /** Rejects what {@link whileRunning} waits for. */
  private waiting: ((stopped: RunStopped) => void) | undefined;
  private journal: { handOver(): void } | undefined;
  /** Stopped because a write could not reach the journal (see {@link journalUnreachable}). */
  private journalLost = false;

  /** Why the run was stopped, if it was (a method, so callers re-read it after awaiting). */
  stopped(): StopReason | undefined {
    return this.reason;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True when the run was let go while it waits, or handed over: it goes on elsewhere, not here. */
  leftHere(): boolean {
    const kind = this.reason?.kind;
    return kind === 'detached' || kind === 'released';
  }

  /** Throws the reason the run was stopped, if it was (without making the signal). */
  throwIfStopped(): void {
    if (this.reason) throw new RunStopped(this.reason);
  }

  stop(reason: StopReason): void {
    if (this.reason) {
      // Stopped for want of its journal, the run is carried on later from what was stored: a
      // cancel (or its timeout, or a budget) that comes meanwhile is how that must end it.
      if (this.journalLost && (reason.kind === 'cancelled' || reason.kind === 'timeout' || reason.kind === 'budget')) {
        this.journalLost = false;
        this.reason = reason;
      }
      return;
    }
    this.reason = reason;
    // Before the abort: what the aborted attempts and tasks would journal stays out of the journal.
    if (reason.kind === 'released') {
      this.loop?.journalUsageInFlight();
      this.journal?.handOver();
    }
    this.controller.abort(new RunStopped(reason));
    this.loop?.stop(reason);
    // A turn later: a planner that answers its aborted signal at once (with the usage it spent) is heard first.
    const waiting = this.waiting;
    if (waiting) setImmediate(() => waiting(new RunStopped(reason)));
  }

  /**
   * `work`'s outcome, or a {@link RunStopped} rejection as soon as the run is stopped: a planner
   * that ignores its signal cannot keep the run from ending. One at a time (the run's planning);
   * without an abort listener, which costs more than this per run.
   */
  whileRunning<T>(work: T | PromiseLike<T>): Promise<T> {
    const settling = Promise.resolve(work);
    if (this.reason) {
      settling.catch(() => undefined);
      return Promise.reject(new RunStopped(this.reason));
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting = reject;
      settling.then(
        (value) => {
          this.waiting = undefined;
          resolve(value);
        },
        (e: unknown) => {
          this.waiting = undefined;
          reject(e as Error);
        },
      );
    });
  }

  /** Another process took the run over (its journal refused a write): this process stops it. */
  runFenced(error: BatonError): void {
    this.stop({ kind: 'lost', message: error.message });
  }

  /**
   * A write of the run failed for want of its journal: the run stops here at once (its attempts in
   * flight are aborted), rather than run agents whose results nothing will record and whose work
   * the takeover does again.
   */
  journalUnreachable(error: unknown): void {
    if (this.reason) return;
    this.stop({ kind: 'lost', message: `its journal could not be reached: ${errorMessage(error)}` });
    this.journalLost = true;
  }

  /** The run's journal, which a `released` stop hands over. */
  writesTo(journal: { handOver(): void }): void {
    this.journal = journal;
    // Handed over before its journal was made (while the run waited to begin).
    if (this.reason?.kind === 'released') journal.handOver();
  }

  /** True when no attempt of the run is in flight. */
  idle(): boolean {
    return !this.loop || this.loop.idle();
  }

  attach(loop: RunLoop): void {
    this.loop = loop;
    if (this.reason) loop.stop(this.reason);
  }
}

/** The abort reason of a stopped run's signal. */
export class RunStopped extends Error {
  constructor(readonly stop: StopReason) {
    super(stop.message);
    this.name = stop.kind === 'timeout' ? 'TimeoutError' : 'AbortError';
  }
}
