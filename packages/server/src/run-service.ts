import path from 'node:path';
import type { RunRecord, RunStore } from 'batonjs/internal';
import type { RunEvent } from 'batonjs/internal';
import { newRunId } from 'batonjs/internal';
import { reduceEvents } from 'batonjs/internal';
import { isFinalStatus } from 'batonjs/internal';
import { SlotMap } from 'batonjs/internal';
import type { ApprovalDecision, RunResult, RunStatus } from 'batonjs/internal';
import type { Logger } from 'batonjs/internal';
import type { CancelRequest, Orchestrator, RunHandle, RunOptions } from 'batonjs/internal';
import { EndedResultJson } from './ended-results.ts';
import { RunningResultFolds } from './journal-folds.ts';
import { SharedJournalReads } from './journal-reads.ts';
import type { LiveRuns } from './live-runs.ts';
import type { AttemptsSent } from './result-delta.ts';

/** What a client may give a run besides its goal (DESIGN section 9). */
export type RunInputs = Pick<RunOptions, 'params' | 'plan' | 'workflow'>;

/** One event stream's reads of a run: see {@link RunService.eventReader}. */
export interface RunEventReader {
  /** The run's events with seq > afterSeq, gap-free (shared objects: change nothing). */
  eventsAfter(afterSeq: number): Promise<RunEvent[]>;
  /** The run's result so far, not a copy (read it at once, change nothing); undefined when no such run exists. */
  result(): Promise<Readonly<RunResult> | undefined>;
  close(): void;
}

/** What became of a cancel asked over the API, wherever the run executes. */
export type CancelOutcome = CancelRequest;

/**
 * Starts runs for the HTTP and A2A endpoints and reads them back. Each run writes its files under
 * `<dataDir>/runs/<runId>/`; reads prefer the live state of runs in this process over the store.
 */
export class RunService {
  /** The runs started here and not settled (a SlotMap: see there why not a Map). */
  private readonly handles = new SlotMap<string, RunHandle>();
  /** Who waits for a run held here to stop here ({@link onStopHere}), by run. */
  private readonly stopListeners = new SlotMap<string, Set<() => void>>();
  /** The journal's events of runs streamed from the store, one copy per run. */
  private readonly journalReads: SharedJournalReads;
  /** The JSON of ended runs read from the journal, made once. */
  private readonly endedResults = new EndedResultJson();
  /** Running runs read from the journal, folded between reads. */
  private readonly runningFolds: RunningResultFolds;

  constructor(
    private readonly orchestrator: Orchestrator,
    readonly store: RunStore,
    private readonly live: LiveRuns,
    readonly dataDir: string,
    private readonly logger: Logger,
  ) {
    this.journalReads = new SharedJournalReads(store);
    this.runningFolds = new RunningResultFolds(store);
  }

  /** The folder of a run's files. */
  runDir(runId: string): string {
    return path.join(this.dataDir, 'runs', runId);
  }

  /**
   * Starts a run and resolves once it is journaled (its `run.started` event exists), so a
   * client may read it right after; the run itself goes on in the background.
   */
  async start(goal: string, runId = newRunId(), options: RunInputs = {}): Promise<RunHandle> {
    let onStarted: (() => void) | undefined;
    let journaled = false;
    const started = new Promise<void>((resolve) => {
      onStarted = resolve;
    });
    // A listener of the run is told after those of every run, LiveRuns among them (both of
    // stored events): once this hears run.started, reads of the run find it.
    const stop = this.orchestrator.on(
      (e: RunEvent) => {
        if (e.type !== 'run.started') return;
        journaled = true;
        onStarted?.();
      },
      { runId, stored: true },
    );
    let handle: RunHandle;
    try {
      // Bad parameters (or plan, or workflow) throw here, before anything is journaled.
      handle = this.orchestrator.start(goal, { ...options, runId, outDir: this.runDir(runId) });
    } catch (e) {
      stop();
      throw e;
    }
    this.handles.set(runId, handle);
    const settled = handle.result.then(
      (r) => {
        this.logger.debug({ runId, status: r.status }, 'run settled');
      },
      (e: unknown) => {
        this.logger.error({ runId, err: e }, 'run crashed');
      },
    );
    void settled.finally(() => {
      this.stoppedHere(handle);
      // Stopped here without ending (fenced by a process that took it over, or let go while it
      // waits): it goes on elsewhere, or here again later from the journal, which is read from now on.
      this.live.forget(runId);
    });
    try {
      await Promise.race([started, settled]);
    } finally {
      stop();
    }
    // The run could not even be journaled (the store refused it): the caller gets the error.
    if (!journaled) await handle.result.then(() => Promise.reject(new Error(`run ${runId} ended before it was journaled`)));
    return handle;
  }

  /** Follows a run this process took over from a process that is gone (see TakeoverSweeper). */
  adopt(handle: RunHandle, why: string): void {
    this.logger.info({ runId: handle.runId, why }, 'took over run');
    this.handles.set(handle.runId, handle);
    void handle.result.then(
      (r) => this.logger.info({ runId: handle.runId, status: r.status }, 'run taken over settled'),
      (e: unknown) => this.logger.warn({ runId: handle.runId, err: e }, 'run taken over did not settle here'),
    ).finally(() => this.stoppedHere(handle));
  }

  /** Runs started through this service and not yet settled. */
  active(): RunHandle[] {
    return this.handles.values();
  }

  /**
   * True when this process's record of the run's events is current: it saw the run start, and the
   * run has ended or still executes here. A run that stopped here without ending (fenced by another
   * process that took it over, or left waiting) goes on elsewhere, where this record does not follow
   * it; the record is forgotten once the run's handle settles.
   */
  private heldHere(runId: string): boolean {
    return this.live.has(runId) && (this.live.ended(runId) || this.orchestrator.isActive(runId));
  }

  /** The run's result so far, or undefined when no such run exists. */
  async result(runId: string): Promise<RunResult | undefined> {
    return (this.heldHere(runId) ? this.live.result(runId) : undefined) ?? reduceEvents(await this.store.readEvents(runId));
  }

  /**
   * {@link result} as JSON, for a response (a run held here is not copied first), with `seq`, the
   * last event it folds. Given `sinceSeq` (the `seq` of an earlier read), a run held here may be
   * answered with only what changed since, as {@link LiveRuns.resultSince} makes it: `delta` says
   * so. So may a running run read from the journal, once it is kept folded ({@link RunningResultFolds.since});
   * an ended one is always whole. `attempts` says how a delta sends a changed task's attempts (see `deltaJson`).
   */
  async resultRead(runId: string, sinceSeq?: number, attempts: AttemptsSent = 'all'): Promise<{ json: string; delta: boolean; seq?: number } | undefined> {
    if (this.heldHere(runId)) {
      // One turn of the event loop: the JSON and its seq are of the same state of the run.
      const seq = this.live.lastSeq(runId);
      const delta = sinceSeq === undefined ? undefined : this.live.resultSince(runId, sinceSeq, attempts);
      const json = delta ?? this.live.resultJson(runId);
      if (json !== undefined) return seq === undefined ? { json, delta: delta !== undefined } : { json, delta: delta !== undefined, seq };
    }
    // Kept JSON of a run deleted since (a prune, another process's delete) must not answer for it.
    const record = await this.store.getRun(runId);
    if (!record) {
      this.endedResults.forget(runId);
      this.runningFolds.forget(runId);
      return undefined;
    }
    const read = await this.endedResults.get(runId, () => this.runningFolds.read(runId, record), record.createdAt);
    const delta = read && sinceSeq !== undefined ? this.runningFolds.since(runId, sinceSeq, attempts) : undefined;
    if (delta) return { ...delta, delta: true };
    return read && { ...read, delta: false };
  }

  /** Lets go of what is kept for reads of runs from the journal (the server is closing). */
  close(): void {
    this.runningFolds.clear();
  }

  async exists(runId: string): Promise<boolean> {
    return this.live.has(runId) || (await this.store.getRun(runId)) !== undefined;
  }

  async record(runId: string): Promise<RunRecord | undefined> {
    return this.store.getRun(runId);
  }

  /**
   * Reads a run's events for an event stream: live ones while the run is held here, else the
   * journal's, read once for every stream of the run however slowly its clients read. Close it
   * when the stream ends.
   */
  eventReader(runId: string): RunEventReader {
    const stored = this.journalReads.open(runId);
    return {
      eventsAfter: async (afterSeq) => (this.heldHere(runId) ? this.live.eventsAfter(runId, afterSeq) : undefined) ?? stored.eventsAfter(afterSeq),
      // Read for itself, and let go once reduced: the shared copy holds only what streams still send.
      result: async () => (this.heldHere(runId) ? this.live.peek(runId) : undefined) ?? reduceEvents(await this.store.readEvents(runId)),
      close: stored.close,
    };
  }

  /** True when no more events will come for the run from this process or the store. */
  async finished(runId: string): Promise<boolean> {
    if (this.heldHere(runId)) return this.live.ended(runId);
    const record = await this.store.getRun(runId);
    return record === undefined || isFinalStatus(record.status);
  }

  /**
   * True when the run executes in this process and its events here are whole from its start (this
   * process started it): reads of it then follow each event at once. A run taken over or resumed
   * here is read from the store, which the journal writes a tick after each event.
   */
  followedHere(runId: string): boolean {
    return this.live.has(runId) && this.orchestrator.isActive(runId);
  }

  /** The run's status as its record in the journal says, without reading its events; undefined when there is no such run. */
  async recordedStatus(runId: string): Promise<RunStatus | undefined> {
    return (await this.store.getRun(runId))?.status;
  }

  /** True when the run executes in this process. */
  runsHere(runId: string): boolean {
    return this.orchestrator.isActive(runId);
  }

  /**
   * Calls `listener` once when the run, started or taken over through this service, stops executing
   * here: it ended, or it goes on elsewhere (another process took it over, or it was left waiting
   * for a decision). Returns the function that stops listening, or undefined (and never calls
   * `listener`) when this service holds no such run.
   */
  onStopHere(runId: string, listener: () => void): (() => void) | undefined {
    if (!this.handles.has(runId)) return undefined;
    let listeners = this.stopListeners.get(runId);
    if (!listeners) this.stopListeners.set(runId, (listeners = new Set()));
    listeners.add(listener);
    const added = listeners;
    return () => {
      added.delete(listener);
      if (added.size === 0 && this.stopListeners.get(runId) === added) this.stopListeners.delete(runId);
    };
  }

  /** The handle of a run stopped here: it is let go, and who waited for that told. */
  private stoppedHere(handle: RunHandle): void {
    const { runId } = handle;
    // Only this handle's run: it may have been taken back here since (adopt), under the same id.
    if (this.handles.get(runId) !== handle) return;
    this.handles.delete(runId);
    const listeners = this.stopListeners.get(runId);
    this.stopListeners.delete(runId);
    if (listeners) for (const listener of listeners) listener();
  }

  /**
   * Cancels a run wherever it executes: here at once; in another live process (a replica, a `baton
   * run`) by a request it picks up within about a second; a run whose process is gone is taken
   * over and ended here.
   */
  async cancel(runId: string, reason: string): Promise<CancelOutcome> {
    // A run that journaled run.ended is over, even while it still writes its files.
    const live = this.live.status(runId);
    if (live && isFinalStatus(live)) return { kind: 'ended', status: live };
    return this.orchestrator.requestCancel(runId, reason);
  }

  /**
   * Decides on a run that waits for a decision, wherever it is held, and answers with the result
   * once the decision is journaled: here at once; by another live process within `waitMs` (else
   * `recorded: false`, the decision kept in the journal for it); a run nobody held is taken over
   * and carried on here.
   */
  async decide(runId: string, decision: ApprovalDecision, waitMs = 10_000): Promise<{ recorded: boolean; result: RunResult }> {
    const outcome = await this.orchestrator.decide(runId, decision);
    switch (outcome.kind) {
      case 'decided':
        return { recorded: true, result: (await this.result(runId)) ?? outcome.result };
      case 'carried':
        this.adopt(outcome.handle, `carried on to record a decision by ${decision.by}`);
        return { recorded: true, result: (await this.result(runId)) ?? outcome.result };
      case 'requested': {
        const waited = await this.orchestrator.awaitDecision(runId, outcome.requestId, { timeoutMs: waitMs });
        if (waited.kind === 'carried') this.adopt(waited.handle, `its owner went away while a decision by ${decision.by} was waited for`);
        const result = waited.kind === 'recorded' ? waited.result : await this.result(runId);
        if (!result) throw new Error(`run ${runId} vanished while a decision was recorded`);
        return { recorded: waited.kind !== 'pending', result };
      }
    }
  }

}
