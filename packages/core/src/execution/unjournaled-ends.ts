import type { StopReason } from './run-loop.ts';

/** How many such runs one process remembers; past it, the rest wait for another process's sweep. */
const MAX_REMEMBERED = 10_000;
/** The wait before a run that ended unjournaled again, after being carried on, is carried on once more; it doubles each time. */
const FIRST_RETRY_MS = 10_000;
const MAX_RETRY_MS = 10 * 60_000;

interface UnjournaledEnd {
  /** How the run was stopped here, when carrying it on must end it the same way. */
  stop: StopReason | undefined;
  /** How many times it ended here unjournaled. */
  ends: number;
  /** Not carried on by the sweep before this time (`performance.now()`). */
  dueAt: number;
}

/**
 * The runs that ended in this process without their end journaled (the journal could not be
 * reached), for the takeover sweep to carry on once it answers. Each keeps how it was stopped
 * here, if it was (a cancel, the run's timeout, a budget, a start never confirmed to its caller):
 * carrying it on ends it so, instead of running its work again. A run that ends unjournaled again
 * once carried on (a journal that answers reads but not its writes) waits longer each time before
 * the next try, so its agents are not run over and over.
 */
export class UnjournaledEnds {
  private readonly entries = new Map<string, UnjournaledEnd>();

  /** `runId` ended here unjournaled, stopped by `stop` (or not stopped: it ran to its end). */
  ended(runId: string, stop: StopReason | undefined): void {
    const before = this.entries.get(runId);
    if (!before && this.entries.size >= MAX_REMEMBERED) return;
    const ends = (before?.ends ?? 0) + 1;
    const kept = stop && (stop.kind === 'cancelled' || stop.kind === 'timeout' || stop.kind === 'budget') ? stop : before?.stop;
    const dueAt = ends === 1 ? 0 : performance.now() + Math.min(FIRST_RETRY_MS * 2 ** (ends - 2), MAX_RETRY_MS);
    this.entries.set(runId, { stop: kept, ends, dueAt });
  }

  /**
   * `runId`, remembered here, is to end as `stop` says when carried on (a cancel asked while it
   * waits for the sweep), and is due at once.
   */
  stopped(runId: string, stop: StopReason): void {
    const entry = this.entries.get(runId);
    if (!entry) return;
    entry.stop = stop;
    entry.dueAt = 0;
  }

  /** Its end is journaled at last, or nothing of it is left for this process to carry on. */
  forget(runId: string): void {
    if (this.entries.size > 0) this.entries.delete(runId);
  }

  has(runId: string): boolean {
    return this.entries.has(runId);
  }

  /** How the run was stopped here, if carrying it on must stop it so. */
  stopOf(runId: string): StopReason | undefined {
    return this.entries.get(runId)?.stop;
  }

  /** Every run remembered, due or waiting out its back-off. */
  all(): string[] {
    return [...this.entries.keys()];
  }

  /** The runs the sweep may carry on now. */
  due(now = performance.now()): string[] {
    const ids: string[] = [];
    for (const [runId, entry] of this.entries) if (entry.dueAt <= now) ids.push(runId);
    return ids;
  }
}
