import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { openSqlite, sqliteErrorCode } from './sqlite-driver.ts';
import type { SqlValue, SqliteDatabase, SqliteStatement } from './sqlite-driver.ts';
import { SqliteWrites } from './sqlite-writes.ts';
import type { RunEvent } from '../core/events.ts';
import type { AppendOptions, DecisionRequest, ListRunsOptions, OwnershipStore, ReleaseOptions, RunOwner, RunOwnership, RunRecord, RunStore, RunStoreRetention, SpaceReport } from '../core/contracts.ts';
import { isFinalStatus } from '../core/types.ts';
import type { RunStatus } from '../core/types.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import {
  checkAppendOrder,
  checkBatch,
  checkContinues,
  checkNewRun,
  concurrentAppendError,
  fencedError,
  journalUnavailableError,
  FIRST_FENCE,
  pagingRunNotFoundError,
  resolveAfterSeq,
  resolveListLimit,
  runExistsError,
  runNotFoundError,
  runRunningError,
  statusAfter,
  storeClosedError,
  UNFINISHED_STATUSES_SQL,
  FINAL_STATUSES_SQL,
  ownerBeatReuseMs,
} from './journal-rules.ts';
import type { NewRunRecord } from './journal-rules.ts';
import { eventJson } from './event-json.ts';
import { migrateSqlite } from './sqlite-migrations.ts';
import { SqliteDecisions } from './sqlite-decisions.ts';
import { SqliteOwnership } from './sqlite-ownership.ts';
import { SqliteCheckpointer, WRITER_CHECKPOINT_PAGES } from './sqlite-checkpointer.ts';
import { RUN_COLUMNS, recordFromRow } from './sql-rows.ts';
import { EVENT_ROW_COLUMNS, extendedRow, insertEventRowsSql, packEventRows, unpackEventRow } from './sqlite-event-rows.ts';
import type { EventRow, FirstRow } from './sqlite-event-rows.ts';
import type { RunRow } from './sql-rows.ts';

export interface SqliteRunStoreOptions {
  /** The database file; its folder is created. `:memory:` gives a private in-memory database. */
  file: string;
  /**
   * How long a write waits for another connection's write lock before failing (default 5000 ms),
   * with the event loop free (another process writing or vacuuming the journal, the checkpointer
   * thread completing the WAL); also how long `reclaimSpace` waits for a reader or another
   * checkpoint to let go of the WAL before it truncates it. Reads wait in SQLite's busy handler.
   */
  busyTimeoutMs?: number;
}

/** Rows written by one INSERT statement at most (6 values each, far below SQLite's variable limit). */
const ROWS_PER_INSERT = 64;

interface PagingKey {
  created_at: string;
  run_id: string;
}

/**
 * The default journal: one SQLite file in WAL mode, which several processes (`baton serve`,
 * `baton runs list`) can read while one writes. Each `append` is one IMMEDIATE transaction,
 * so a batch of events is journaled entirely or not at all; its consecutive events share rows
 * (see `packEventRows`).
 */
export class SqliteRunStore implements RunStore, OwnershipStore, RunStoreRetention {
  /** The database file, resolved. */
  readonly file: string;
  private readonly db: SqliteDatabase;
  /** How long a write waits for another connection's lock; `PRAGMA busy_timeout` of the connection's reads. */
  private readonly busyTimeoutMs: number;
  private readonly insertRun: SqliteStatement;
  private readonly selectRun: SqliteStatement;
  private readonly selectPagingKey: SqliteStatement;
  private readonly selectEventCount: SqliteStatement;
  private readonly selectEvents: SqliteStatement;
  private readonly advanceRun: SqliteStatement;
  private readonly advanceEvents: SqliteStatement;
  private readonly selectFirstRow: SqliteStatement;
  private readonly extendFirstRow: SqliteStatement;
  private readonly deleteEvents: SqliteStatement;
  private readonly deleteRunRow: SqliteStatement;
  private readonly listStatements = new Map<string, SqliteStatement>();
  private readonly insertStatements = new Map<number, SqliteStatement>();
  private readonly selectFence: SqliteStatement;
  private readonly owners: SqliteOwnership;
  private readonly decisions: SqliteDecisions;
  private readonly checkpointer: SqliteCheckpointer | undefined;
  private readonly writes: SqliteWrites;

  constructor(options: SqliteRunStoreOptions) {
    const inMemory = options.file === ':memory:';
    this.file = inMemory ? options.file : resolve(options.file);
    if (!inMemory) {
      try {
        mkdirSync(dirname(this.file), { recursive: true });
      } catch (e) {
        throw new BatonError('INTERNAL', `cannot create the folder of the journal database ${this.file}: ${errorMessage(e)}`, {
          retryable: false,
          cause: e,
        });
      }
    }
    this.busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000));
    let db: SqliteDatabase | undefined;
    try {
      db = openSqlite(this.file);
      db.exec(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`);
      // Takes effect only on a new file (before its tables exist): pruned runs' pages can then be
      // given back without rewriting the file. Older journals keep theirs until a full VACUUM.
      db.exec('PRAGMA auto_vacuum = INCREMENTAL');
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec('PRAGMA foreign_keys = ON');
      migrateSqlite(db, this.file);
    } catch (e) {
      db?.close();
      throw openError(this.file, e, this.busyTimeoutMs);
    }
    this.db = db;
    this.insertRun = db.prepare(
      'INSERT INTO runs (run_id, goal, status, created_at, updated_at, manifest_file, event_count, fence, owner_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.selectRun = db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = ?`);
    this.selectPagingKey = db.prepare('SELECT created_at, run_id FROM runs WHERE run_id = ?');
    // From the row that holds the event after `after` (a row may hold several), found by the key.
    this.selectEvents = db.prepare(
      `SELECT seq, last_seq, body FROM events
        WHERE run_id = @runId AND seq >= coalesce((SELECT max(seq) FROM events WHERE run_id = @runId AND seq <= @after + 1), 0)
        ORDER BY seq`,
    );
    this.selectEventCount = db.prepare('SELECT event_count FROM runs WHERE run_id = ?');
    // Bumps the run only if it holds exactly the events before the batch: the check and the
    // update are one statement, and a miss is explained afterwards.
    // A fenced writer must hold the run's current token; an ended run has no owner and no request.
    this.advanceRun = db.prepare(
      `UPDATE runs SET event_count = event_count + @count, status = coalesce(@status, status), updated_at = @now,
              owner_id = CASE WHEN @status IS NOT NULL AND @status NOT IN ${UNFINISHED_STATUSES_SQL} THEN NULL ELSE owner_id END,
              cancel_requested = CASE WHEN @status IS NOT NULL AND @status NOT IN ${UNFINISHED_STATUSES_SQL} THEN NULL ELSE cancel_requested END
        WHERE run_id = @runId AND event_count = @before AND (@fence IS NULL OR fence = @fence)`,
    );
    // The same for a batch that leaves the status alone: naming no indexed column, it rewrites only
    // the run's row, not its entries in the status, owner and unfinished indexes (3 pages a batch).
    this.advanceEvents = db.prepare(
      `UPDATE runs SET event_count = event_count + @count, updated_at = @now
        WHERE run_id = @runId AND event_count = @before AND (@fence IS NULL OR fence = @fence)`,
    );
    // Only a first row the batch continues (it holds every event before it): any later append finds
    // none by the key, without reading a body of up to ROW_CHARS.
    this.selectFirstRow = db.prepare('SELECT last_seq, body FROM events WHERE run_id = ? AND seq = 1 AND coalesce(last_seq, 1) = ?');
    this.extendFirstRow = db.prepare('UPDATE events SET type = ?, at = ?, body = ?, last_seq = ? WHERE run_id = ? AND seq = 1');
    this.deleteEvents = db.prepare('DELETE FROM events WHERE run_id = ?');
    this.deleteRunRow = db.prepare('DELETE FROM runs WHERE run_id = ?');
    this.selectFence = db.prepare('SELECT fence FROM runs WHERE run_id = ?');
    this.writes = new SqliteWrites(db, this.busyTimeoutMs, () => this.ensureOpen(), () => this.checkpointer?.completing ?? false);
    this.owners = new SqliteOwnership(db);
    this.decisions = new SqliteDecisions(db);
    if (!inMemory) {
      // A thread copies the WAL into the file; this connection does only past a larger WAL, or
      // at SQLite's default again if the thread cannot run.
      db.exec(`PRAGMA wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
      this.checkpointer = new SqliteCheckpointer(this.file, db.driver, () => {
        if (db.open) db.exec('PRAGMA wal_autocheckpoint = 1000');
      });
    }
  }


  async createRun(record: NewRunRecord): Promise<void> {
    return this.createRunWithEvents(record, []);
  }

  async createRunWithEvents(record: NewRunRecord, events: RunEvent[]): Promise<void> {
    this.ensureOpen();
    checkNewRun(record);
    checkAppendOrder(record.runId, 0, events);
    const bodies = events.map(eventJson);
    try {
      const { runId, owner } = record;
      const status = statusAfter(events) ?? 'running';
      const ownerId = isFinalStatus(status) ? null : (owner?.id ?? null);
      await this.writes.run(() => {
        if (owner !== undefined && !this.owners.beatRecently(owner, ownerBeatReuseMs())) this.owners.heartbeat(owner);
        this.insertRun.run(runId, record.goal, status, record.createdAt, record.createdAt, record.manifestFile ?? null, events.length, owner ? FIRST_FENCE : 0, ownerId);
        this.insertEventRows(runId, events, bodies);
      });
      this.checkpointer?.committed();
    } catch (e) {
      if (sqliteCode(e) === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw runExistsError(record.runId);
      throw this.failure(`createRun(${record.runId})`, e);
    }
  }

  async append(runId: string, events: RunEvent[], options?: AppendOptions): Promise<void> {
    this.ensureOpen();
    if (events.length === 0) {
      if (!this.selectRun.get(runId)) throw runNotFoundError(runId);
      return;
    }
    checkBatch(runId, events);
    // Serialise before taking the write lock, so other processes wait as little as possible.
    const bodies = events.map(eventJson);
    try {
      const status = statusAfter(events) ?? null;
      const fence = options?.fence ?? null;
      await this.writes.run(() => this.appendInTransaction(runId, events, bodies, status, fence));
      this.checkpointer?.committed();
    } catch (e) {
      // A second connection slipped the same seq in between: the primary key caught it.
      if (sqliteCode(e) === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw concurrentAppendError(runId, events[0]?.seq ?? 0, e);
      throw this.failure(`append to run ${runId}`, e);
    }
  }

  private appendInTransaction(runId: string, events: readonly RunEvent[], bodies: readonly string[], status: RunStatus | null, fence: number | null): void {
    const firstSeq = (events[0] as RunEvent).seq;
    const now = new Date().toISOString();
    const before = firstSeq - 1;
    const result =
      status === null ? this.advanceEvents.run({ count: events.length, now, runId, before, fence }) : this.advanceRun.run({ count: events.length, status, now, runId, before, fence });
    const advanced = Number(result.changes);
    if (advanced !== 1) {
      const row = this.selectEventCount.get(runId);
      if (row === undefined) throw runNotFoundError(runId);
      const current = Number(this.selectFence.get(runId)?.['fence'] ?? 0);
      if (fence !== null && current !== fence) throw fencedError(runId, fence, current);
      checkContinues(runId, Number(row['event_count']), firstSeq);
      throw concurrentAppendError(runId, firstSeq);
    }
    if (!(before > 0 && this.extendedFirstRow(runId, before, events, bodies))) this.insertEventRows(runId, events, bodies);
    if (status !== null && isFinalStatus(status)) this.decisions.clearAll(runId);
  }

  private insertEventRows(runId: string, events: readonly RunEvent[], bodies: readonly string[]): void {
    const values: SqlValue[] = [];
    const rows = packEventRows(runId, events, bodies, values);
    // Several rows per statement: each statement run is a round trip into SQLite.
    for (let from = 0; from < rows; from += ROWS_PER_INSERT) {
      const to = Math.min(rows, from + ROWS_PER_INSERT);
      this.insertEvents(to - from).run(...(from === 0 && to === rows ? values : values.slice(from * EVENT_ROW_COLUMNS, to * EVENT_ROW_COLUMNS)));
    }
  }

  /** Writes the batch into the run's first row when it fits there (see EXTEND_CHARS); false when it does not. */
  private extendedFirstRow(runId: string, before: number, events: readonly RunEvent[], bodies: readonly string[]): boolean {
    const row = this.selectFirstRow.get(runId, before) as FirstRow | undefined;
    const values = row && extendedRow(row, events, bodies);
    if (!values) return false;
    this.extendFirstRow.run(...values, runId);
    return true;
  }

  /** The INSERT of `rows` events, prepared once per row count. */
  private insertEvents(rows: number): SqliteStatement {
    let statement = this.insertStatements.get(rows);
    if (!statement) {
      statement = this.db.prepare(insertEventRowsSql(rows));
      this.insertStatements.set(rows, statement);
    }
    return statement;
  }

  async readEvents(runId: string, afterSeq?: number): Promise<RunEvent[]> {
    this.ensureOpen();
    const after = resolveAfterSeq(runId, afterSeq);
    const rows = this.selectEvents.all({ runId, after }) as unknown as EventRow[];
    if (rows.length === 0 && !this.selectRun.get(runId)) throw runNotFoundError(runId);
    const events: RunEvent[] = [];
    for (const row of rows) unpackEventRow(row, after, events);
    return events;
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    this.ensureOpen();
    const row = this.selectRun.get(runId);
    return row ? recordFromRow(row as unknown as RunRow) : undefined;
  }

  async listRuns(options: ListRunsOptions = {}): Promise<RunRecord[]> {
    this.ensureOpen();
    const params: Record<string, string | number> = { limit: resolveListLimit(options.limit) };
    if (options.before !== undefined) {
      const key = this.selectPagingKey.get(options.before) as PagingKey | undefined;
      if (!key) throw pagingRunNotFoundError(options.before);
      params['beforeCreatedAt'] = key.created_at;
      params['beforeRunId'] = key.run_id;
    }
    if (options.status !== undefined) params['status'] = options.status;
    const statusKind = options.status === undefined ? 'any' : isFinalStatus(options.status) ? 'ended' : 'unfinished';
    const rows = this.listStatement(options.before !== undefined, statusKind).all(params);
    return rows.map((row) => recordFromRow(row as unknown as RunRow));
  }

  async deleteRun(runId: string): Promise<boolean> {
    this.ensureOpen();
    try {
      const deleted = await this.writes.run(() => {
        const row = this.selectRun.get(runId);
        if (!row) return false;
        if (!isFinalStatus(row['status'] as RunStatus)) throw runRunningError(runId);
        this.deleteEvents.run(runId);
        this.deleteRunRow.run(runId);
        return true;
      });
      if (deleted) this.checkpointer?.committed();
      return deleted;
    } catch (e) {
      throw this.failure(`deleteRun(${runId})`, e);
    }
  }

  async reclaimSpace(options: { full?: boolean } = {}): Promise<SpaceReport | undefined> {
    this.ensureOpen();
    if (this.file === ':memory:') return undefined;
    const bytesBefore = this.bytesOnDisk();
    // One wait for the whole reclaim, however many checkpoints it takes.
    const deadline = performance.now() + this.busyTimeoutMs;
    try {
      await this.truncateWal(deadline);
      if (options.full) {
        // VACUUM rewrites the file; with auto_vacuum set first, later prunes need no VACUUM.
        await this.writes.alone('PRAGMA auto_vacuum = INCREMENTAL');
        await this.writes.alone('VACUUM');
        await this.truncateWal(deadline);
      } else if (Number(this.db.pragmaValue('auto_vacuum')) === 2) {
        await this.writes.run(() => this.db.exec('PRAGMA incremental_vacuum'));
        await this.truncateWal(deadline);
      }
    } catch (e) {
      throw this.failure('reclaimSpace', e);
    }
    const bytesFree = Number(this.db.pragmaValue('freelist_count')) * Number(this.db.pragmaValue('page_size'));
    return { bytesBefore, bytesAfter: this.bytesOnDisk(), bytesFree };
  }

  /**
   * Copies the whole WAL into the database file and truncates it. Another connection's checkpoint
   * (the checkpointer thread's pass after the last commit, another process's) makes SQLite answer
   * busy at once, and a reader still on the WAL (`baton runs list` in another process, the
   * dashboard) made it wait for it in its busy handler, holding the event loop for up to the busy
   * timeout. So the checkpoint runs without waiting, and is tried again every 10 ms, the loop free
   * meanwhile, until `deadline` (`performance.now()`); the report then says what is on disk.
   */
  private async truncateWal(deadline: number): Promise<void> {
    const truncate = this.db.prepare('PRAGMA wal_checkpoint(TRUNCATE)');
    while (!this.truncatedAtOnce(truncate) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** One TRUNCATE checkpoint that waits for no lock: false when it was busy. */
  private truncatedAtOnce(truncate: SqliteStatement): boolean {
    // Throws if the store was closed while the last attempt's wait ran.
    return this.writes.withoutWaiting(() => Number(truncate.get()?.['busy'] ?? 0) === 0);
  }

  /** The database file and its WAL, in bytes. */
  private bytesOnDisk(): number {
    const size = (f: string): number => {
      try {
        return statSync(f).size;
      } catch {
        return 0;
      }
    };
    return size(this.file) + size(`${this.file}-wal`);
  }

  async heartbeat(owner: RunOwner): Promise<void> {
    return this.write(`heartbeat of ${owner.id}`, () => this.owners.heartbeat(owner));
  }

  async retire(ownerId: string): Promise<void> {
    return this.write(`retire(${ownerId})`, () => this.owners.retire(ownerId));
  }

  async claim(runId: string, owner: RunOwner, expectedFence: number): Promise<number | undefined> {
    return this.write(`claim(${runId})`, () => this.owners.claim(runId, owner, expectedFence));
  }

  async release(runId: string, ownerId: string, fence: number, options?: ReleaseOptions): Promise<void> {
    return this.write(`release(${runId})`, () => this.owners.release(runId, ownerId, fence, options?.handedOver === true));
  }

  async unfinished(limit = 1000): Promise<RunOwnership[]> {
    this.ensureOpen();
    return this.owners.unfinished(limit);
  }

  async ownership(runId: string): Promise<RunOwnership | undefined> {
    this.ensureOpen();
    return this.owners.ownership(runId);
  }

  async requestCancel(runId: string, reason: string): Promise<void> {
    return this.write(`cancel of run ${runId}`, () => this.owners.requestCancel(runId, reason));
  }

  async requests(ownerId: string): Promise<{ runId: string; cancel: string }[]> {
    this.ensureOpen();
    return this.owners.requests(ownerId);
  }

  async requestDecision(request: DecisionRequest): Promise<boolean> {
    return this.write(`decision on run ${request.runId}`, () => this.decisions.request(request));
  }

  async decisionRequests(query: { ownerId: string } | { runId: string }): Promise<DecisionRequest[]> {
    this.ensureOpen();
    return this.decisions.requests(query);
  }

  async clearDecision(runId: string, requestId: string): Promise<void> {
    return this.write(`clearing a decision of run ${runId}`, () => this.decisions.clearOne(runId, requestId));
  }

  /** One write transaction whose failure says which write failed and why (a lock held too long among them). */
  private async write<T>(action: string, fn: () => T): Promise<T> {
    let result: T;
    try {
      result = await this.writes.run(fn);
    } catch (e) {
      throw this.failure(action, e);
    }
    this.checkpointer?.committed();
    return result;
  }

  async close(): Promise<void> {
    // The thread's connection too: the last connection to close checkpoints and removes the WAL.
    await this.checkpointer?.close();
    if (this.db.open) this.db.close();
  }

  private listStatement(paged: boolean, statusKind: 'any' | 'ended' | 'unfinished'): SqliteStatement {
    const key = `${paged}:${statusKind}`;
    let statement = this.listStatements.get(key);
    if (!statement) {
      const where: string[] = [];
      // Each partial index serves a query only if the query names its condition, word for word.
      if (statusKind === 'ended') where.push(`status = @status AND status NOT IN ${UNFINISHED_STATUSES_SQL}`);
      if (statusKind === 'unfinished') where.push(`status = @status AND status NOT IN ${FINAL_STATUSES_SQL}`);
      if (paged) where.push('(created_at, run_id) < (@beforeCreatedAt, @beforeRunId)');
      // Unfinished runs are few, and the planner (without statistics) would rather walk every run newest first.
      const from = statusKind === 'unfinished' ? 'runs INDEXED BY runs_unfinished' : 'runs';
      statement = this.db.prepare(
        `SELECT ${RUN_COLUMNS} FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, run_id DESC LIMIT @limit`,
      );
      this.listStatements.set(key, statement);
    }
    return statement;
  }

  private ensureOpen(): void {
    if (!this.db.open) throw storeClosedError(`SQLite (${this.file})`);
  }

  private failure(action: string, e: unknown): unknown {
    if (BatonError.isInstance(e)) return e;
    const code = sqliteCode(e);
    if (code === 'SQLITE_BUSY') {
      return journalUnavailableError(
        `${action}: the journal database ${this.file} stayed locked by another connection past the busy timeout; try again, or raise busyTimeoutMs`,
        e,
      );
    }
    return new BatonError('INTERNAL', `${action}: the journal database ${this.file} failed: ${errorMessage(e)}`, { cause: e });
  }
}

const sqliteCode = sqliteErrorCode;

function openError(file: string, e: unknown, busyTimeoutMs: number): BatonError {
  if (BatonError.isInstance(e)) return e;
  // better-sqlite3 names the extended code (SQLITE_READONLY_DIRECTORY: the folder is read-only),
  // node:sqlite's number is read as its primary code: the hint goes by the primary code.
  const code = sqliteCode(e)?.replace(/^(SQLITE_[A-Z]+)_[A-Z_]+$/, '$1');
  if (code === 'SQLITE_BUSY') {
    return journalUnavailableError(
      `cannot open the journal database ${file}: ${errorMessage(e)} (another connection held it locked for more than the busy timeout, ${busyTimeoutMs} ms: a process writing to it at length, or rewriting it with \`baton runs prune --vacuum\`; try again once it is done)`,
      e,
    );
  }
  const hint =
    code === 'SQLITE_NOTADB'
      ? 'the file is not a SQLite database: point --store or BATON_DATABASE_URL at a Baton journal, or move the file away'
      : code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM'
        ? 'check that the file and its folder exist and are writable'
        : 'check the path given with --store or BATON_DATABASE_URL';
  return new BatonError('INTERNAL', `cannot open the journal database ${file}: ${errorMessage(e)} (${hint})`, {
    retryable: false,
    cause: e,
  });
}
