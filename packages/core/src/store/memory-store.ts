import type { RunEvent } from '../core/events.ts';
import type { AppendOptions, DecisionRequest, ListRunsOptions, OwnershipStore, ReleaseOptions, RunOwner, RunOwnership, RunRecord, RunStore, RunStoreRetention, SpaceReport } from '../core/contracts.ts';
import {
  checkAppendOrder,
  checkNewRun,
  compareNewestFirst,
  fencedError,
  FIRST_FENCE,
  pagingRunNotFoundError,
  resolveAfterSeq,
  resolveListLimit,
  runExistsError,
  runNotFoundError,
  runRunningError,
  statusAfter,
  storeClosedError,
} from './journal-rules.ts';
import type { NewRunRecord } from './journal-rules.ts';
import { kept } from '../core/kept-objects.ts';
import { SlotMap } from '../core/slot-map.ts';
import { isFinalStatus } from '../core/types.ts';

interface MemoryRun {
  /** The record as of the last append, except updatedAt, which is kept as `updatedMs`. */
  record: RunRecord;
  /** Date.now() of the last append (formatting an ISO string per append would dominate it). */
  updatedMs: number | undefined;
  events: RunEvent[];
  /** Its events counted in {@link MemoryRunStore}'s finished total, while it is a finished run kept. */
  countedEvents: number;
  fence: number;
  ownerId: string | undefined;
  /** The owner that handed the run over, until the next claim. */
  handedOverBy: string | undefined;
  cancelRequested: string | undefined;
}

/** How many finished runs a {@link MemoryRunStore} keeps by default. */
export const DEFAULT_MAX_FINISHED_RUNS = 1000;

/**
 * How many events of finished runs a {@link MemoryRunStore} keeps by default: a run of 1,000 tasks
 * has ~2,000 events (~400 KB), so a bound on runs alone let 1,000 of them hold ~400 MB.
 */
export const DEFAULT_MAX_FINISHED_EVENTS = 100_000;

/** Bounds on what a {@link MemoryRunStore} keeps of runs that have ended. */
export interface MemoryRunStoreOptions {
  /**
   * Finished runs kept: once more have ended, the ones that ended first are forgotten (their
   * events, record and ownership). Default {@link DEFAULT_MAX_FINISHED_RUNS}; `Infinity` keeps
   * every run for the life of the process. Runs still going are never forgotten.
   */
  maxFinishedRuns?: number;
  /**
   * Events of finished runs kept, all runs together: once more are held, the runs that ended
   * first are forgotten, but never the one that ended last. Default
   * {@link DEFAULT_MAX_FINISHED_EVENTS} (a W1 run of ten tasks has 24 events, a run of 1,000
   * tasks ~2,000); `Infinity` leaves the bound to the other two.
   */
  maxFinishedEvents?: number;
  /**
   * Finished runs are forgotten once this many milliseconds have passed since they ended (checked
   * whenever a run starts or ends). Default: no age limit.
   */
  maxFinishedAgeMs?: number;
}

/**
 * A RunStore held in process memory: for tests, `baton plan`, embedding in a program and runs
 * nobody will resume. It keeps every run until it ends, then the last
 * {@link MemoryRunStoreOptions.maxFinishedRuns} finished runs (1,000 by default), fewer when they
 * hold more than {@link MemoryRunStoreOptions.maxFinishedEvents} events (100,000 by default), so a
 * long-lived process does not grow with every run it ever made; a forgotten run reads as unknown.
 *
 * Appending is O(events appended): events are kept by reference, not copied or serialised, so
 * callers must treat an event as immutable once appended (the scheduler does).
 */
export class MemoryRunStore implements RunStore, OwnershipStore, RunStoreRetention {
  /**
   * Every run kept, by id. Runs come and go through it: a plain Map's old tables had the runs it
   * had forgotten promoted, events and all (~2.2 KB of the 2.5 KB promoted per W1 run with 10
   * finished runs kept; see SlotMap).
   */
  private readonly runs = new SlotMap<string, MemoryRun>();
  /** Finished runs in the order they ended, with Date.now() when they did. */
  private readonly finished = new Map<string, number>();
  private readonly owners = new Map<string, { owner: RunOwner; heartbeatMs: number }>();
  private readonly maxFinishedRuns: number;
  private readonly maxFinishedEvents: number;
  private readonly maxFinishedAgeMs: number;
  /** The events of the finished runs kept, all together. */
  private finishedEvents = 0;
  /** Decision requests by run, then by key. */
  private readonly decisions = new Map<string, Map<string, DecisionRequest>>();
  private closed = false;

  constructor(options: MemoryRunStoreOptions = {}) {
    this.maxFinishedRuns = bound('maxFinishedRuns', options.maxFinishedRuns, DEFAULT_MAX_FINISHED_RUNS);
    this.maxFinishedEvents = bound('maxFinishedEvents', options.maxFinishedEvents, DEFAULT_MAX_FINISHED_EVENTS);
    this.maxFinishedAgeMs = bound('maxFinishedAgeMs', options.maxFinishedAgeMs, Infinity);
  }

  async createRun(record: NewRunRecord): Promise<void> {
    this.ensureOpen();
    this.createNow(record);
  }

  private createNow(record: NewRunRecord): void {
    checkNewRun(record);
    if (this.runs.has(record.runId)) throw runExistsError(record.runId);
    if (this.maxFinishedAgeMs !== Infinity) this.forgetOldRuns(Date.now());
    const stored: RunRecord = kept({
      runId: record.runId,
      goal: record.goal,
      status: 'running',
      createdAt: record.createdAt,
      updatedAt: record.createdAt,
      eventCount: 0,
    });
    if (record.manifestFile !== undefined) stored.manifestFile = record.manifestFile;
    const owned = record.owner !== undefined;
    if (record.owner) this.heartbeatNow(record.owner);
    this.runs.set(
      record.runId,
      kept<MemoryRun>({
        record: stored,
        updatedMs: undefined,
        events: [],
        countedEvents: 0,
        fence: owned ? FIRST_FENCE : 0,
        ownerId: record.owner?.id,
        handedOverBy: undefined,
        cancelRequested: undefined,
      }),
    );
  }

  async createRunWithEvents(record: NewRunRecord, events: RunEvent[]): Promise<void> {
    this.ensureOpen();
    checkAppendOrder(record.runId, 0, events);
    this.createNow(record);
    this.appendNow(record.runId, events, undefined);
  }

  async append(runId: string, events: RunEvent[], options?: AppendOptions): Promise<void> {
    this.ensureOpen();
    this.appendNow(runId, events, options);
  }

  private appendNow(runId: string, events: RunEvent[], options: AppendOptions | undefined): void {
    const run = this.runs.get(runId);
    if (!run) throw runNotFoundError(runId);
    if (options?.fence !== undefined && options.fence !== run.fence) throw fencedError(runId, options.fence, run.fence);
    if (events.length === 0) return;
    checkAppendOrder(runId, run.events.length, events);
    for (const event of events) run.events.push(event);
    run.record.eventCount = run.events.length;
    const now = Date.now();
    run.updatedMs = now;
    const status = statusAfter(events);
    if (status === undefined) {
      if (run.countedEvents > 0) this.count(run, run.events.length);
      return;
    }
    run.record.status = status;
    if (!isFinalStatus(status)) {
      this.finished.delete(runId);
      this.count(run, 0);
      return;
    }
    run.ownerId = undefined;
    run.cancelRequested = undefined;
    this.decisions.delete(runId);
    this.finished.delete(runId);
    this.finished.set(runId, now);
    this.count(run, run.events.length);
    this.forgetOldRuns(now);
  }

  /** Counts `events` of `run` (0: none, it is no longer a finished run kept) in the finished total. */
  private count(run: MemoryRun, events: number): void {
    this.finishedEvents += events - run.countedEvents;
    run.countedEvents = events;
  }

  /** Forgets the finished runs beyond the bounds, the ones that ended first first. */
  private forgetOldRuns(now: number): void {
    for (const [runId, endedMs] of this.finished) {
      const tooMany = this.finished.size > this.maxFinishedRuns || (this.finishedEvents > this.maxFinishedEvents && this.finished.size > 1);
      if (!tooMany && now - endedMs <= this.maxFinishedAgeMs) return;
      this.forget(runId);
    }
  }

  private forget(runId: string): void {
    const run = this.runs.get(runId);
    if (run) this.count(run, 0);
    this.finished.delete(runId);
    this.runs.delete(runId);
  }

  async readEvents(runId: string, afterSeq?: number): Promise<RunEvent[]> {
    this.ensureOpen();
    const after = resolveAfterSeq(runId, afterSeq);
    const run = this.runs.get(runId);
    if (!run) throw runNotFoundError(runId);
    // seqs are contiguous from 1, so event seq n sits at index n-1.
    return run.events.slice(after);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    this.ensureOpen();
    const run = this.runs.get(runId);
    return run ? snapshot(run) : undefined;
  }

  async listRuns(options: ListRunsOptions = {}): Promise<RunRecord[]> {
    this.ensureOpen();
    const limit = resolveListLimit(options.limit);
    let runs = [...this.runs.values()];
    if (options.before !== undefined) {
      const before = this.runs.get(options.before)?.record;
      if (!before) throw pagingRunNotFoundError(options.before);
      runs = runs.filter((r) => compareNewestFirst(r.record, before) > 0);
    }
    if (options.status !== undefined) runs = runs.filter((r) => r.record.status === options.status);
    return runs
      .sort((a, b) => compareNewestFirst(a.record, b.record))
      .slice(0, limit)
      .map(snapshot);
  }

  async deleteRun(runId: string): Promise<boolean> {
    this.ensureOpen();
    const run = this.runs.get(runId);
    if (!run) return false;
    if (!isFinalStatus(run.record.status)) throw runRunningError(runId);
    this.forget(runId);
    return true;
  }

  /** Nothing to reclaim: deleted runs are garbage once unreferenced. */
  async reclaimSpace(): Promise<SpaceReport | undefined> {
    this.ensureOpen();
    return undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async heartbeat(owner: RunOwner): Promise<void> {
    this.ensureOpen();
    this.heartbeatNow(owner);
  }

  async retire(ownerId: string): Promise<void> {
    this.ensureOpen();
    this.owners.delete(ownerId);
    for (const run of this.runs.values()) if (run.ownerId === ownerId) run.ownerId = undefined;
  }

  async claim(runId: string, owner: RunOwner, expectedFence: number): Promise<number | undefined> {
    this.ensureOpen();
    const run = this.runs.get(runId);
    if (!run || run.fence !== expectedFence || isFinalStatus(run.record.status)) return undefined;
    this.heartbeatNow(owner);
    run.fence++;
    run.ownerId = owner.id;
    run.handedOverBy = undefined;
    return run.fence;
  }

  async release(runId: string, ownerId: string, fence: number, options?: ReleaseOptions): Promise<void> {
    this.ensureOpen();
    const run = this.runs.get(runId);
    if (!run || run.ownerId !== ownerId || run.fence !== fence) return;
    run.ownerId = undefined;
    if (options?.handedOver) run.handedOverBy = ownerId;
  }

  async unfinished(limit = 1000): Promise<RunOwnership[]> {
    this.ensureOpen();
    return [...this.runs.values()]
      .filter((r) => !isFinalStatus(r.record.status))
      .sort((a, b) => -compareNewestFirst(a.record, b.record))
      .slice(0, limit)
      .map((r) => this.ownershipOf(r));
  }

  async ownership(runId: string): Promise<RunOwnership | undefined> {
    this.ensureOpen();
    const run = this.runs.get(runId);
    return run ? this.ownershipOf(run) : undefined;
  }

  async requestCancel(runId: string, reason: string): Promise<void> {
    this.ensureOpen();
    const run = this.runs.get(runId);
    if (!run) throw runNotFoundError(runId);
    if (!isFinalStatus(run.record.status)) run.cancelRequested ??= reason;
  }

  async requests(ownerId: string): Promise<{ runId: string; cancel: string }[]> {
    this.ensureOpen();
    const out: { runId: string; cancel: string }[] = [];
    for (const run of this.runs.values()) if (run.ownerId === ownerId && run.cancelRequested !== undefined) out.push({ runId: run.record.runId, cancel: run.cancelRequested });
    return out;
  }

  async requestDecision(request: DecisionRequest): Promise<boolean> {
    this.ensureOpen();
    const run = this.runs.get(request.runId);
    if (!run) throw runNotFoundError(request.runId);
    if (isFinalStatus(run.record.status)) return false;
    let byKey = this.decisions.get(request.runId);
    if (!byKey) this.decisions.set(request.runId, (byKey = new Map()));
    if (byKey.has(request.key)) return false;
    byKey.set(request.key, structuredClone(request));
    return true;
  }

  async decisionRequests(query: { ownerId: string } | { runId: string }): Promise<DecisionRequest[]> {
    this.ensureOpen();
    const out: DecisionRequest[] = [];
    for (const [runId, byKey] of this.decisions) {
      const run = this.runs.get(runId);
      if (!run || isFinalStatus(run.record.status)) continue;
      if ('runId' in query ? query.runId !== runId : run.ownerId !== query.ownerId) continue;
      for (const r of byKey.values()) out.push(structuredClone(r));
    }
    return out.sort((a, b) => (a.requestedAt < b.requestedAt ? -1 : a.requestedAt > b.requestedAt ? 1 : 0));
  }

  async clearDecision(runId: string, requestId: string): Promise<void> {
    this.ensureOpen();
    const byKey = this.decisions.get(runId);
    if (!byKey) return;
    for (const [key, r] of byKey) if (r.id === requestId) byKey.delete(key);
    if (byKey.size === 0) this.decisions.delete(runId);
  }

  private heartbeatNow(owner: RunOwner): void {
    const known = this.owners.get(owner.id);
    // Every run this process creates heartbeats the same owner: refresh it rather than copy it again.
    if (known && known.owner.host === owner.host && known.owner.pid === owner.pid && known.owner.startedAt === owner.startedAt) known.heartbeatMs = Date.now();
    else this.owners.set(owner.id, { owner: { ...owner }, heartbeatMs: Date.now() });
  }

  private ownershipOf(run: MemoryRun): RunOwnership {
    const o: RunOwnership = { runId: run.record.runId, status: run.record.status, fence: run.fence, updatedAgeMs: Date.now() - (run.updatedMs ?? Date.parse(run.record.createdAt)) };
    const owner = run.ownerId === undefined ? undefined : this.owners.get(run.ownerId);
    if (owner) {
      o.owner = { ...owner.owner };
      o.heartbeatAgeMs = Date.now() - owner.heartbeatMs;
    }
    if (run.cancelRequested !== undefined) o.cancelRequested = run.cancelRequested;
    if (run.handedOverBy !== undefined) o.handedOverBy = run.handedOverBy;
    return o;
  }

  private ensureOpen(): void {
    if (this.closed) throw storeClosedError('memory');
  }
}

function bound(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(value >= 0)) throw new RangeError(`MemoryRunStore: ${name} must be a number >= 0 (or Infinity), got ${String(value)}`);
  return value;
}

/** A copy of the run's record, safe to hand out. */
function snapshot(run: MemoryRun): RunRecord {
  const record = { ...run.record };
  if (run.updatedMs !== undefined) record.updatedAt = new Date(run.updatedMs).toISOString();
  return record;
}
