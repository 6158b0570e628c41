import { BatonError } from '../core/errors.ts';
import type { RunEvent } from '../core/events.ts';
import type { RunOwner, RunRecord } from '../core/contracts.ts';
import type { RunStatus } from '../core/types.ts';
import { leaseMs } from '../execution/owner-identity.ts';

/**
 * The semantics every RunStore backend shares (memory, SQLite, PostgreSQL), written once so the
 * backends cannot drift apart. The conformance suite in `test/store/` checks them on each backend.
 */

/** `listRuns` returns this many runs when no limit is given. */
export const DEFAULT_LIST_LIMIT = 50;
/** `listRuns` never returns more than this many runs, whatever limit is asked for. */
export const MAX_LIST_LIMIT = 500;

const RUN_STATUSES: ReadonlySet<string> = new Set<RunStatus>(['running', 'awaiting-approval', 'succeeded', 'partial', 'failed', 'cancelled']);

/**
 * How recent a heartbeat of a run's owner lets createRun skip writing another: 100 ms, or an
 * eighth of a shorter lease (BATON_LEASE_MS, read at each creation, as the lease is read where it
 * is used). A run is then committed with its owner's heartbeat at most this old (twice this in the
 * PostgreSQL journal, which also counts on one on its way), well within the lease after which
 * other processes take its runs over.
 */
export function ownerBeatReuseMs(): number {
  return Math.min(100, leaseMs() / 8);
}

/** The record fields a caller supplies to `createRun`. */
export type NewRunRecord = Omit<RunRecord, 'eventCount' | 'updatedAt' | 'status'> & { owner?: RunOwner };

/** The createdAt of the last run record checked: runs started in the same millisecond share it (no parse each). */
let lastValidCreatedAt = new Date(0).toISOString();

/** Rejects a new run record a store could not list or page correctly. */
export function checkNewRun(record: NewRunRecord): void {
  if (typeof record.runId !== 'string' || record.runId.length === 0) {
    throw new BatonError('BAD_REQUEST', 'createRun: runId must be a non-empty string', { retryable: false });
  }
  if (typeof record.goal !== 'string') {
    throw new BatonError('BAD_REQUEST', `createRun(${record.runId}): goal must be a string`, {
      runId: record.runId,
      retryable: false,
    });
  }
  if (record.createdAt === lastValidCreatedAt) return;
  if (typeof record.createdAt !== 'string' || Number.isNaN(Date.parse(record.createdAt))) {
    throw new BatonError(
      'BAD_REQUEST',
      `createRun(${record.runId}): createdAt must be an ISO-8601 timestamp such as ${new Date(0).toISOString()}, got ${JSON.stringify(record.createdAt)}`,
      { runId: record.runId, retryable: false },
    );
  }
  lastValidCreatedAt = record.createdAt;
}

/**
 * Checks a batch on its own: every event belongs to `runId`, the first seq is a whole number
 * >= 1 and the seqs that follow it have no gap or repeat. Needs no journal access.
 */
export function checkBatch(runId: string, events: readonly RunEvent[]): void {
  const first = events[0]?.seq ?? 1;
  if (!Number.isInteger(first) || first < 1) {
    throw new BatonError('INTERNAL', `append to run ${runId}: event seqs count from 1, got seq ${first}`, { runId, retryable: false });
  }
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as RunEvent;
    if (event.runId !== runId) {
      throw new BatonError(
        'INTERNAL',
        `append to run ${runId}: event seq ${event.seq} (${event.type}) belongs to run ${event.runId}; append each run's events to that run`,
        { runId, retryable: false },
      );
    }
    if (event.seq !== first + i) {
      throw new BatonError(
        'INTERNAL',
        `append to run ${runId}: expected event seq ${first + i}, got ${event.seq} (${event.type}); seqs must have no gap or repeat`,
        { runId, retryable: false },
      );
    }
  }
}

/**
 * Checks that a batch starting at `firstSeq` continues a journal holding `eventCount` events.
 * A seq already journaled means a second writer; a gap means events were lost.
 */
export function checkContinues(runId: string, eventCount: number, firstSeq: number): void {
  if (firstSeq === eventCount + 1) return;
  if (firstSeq <= eventCount) throw concurrentAppendError(runId, firstSeq);
  throw new BatonError(
    'INTERNAL',
    `append to run ${runId}: expected event seq ${eventCount + 1}, got ${firstSeq}; the journal holds ${eventCount} events and seqs must continue it with no gap`,
    { runId, retryable: false },
  );
}

/** Both checks: `events` are a valid batch that continues a journal of `eventCount` events. */
export function checkAppendOrder(runId: string, eventCount: number, events: readonly RunEvent[]): void {
  checkBatch(runId, events);
  const first = events[0];
  if (first) checkContinues(runId, eventCount, first.seq);
}

/** A seq that is already journaled was appended again: two writers are driving one run. */
export function concurrentAppendError(runId: string, seq: number, cause?: unknown): BatonError {
  return new BatonError(
    'INTERNAL',
    `run ${runId} was appended to concurrently at seq ${seq}: another orchestrator process is driving this run`,
    { runId, retryable: false, cause },
  );
}

/**
 * The status a batch of events leaves the run in: the last `run.ended` sets its final status,
 * `run.resumed` sets it back to `running`, a request for a decision makes it `awaiting-approval`
 * and a decision `running` again, unless others still wait. Undefined when the batch does not
 * change the status.
 */
export function statusAfter(events: readonly RunEvent[]): RunStatus | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i] as RunEvent;
    if (event.type === 'run.ended') return event.status;
    if (event.type === 'run.resumed') return 'running';
    if (event.type === 'approval.requested') return 'awaiting-approval';
    if (event.type === 'approval.decided') return event.waiting > 0 ? 'awaiting-approval' : 'running';
  }
  return undefined;
}

/** SQL for "the run has not ended": its status is one of these (stores keep owner and requests until it ends). */
export const UNFINISHED_STATUSES_SQL = `('running', 'awaiting-approval')`;

/**
 * SQL for "the run has ended": `status NOT IN` these is the condition of the `runs_unfinished` index
 * (schema version 3), which a query can use only if it names the condition word for word.
 */
export const FINAL_STATUSES_SQL = `('succeeded', 'partial', 'failed', 'cancelled')`;

/** Resolves `afterSeq` of `readEvents`: 0 (every event) when omitted. */
export function resolveAfterSeq(runId: string, afterSeq: number | undefined): number {
  if (afterSeq === undefined) return 0;
  if (!Number.isInteger(afterSeq) || afterSeq < 0) {
    throw new BatonError('BAD_REQUEST', `readEvents(${runId}): afterSeq must be a whole number >= 0, got ${afterSeq}`, {
      runId,
      retryable: false,
    });
  }
  return afterSeq;
}

/** Resolves `limit` of `listRuns`: DEFAULT_LIST_LIMIT when omitted, at most MAX_LIST_LIMIT. */
export function resolveListLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new BatonError('BAD_REQUEST', `listRuns: limit must be a whole number >= 1 (at most ${MAX_LIST_LIMIT} are returned), got ${limit}`, {
      retryable: false,
    });
  }
  return Math.min(limit, MAX_LIST_LIMIT);
}

/** Orders runs newest first: by createdAt, then by run id, both descending. */
export function compareNewestFirst(a: RunRecord, b: RunRecord): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  if (a.runId !== b.runId) return a.runId < b.runId ? 1 : -1;
  return 0;
}

/** Reads a status column back, failing clearly if the journal holds something else. */
export function parseRunStatus(value: string, runId: string): RunStatus {
  if (RUN_STATUSES.has(value)) return value as RunStatus;
  throw new BatonError('INTERNAL', `run ${runId} has unknown status ${JSON.stringify(value)} in the journal; was it written by a newer Baton?`, {
    runId,
    retryable: false,
  });
}

export function runNotFoundError(runId: string): BatonError {
  return new BatonError('RUN_NOT_FOUND', `run ${runId} is not in the journal: check the run id (\`baton runs list\` shows the runs)`, {
    runId,
    retryable: false,
  });
}

export function runExistsError(runId: string): BatonError {
  return new BatonError('BAD_REQUEST', `createRun: run ${runId} already exists in the journal; use a new run id (newRunId())`, {
    runId,
    retryable: false,
  });
}

export function pagingRunNotFoundError(runId: string): BatonError {
  return new BatonError('RUN_NOT_FOUND', `listRuns: the \`before\` run ${runId} is not in the journal; page with a run id from a previous listing`, {
    runId,
    retryable: false,
  });
}

/**
 * The journal's database could not be reached, or did not answer in time (refused, reset or
 * dropped connections, a connect or query timeout, a pool with no free connection, a lock held
 * past the busy timeout): nothing is wrong with the request, and the same call may succeed later.
 */
export function journalUnavailableError(message: string, cause: unknown): BatonError {
  return new BatonError('JOURNAL_UNAVAILABLE', message, { cause });
}

/** True for {@link journalUnavailableError}'s errors: try again later, or hand the work on. */
export function isJournalUnavailable(e: unknown): e is BatonError {
  return BatonError.isInstance(e) && e.code === 'JOURNAL_UNAVAILABLE';
}

export function storeClosedError(backend: string): BatonError {
  return new BatonError('INTERNAL', `the ${backend} run store is closed: open a new one (openStore) before using it`, {
    retryable: false,
  });
}

/** `deleteRun` of a run that is still running: it must end (or be cancelled) first. */
export function runRunningError(runId: string): BatonError {
  return new BatonError('RUN_RUNNING', `run ${runId} has not ended: cancel it first (\`baton runs cancel ${runId}\`), then delete it`, {
    runId,
    retryable: false,
  });
}

/** An append from a writer whose fencing token is no longer the run's: another process took the run. */
export function fencedError(runId: string, fence: number, current: number): BatonError {
  return new BatonError(
    'RUN_FENCED',
    `run ${runId} was taken over by another process (its fencing token is ${current}, this writer holds ${fence}); this process stops writing to it`,
    { runId, retryable: false },
  );
}

/** The fencing token a run gets with its first owner. */
export const FIRST_FENCE = 1;
