import type { RunEvent } from '../core/events.ts';
import type { ListRunsOptions, RunRecord, RunStore, RunStoreRetention, SpaceReport } from '../core/contracts.ts';
import {
  checkAppendOrder,
  checkNewRun,
  compareNewestFirst,
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

interface MemoryRun {
  /** The record as of the last append, except updatedAt, which is kept as `updatedMs`. */
  record: RunRecord;
  /** Date.now() of the last append (formatting an ISO string per append would dominate it). */
  updatedMs: number | undefined;
  events: RunEvent[];
}

/**
 * A RunStore held in process memory: for tests, `baton plan` and runs nobody will resume.
 *
 * Appending is O(events appended): events are kept by reference, not copied or serialised, so
 * callers must treat an event as immutable once appended (the scheduler does).
 */
export class MemoryRunStore implements RunStore, RunStoreRetention {
  private readonly runs = new Map<string, MemoryRun>();
  private closed = false;

  async createRun(record: NewRunRecord): Promise<void> {
    this.ensureOpen();
    checkNewRun(record);
    if (this.runs.has(record.runId)) throw runExistsError(record.runId);
    const stored: RunRecord = {
      runId: record.runId,
      goal: record.goal,
      status: 'running',
      createdAt: record.createdAt,
      updatedAt: record.createdAt,
      eventCount: 0,
    };
    if (record.manifestFile !== undefined) stored.manifestFile = record.manifestFile;
    this.runs.set(record.runId, { record: stored, updatedMs: undefined, events: [] });
  }

  async append(runId: string, events: RunEvent[]): Promise<void> {
    this.ensureOpen();
    const run = this.runs.get(runId);
    if (!run) throw runNotFoundError(runId);
    if (events.length === 0) return;
    checkAppendOrder(runId, run.events.length, events);
    for (const event of events) run.events.push(event);
    run.record.eventCount = run.events.length;
    run.updatedMs = Date.now();
    const status = statusAfter(events);
    if (status !== undefined) run.record.status = status;
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
    if (run.record.status === 'running') throw runRunningError(runId);
    this.runs.delete(runId);
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

  private ensureOpen(): void {
    if (this.closed) throw storeClosedError('memory');
  }
}

/** A copy of the run's record, safe to hand out. */
function snapshot(run: MemoryRun): RunRecord {
  const record = { ...run.record };
  if (run.updatedMs !== undefined) record.updatedAt = new Date(run.updatedMs).toISOString();
  return record;
}
