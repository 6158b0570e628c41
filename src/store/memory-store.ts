import type { RunEvent } from '../core/events.ts';
import type { ListRunsOptions, RunRecord, RunStore } from '../core/contracts.ts';
import {
  checkAppendOrder,
  checkNewRun,
  compareNewestFirst,
  pagingRunNotFoundError,
  resolveAfterSeq,
  resolveListLimit,
  runExistsError,
  runNotFoundError,
  statusAfter,
  storeClosedError,
} from './journal-rules.ts';
import type { NewRunRecord } from './journal-rules.ts';

interface MemoryRun {
  record: RunRecord;
  events: RunEvent[];
}

/**
 * A RunStore held in process memory: for tests, `baton plan` and runs nobody will resume.
 *
 * Appending is O(events appended): events are kept by reference, not copied or serialised, so
 * callers must treat an event as immutable once appended (the scheduler does).
 */
export class MemoryRunStore implements RunStore {
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
    this.runs.set(record.runId, { record: stored, events: [] });
  }

  async append(runId: string, events: RunEvent[]): Promise<void> {
    this.ensureOpen();
    const run = this.runs.get(runId);
    if (!run) throw runNotFoundError(runId);
    if (events.length === 0) return;
    checkAppendOrder(runId, run.events.length, events);
    for (const event of events) run.events.push(event);
    const record = run.record;
    record.eventCount = run.events.length;
    record.updatedAt = new Date().toISOString();
    const status = statusAfter(events);
    if (status !== undefined) record.status = status;
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
    return run ? { ...run.record } : undefined;
  }

  async listRuns(options: ListRunsOptions = {}): Promise<RunRecord[]> {
    this.ensureOpen();
    const limit = resolveListLimit(options.limit);
    let records = [...this.runs.values()].map((r) => r.record);
    if (options.before !== undefined) {
      const before = this.runs.get(options.before)?.record;
      if (!before) throw pagingRunNotFoundError(options.before);
      records = records.filter((r) => compareNewestFirst(r, before) > 0);
    }
    if (options.status !== undefined) records = records.filter((r) => r.status === options.status);
    return records
      .sort(compareNewestFirst)
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private ensureOpen(): void {
    if (this.closed) throw storeClosedError('memory');
  }
}
