import type { ResumeOptions, RunHandle } from '../orchestrator.ts';
import type { Orchestrator } from '../orchestrator.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import { supportsOwnership } from '../store/ownership.ts';
import { isJournalUnavailable } from '../store/journal-rules.ts';
import { END_NOT_JOURNALED, leaseMs, ownerGone, PROCESS_OWNER } from './owner-identity.ts';
import type { OwnershipStore } from '../core/contracts.ts';

export interface TakeoverOptions {
  /** How often to look (default: every 2 s, or half a shorter lease). */
  intervalMs?: number;
  /** Told of each run taken over here (its handle, and why its owner was judged gone). */
  onTakeover?: (handle: RunHandle, why: string) => void;
  /** Told when a sweep could not read the journal (it tries again at the next). */
  onError?: (message: string) => void;
  /** How the runs taken over are carried on (e.g. let go again while they wait for a decision). */
  resume?: ResumeOptions;
}

/** The first wait before a run whose takeover failed (for a reason other than the journal) is tried again; each failure doubles it. */
export const RETRY_FIRST_MS = 10_000;
/** The longest such wait. */
export const RETRY_MAX_MS = 10 * 60_000;

/**
 * Takes over the runs whose owner is gone, so no run needs a person to reach its end: on this host
 * at once when the owning process is dead, elsewhere when its heartbeat is older than the lease.
 * Also carries on the runs that ended in this very process without their end journaled (the
 * journal could not be reached: see `Orchestrator.endedUnjournaled`), once the journal answers.
 * Of several processes sweeping one journal (replicas of `baton serve`), one wins each run: a
 * claim is a compare-and-set on its fencing token. Each run continues under the manifest it
 * journaled; what it finished before is not run again.
 */
export class TakeoverSweeper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<RunHandle[]> | undefined;
  private stopped = false;
  /** Runs whose takeover failed for a reason other than the journal: when each may be tried again. */
  private readonly retries = new Map<string, { at: number; waitMs: number }>();
  /** Requests left for runs waiting here (`<run id> <request>`) that a sweep has carried a run on for. */
  private readonly takenRequests = new Set<string>();

  constructor(
    private readonly orchestrator: Orchestrator,
    private readonly options: TakeoverOptions = {},
  ) {}

  /** Sweeps now, then every interval until `stop`. */
  start(): void {
    if (this.timer) return;
    this.stopped = false;
    void this.sweep();
    const every = this.options.intervalMs ?? Math.min(2_000, Math.max(100, Math.floor(leaseMs() / 2)));
    this.timer = setInterval(() => void this.sweep(), every);
    this.timer.unref();
  }

  /**
   * Sweeps no more. A sweep under way takes no further run; the promise settles once it has
   * ended, so the caller knows every run this sweeper took over (a server about to hand its runs
   * over, or cancel them, misses none).
   */
  stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopped = true;
    return this.sweeping ? this.sweeping.then(() => undefined) : Promise.resolve();
  }

  /** One sweep: the handles of the runs taken over (none when the journal records no ownership). */
  sweep(): Promise<RunHandle[]> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  /**
   * The runs that wait here for their next try after ending unjournaled again (see
   * `Orchestrator.endedUnjournaled`) and that another process left a cancel or a decision for: the
   * journal shows them as this live process's, so the request waits for this process, which takes
   * it by carrying the run on now rather than after its wait. Once per request: one that stays in
   * the journal (its run ended unjournaled again) waits for the run's next try, as the run does.
   */
  private async askedOfWaitingRuns(store: OwnershipStore): Promise<string[]> {
    const waiting = new Set(this.orchestrator.endedUnjournaled('all'));
    for (const key of this.takenRequests) if (!waiting.has(key.slice(0, key.indexOf(' ')))) this.takenRequests.delete(key);
    if (waiting.size === 0) return [];
    const asked: string[] = [];
    const take = (runId: string, request: string): void => {
      const key = `${runId} ${request}`;
      if (!waiting.has(runId) || this.takenRequests.has(key)) return;
      this.takenRequests.add(key);
      asked.push(runId);
    };
    try {
      for (const r of await store.requests(PROCESS_OWNER.id)) take(r.runId, `cancel:${r.cancel}`);
      for (const d of await store.decisionRequests({ ownerId: PROCESS_OWNER.id })) take(d.runId, d.id);
    } catch {
      // Read again at the next sweep.
    }
    return asked;
  }

  private async sweepOnce(): Promise<RunHandle[]> {
    const store = this.orchestrator.store;
    if (!supportsOwnership(store)) return [];
    let unfinished;
    try {
      unfinished = await store.unfinished();
    } catch (e) {
      this.options.onError?.(`takeover sweep: ${errorMessage(e)}`);
      return [];
    }
    const lease = leaseMs();
    const mine = new Set(this.orchestrator.activeRuns());
    const candidates = new Map<string, string>();
    for (const o of unfinished) {
      if (mine.has(o.runId)) continue;
      const why = ownerGone(o, lease);
      if (why) candidates.set(o.runId, why);
    }
    // Whatever the journal now says of them (`resume` tells): unfinished runs past the sweep's page too.
    for (const runId of this.orchestrator.endedUnjournaled()) if (!mine.has(runId) && !candidates.has(runId)) candidates.set(runId, END_NOT_JOURNALED);
    for (const runId of await this.askedOfWaitingRuns(store)) if (!candidates.has(runId)) candidates.set(runId, END_NOT_JOURNALED);
    for (const runId of this.retries.keys()) if (!candidates.has(runId)) this.retries.delete(runId);
    const taken: RunHandle[] = [];
    const now = Date.now();
    for (const [runId, why] of candidates) {
      if (this.stopped) break;
      const retry = this.retries.get(runId);
      if (retry && retry.at > now) continue;
      try {
        const handle = await this.orchestrator.resume(runId, this.options.resume);
        this.retries.delete(runId);
        taken.push(handle);
        // The run's end is its own business; a failure to end is in its result.
        handle.result.catch((e: unknown) => this.options.onError?.(`run ${runId} (taken over): ${errorMessage(e)}`));
        this.options.onTakeover?.(handle, why);
      } catch (e) {
        // Another process claimed it first, or it ended meanwhile: nothing to do.
        if (BatonError.isInstance(e) && (e.code === 'RUN_NOT_RESUMABLE' || e.code === 'RUN_NOT_FOUND')) {
          this.retries.delete(runId);
          continue;
        }
        // A journal that cannot be reached is tried at the next sweep, as the sweep's own read is;
        // any other failure would most likely fail the same way every sweep.
        let again = '';
        if (!isJournalUnavailable(e)) {
          const waitMs = retry ? Math.min(retry.waitMs * 2, RETRY_MAX_MS) : RETRY_FIRST_MS;
          this.retries.set(runId, { at: Date.now() + waitMs, waitMs });
          again = ` (tried again in ${Math.round(waitMs / 1000)} s)`;
        }
        this.options.onError?.(`run ${runId}: ${errorMessage(e)}${again}`);
      }
    }
    return taken;
  }
}
