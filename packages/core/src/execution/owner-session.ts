import type { DecisionRequest, OwnershipStore, RunStore } from '../core/contracts.ts';
import { supportsOwnership } from '../store/ownership.ts';
import { leaseMs, PROCESS_OWNER } from './owner-identity.ts';
import { SlotMap } from '../core/slot-map.ts';

/** What the holder of a run is told of the requests other processes leave for it. */
export interface HeldRun {
  /** Called once when the run's owner is asked to cancel it (from another process). */
  onCancel: (reason: string) => void;
  /** Called with each decision left for the run (until the holder removes it from the journal). */
  onDecision?: (request: DecisionRequest) => Promise<void>;
}

interface Held {
  run: HeldRun;
  fence: number;
  cancelled: boolean;
  /** Decision requests being applied now (made on the first one). */
  applying: Set<string> | undefined;
}

const sessions = new WeakMap<RunStore, OwnerSession>();

/**
 * This process as the owner of the runs it executes on one journal: while it holds any, it
 * heartbeats about every second and reads the requests other processes left for its runs
 * (a cancel from `baton runs cancel` or another replica's API, a decision from `baton runs approve`).
 * One per store and process.
 */
export class OwnerSession {
  private readonly held = new SlotMap<string, Held>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  private constructor(private readonly store: RunStore & OwnershipStore) {}

  /** The session of `store`, or undefined when the store does not record ownership. */
  static of(store: RunStore): OwnerSession | undefined {
    if (!supportsOwnership(store)) return undefined;
    let s = sessions.get(store);
    if (!s) {
      s = new OwnerSession(store);
      sessions.set(store, s);
    }
    return s;
  }

  /** Holds a run with its fencing token until {@link letGo} is called with the same `run`. */
  hold(runId: string, fence: number, run: HeldRun): void {
    this.held.set(runId, { run, fence, cancelled: false, applying: undefined });
    this.startTimer();
  }

  /**
   * Stops holding a run, if `run` still holds it. The timer stops at its next beat once nothing is
   * held: runs that follow one another keep one timer instead of making and clearing one each.
   */
  letGo(runId: string, run: HeldRun): void {
    if (this.held.get(runId)?.run === run) this.held.delete(runId);
  }

  /** Runs held by this process now. */
  runs(): string[] {
    return [...this.held.keys()];
  }

  /** One heartbeat and one read of requests, now (tests and the takeover sweep call it too). */
  tick(): Promise<void> {
    this.ticking ??= this.beat().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async beat(): Promise<void> {
    try {
      await this.store.heartbeat(PROCESS_OWNER);
      if (this.held.size === 0) return;
      for (const r of await this.store.requests(PROCESS_OWNER.id)) {
        const h = this.held.get(r.runId);
        if (!h || h.cancelled) continue;
        h.cancelled = true;
        h.run.onCancel(r.cancel);
      }
      for (const d of await this.store.decisionRequests({ ownerId: PROCESS_OWNER.id })) {
        const h = this.held.get(d.runId);
        if (!h?.run.onDecision || h.applying?.has(d.id)) continue;
        const applying = (h.applying ??= new Set());
        applying.add(d.id);
        void h.run.onDecision(d).finally(() => applying.delete(d.id));
      }
    } catch {
      // A journal that cannot be reached now is tried again at the next beat; the lease covers the gap.
    }
  }

  private startTimer(): void {
    if (this.timer) return;
    // Every second (or a fifth of a shorter lease): a cancel asked from elsewhere lands within about a second.
    const every = Math.max(100, Math.min(1_000, Math.floor(leaseMs() / 5)));
    this.timer = setInterval(() => {
      if (this.held.size === 0) this.stopTimer();
      else void this.tick();
    }, every);
    this.timer.unref();
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
