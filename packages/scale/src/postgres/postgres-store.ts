import pg from 'pg';
import type { RunEvent } from 'batonjs/internal';
import type { AppendOptions, DecisionRequest, ListRunsOptions, OwnershipStore, ReleaseOptions, RunOwner, RunOwnership, RunRecord, RunStore, RunStoreRetention, SpaceReport } from 'batonjs/internal';
import { BatonError, errorMessage } from 'batonjs/internal';
import {
  checkAppendOrder,
  checkBatch,
  checkContinues,
  checkNewRun,
  ownerBeatReuseMs,
  concurrentAppendError,
  fencedError,
  FIRST_FENCE,
  journalUnavailableError,
  pagingRunNotFoundError,
  resolveAfterSeq,
  resolveListLimit,
  runExistsError,
  runNotFoundError,
  runRunningError,
  statusAfter,
  storeClosedError,
  UNFINISHED_STATUSES_SQL,
} from 'batonjs/internal';
import type { NewRunRecord } from 'batonjs/internal';
import { migratePostgres } from './postgres-migrations.ts';
import { PostgresDecisions } from './postgres-decisions.ts';
import { ownerBeat, PostgresOwnership } from './postgres-ownership.ts';
import { postgresUnreachable } from './postgres-unreachable.ts';
import { eventJson, RUN_COLUMNS, recordFromRow } from 'batonjs/internal';
import type { RunRow } from 'batonjs/internal';

export interface PostgresRunStoreOptions {
  /** Connections in the pool (default 10). */
  maxConnections?: number;
  /** How long to wait for a connection before failing (default 10000 ms). */
  connectTimeoutMs?: number;
  /**
   * How long a query may go unanswered before it fails (default 30000 ms), measured here: a
   * server that stops answering (frozen, or cut off with its connections left open) would
   * otherwise hold every journal write and read until it came back. A query that fails so may
   * still have been carried out by the server; the journal is written so that either is safe.
   */
  queryTimeoutMs?: number;
}

/** The default of {@link PostgresRunStoreOptions.queryTimeoutMs}. */
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

/** The bound on a VACUUM (`baton runs prune --vacuum`), which rewrites the journal's tables. */
const VACUUM_TIMEOUT_MS = 6 * 60 * 60_000;

/** Probes of an idle connection begin after this long, so a server gone silent is found out. */
const KEEPALIVE_DELAY_MS = 10_000;

/**
 * One statement, so one round trip and one implicit transaction: the run row is bumped only if
 * it still holds exactly the events before this batch (which also row-locks it against a second
 * writer), and every event is inserted from one JSON array. Zero rows inserted means the run is
 * missing or another writer got there first; the caller finds out which. seq, type and at come
 * as parameters (seqs were checked contiguous) because extracting them with ->> would unescape
 * every string of the event, and PostgreSQL text cannot hold the \u0000 an output may contain.
 */
const APPEND_SQL = `
  WITH run AS (
    UPDATE runs
       SET event_count = event_count + $3, status = coalesce($4, status), updated_at = $5,
           owner_id = CASE WHEN $4::text IS NOT NULL AND $4::text NOT IN ${UNFINISHED_STATUSES_SQL} THEN NULL ELSE owner_id END,
           cancel_requested = CASE WHEN $4::text IS NOT NULL AND $4::text NOT IN ${UNFINISHED_STATUSES_SQL} THEN NULL ELSE cancel_requested END
     WHERE run_id = $1 AND event_count = $2 AND ($9::integer IS NULL OR fence = $9::integer)
    RETURNING run_id, status
  ),
  ended AS (
    DELETE FROM decision_requests d USING run WHERE d.run_id = run.run_id AND run.status NOT IN ${UNFINISHED_STATUSES_SQL}
  )
  INSERT INTO events (run_id, seq, type, at, body)
  SELECT run.run_id, $2 + e.n, ($7::text[])[e.n], ($8::text[])[e.n], e.value
    FROM run, json_array_elements($6::json) WITH ORDINALITY AS e(value, n)`;

/**
 * A run and its first events in one statement (so one implicit transaction): never the one without
 * the others. Its owner's heartbeat, when it needs one ($12), is written in the same statement, as
 * a claim writes it: a statement of its own before it was a third round trip of every run.
 */
const CREATE_SQL = `
  WITH ${ownerBeat('$12', '$13', '$14', '$15')},
  run AS (
    INSERT INTO runs (run_id, goal, status, created_at, updated_at, manifest_file, event_count, fence, owner_id)
    VALUES ($1, $2, $7, $3, $3, $4, $8, $5, CASE WHEN $7::text NOT IN ${UNFINISHED_STATUSES_SQL} THEN NULL ELSE $6 END)
    RETURNING run_id
  )
  INSERT INTO events (run_id, seq, type, at, body)
  SELECT run.run_id, e.n, ($10::text[])[e.n], ($11::text[])[e.n], e.value
    FROM run, json_array_elements($9::json) WITH ORDINALITY AS e(value, n)`;

/** A batch as the events INSERTs take it (three parameters): its JSON array, then each event's type and time. */
function eventColumns(events: readonly RunEvent[]): [string, string[], string[]] {
  return [`[${events.map(eventJson).join(',')}]`, events.map((e) => e.type), events.map((e) => e.at)];
}

const UNIQUE_VIOLATION = '23505';

/**
 * The journal in PostgreSQL, for distributed runs (`BATON_DATABASE_URL=postgres://...`).
 * Several orchestrators and servers may share one database; the (run_id, seq) key and the
 * event-count check make a second writer of one run fail loudly instead of interleaving.
 */
export class PostgresRunStore implements RunStore, OwnershipStore, RunStoreRetention {
  private ending: Promise<void> | undefined;
  private readonly run = async <R extends pg.QueryResultRow>(action: string, config: pg.QueryConfig): Promise<{ rows: R[]; rowCount: number }> => {
    this.ensureOpen();
    try {
      const result = await this.pool.query<R>(config);
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    } catch (e) {
      throw this.failure(action, e);
    }
  };
  private readonly owners = new PostgresOwnership(this.run);
  private readonly decisions = new PostgresDecisions(this.run);

  private constructor(
    private readonly pool: pg.Pool,
    /** The URL with its password masked, for messages. */
    readonly where: string,
  ) {}

  /** Opens a pool on `url` and brings the schema up to date (under an advisory lock). */
  static async connect(url: string, options: PostgresRunStoreOptions = {}): Promise<PostgresRunStore> {
    const where = redactUrl(url);
    const pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      query_timeout: options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
      application_name: 'baton',
    });
    // An idle connection dropped by the server is discarded by the pool, and the next query
    // opens a new one or fails with its own error; without a listener the drop would crash.
    pool.on('error', () => undefined);
    try {
      await migratePostgres(pool, where);
    } catch (e) {
      await pool.end().catch(() => undefined);
      if (BatonError.isInstance(e)) throw e;
      throw new BatonError(
        'INTERNAL',
        `cannot open the journal database ${where}: ${errorMessage(e)} (check BATON_DATABASE_URL and that PostgreSQL is running and reachable)`,
        { cause: e },
      );
    }
    return new PostgresRunStore(pool, where);
  }

  async createRun(record: NewRunRecord): Promise<void> {
    return this.createRunWithEvents(record, []);
  }

  async createRunWithEvents(record: NewRunRecord, events: RunEvent[]): Promise<void> {
    this.ensureOpen();
    checkNewRun(record);
    checkAppendOrder(record.runId, 0, events);
    try {
      const { owner } = record;
      const columns = eventColumns(events);
      // Runs created at once would each update the owner's one row, one after another's commit.
      // The ticket is taken as the statement is sent: it counts as a heartbeat on its way.
      const ticket = owner !== undefined && !this.owners.beatRecently(owner, ownerBeatReuseMs()) ? this.owners.beatTicket(owner.id) : undefined;
      const creating = this.pool.query({
        name: 'baton_create_run',
        text: CREATE_SQL,
        values: [
          record.runId,
          record.goal,
          record.createdAt,
          record.manifestFile ?? null,
          owner ? FIRST_FENCE : 0,
          owner?.id ?? null,
          statusAfter(events) ?? 'running',
          events.length,
          ...columns,
          ticket?.ownerId ?? null,
          owner?.host ?? null,
          owner?.pid ?? null,
          owner?.startedAt ?? null,
        ],
      });
      await this.owners.carrying(ticket, creating);
    } catch (e) {
      if (pgCode(e) === UNIQUE_VIOLATION) throw runExistsError(record.runId);
      throw this.failure(`createRun(${record.runId})`, e);
    }
  }

  async append(runId: string, events: RunEvent[], options?: AppendOptions): Promise<void> {
    this.ensureOpen();
    const first = events[0];
    if (!first) {
      if (!(await this.getRun(runId))) throw runNotFoundError(runId);
      return;
    }
    checkBatch(runId, events);
    let inserted: number;
    try {
      const result = await this.pool.query({
        name: 'baton_append',
        text: APPEND_SQL,
        values: [
          runId,
          first.seq - 1,
          events.length,
          statusAfter(events) ?? null,
          new Date().toISOString(),
          ...eventColumns(events),
          options?.fence ?? null,
        ],
      });
      inserted = result.rowCount ?? 0;
    } catch (e) {
      if (pgCode(e) === UNIQUE_VIOLATION) throw concurrentAppendError(runId, duplicateSeq(e) ?? first.seq, e);
      throw this.failure(`append to run ${runId}`, e);
    }
    if (inserted !== events.length) await this.explainRejectedAppend(runId, first.seq, options?.fence);
  }

  async readEvents(runId: string, afterSeq?: number): Promise<RunEvent[]> {
    this.ensureOpen();
    const after = resolveAfterSeq(runId, afterSeq);
    const rows = await this.query<{ body: RunEvent }>(`readEvents(${runId})`, {
      name: 'baton_read_events',
      text: 'SELECT body FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq',
      values: [runId, after],
    });
    if (rows.length === 0 && !(await this.getRun(runId))) throw runNotFoundError(runId);
    return rows.map((row) => row.body);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    this.ensureOpen();
    const rows = await this.query<RunRow>(`getRun(${runId})`, {
      name: 'baton_get_run',
      text: `SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = $1`,
      values: [runId],
    });
    return rows[0] ? recordFromRow(rows[0]) : undefined;
  }

  async listRuns(options: ListRunsOptions = {}): Promise<RunRecord[]> {
    this.ensureOpen();
    const values: unknown[] = [resolveListLimit(options.limit)];
    const where: string[] = [];
    if (options.before !== undefined) {
      const keys = await this.query<{ created_at: string; run_id: string }>('listRuns', {
        text: 'SELECT created_at, run_id FROM runs WHERE run_id = $1',
        values: [options.before],
      });
      const key = keys[0];
      if (!key) throw pagingRunNotFoundError(options.before);
      values.push(key.created_at, key.run_id);
      where.push(`(created_at, run_id) < ($${values.length - 1}, $${values.length})`);
    }
    if (options.status !== undefined) {
      values.push(options.status);
      where.push(`status = $${values.length}`);
    }
    const rows = await this.query<RunRow>('listRuns', {
      text: `SELECT ${RUN_COLUMNS} FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
             ORDER BY created_at DESC, run_id DESC LIMIT $1`,
      values,
    });
    return rows.map(recordFromRow);
  }

  async deleteRun(runId: string): Promise<boolean> {
    this.ensureOpen();
    // One statement: the run row is locked, deleted unless running (its events go with it,
    // ON DELETE CASCADE), and what was found is reported.
    const rows = await this.query<{ status: string | null; deleted: number }>(`deleteRun(${runId})`, {
      name: 'baton_delete_run',
      text: `WITH target AS (SELECT run_id, status FROM runs WHERE run_id = $1 FOR UPDATE),
                  gone AS (DELETE FROM runs WHERE run_id IN (SELECT run_id FROM target WHERE status NOT IN ${UNFINISHED_STATUSES_SQL}) RETURNING run_id)
             SELECT (SELECT status FROM target) AS status, (SELECT count(*)::int FROM gone) AS deleted`,
      values: [runId],
    });
    const row = rows[0];
    if (!row || row.status === null) return false;
    if (row.deleted === 0) throw runRunningError(runId);
    return true;
  }

  /**
   * VACUUM makes the deleted rows' space reusable (autovacuum would, later); `full` runs VACUUM
   * FULL, which gives it back to the disk but locks the journal tables while it rewrites them.
   */
  async reclaimSpace(options: { full?: boolean } = {}): Promise<SpaceReport | undefined> {
    this.ensureOpen();
    const size = async (): Promise<number> =>
      Number((await this.query<{ bytes: string }>('reclaimSpace', { text: "SELECT pg_total_relation_size('runs') + pg_total_relation_size('events') AS bytes" }))[0]?.bytes ?? 0);
    const bytesBefore = await size();
    // node-postgres reads a query's own query_timeout (not in its types): a VACUUM of a large journal may well take longer than a query should.
    const vacuum: pg.QueryConfig & { query_timeout: number } = {
      text: options.full ? 'VACUUM (FULL, ANALYZE) runs, events' : 'VACUUM (ANALYZE) runs, events',
      query_timeout: VACUUM_TIMEOUT_MS,
    };
    await this.query('reclaimSpace', vacuum);
    return { bytesBefore, bytesAfter: await size() };
  }

  heartbeat(owner: RunOwner): Promise<void> {
    return this.owners.heartbeat(owner);
  }

  retire(ownerId: string): Promise<void> {
    return this.owners.retire(ownerId);
  }

  claim(runId: string, owner: RunOwner, expectedFence: number): Promise<number | undefined> {
    return this.owners.claim(runId, owner, expectedFence);
  }

  release(runId: string, ownerId: string, fence: number, options?: ReleaseOptions): Promise<void> {
    return this.owners.release(runId, ownerId, fence, options);
  }

  unfinished(limit = 1000): Promise<RunOwnership[]> {
    return this.owners.unfinished(limit);
  }

  ownership(runId: string): Promise<RunOwnership | undefined> {
    return this.owners.ownership(runId);
  }

  requestCancel(runId: string, reason: string): Promise<void> {
    return this.owners.requestCancel(runId, reason);
  }

  requests(ownerId: string): Promise<{ runId: string; cancel: string }[]> {
    return this.owners.requests(ownerId);
  }

  requestDecision(request: DecisionRequest): Promise<boolean> {
    return this.decisions.request(request);
  }

  decisionRequests(query: { ownerId: string } | { runId: string }): Promise<DecisionRequest[]> {
    return this.decisions.requests(query);
  }

  clearDecision(runId: string, requestId: string): Promise<void> {
    return this.decisions.clear(runId, requestId);
  }

  /** Ends the pool; safe to call more than once. */
  async close(): Promise<void> {
    this.ending ??= this.pool.end();
    await this.ending;
  }

  /** An append inserted nothing: says why (always throws). */
  private async explainRejectedAppend(runId: string, firstSeq: number, fence: number | undefined): Promise<never> {
    const run = await this.getRun(runId);
    if (!run) throw runNotFoundError(runId);
    const current = (await this.owners.ownership(runId))?.fence ?? 0;
    if (fence !== undefined && current !== fence) throw fencedError(runId, fence, current);
    checkContinues(runId, run.eventCount, firstSeq);
    // The batch fits now but did not when it ran: another writer appended in between.
    throw concurrentAppendError(runId, firstSeq);
  }

  private async query<R extends pg.QueryResultRow>(action: string, config: pg.QueryConfig): Promise<R[]> {
    try {
      return (await this.pool.query<R>(config)).rows;
    } catch (e) {
      throw this.failure(action, e);
    }
  }

  private ensureOpen(): void {
    if (this.ending) throw storeClosedError(`PostgreSQL (${this.where})`);
  }

  private failure(action: string, e: unknown): BatonError {
    if (BatonError.isInstance(e)) return e;
    if (postgresUnreachable(e)) {
      return journalUnavailableError(
        `${action}: the journal database ${this.where} cannot be reached or did not answer in time (${errorMessage(e)}); check that PostgreSQL is running and reachable, then try again`,
        e,
      );
    }
    return new BatonError('INTERNAL', `${action}: the journal database ${this.where} failed: ${errorMessage(e)}`, { cause: e });
  }
}

function pgCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || !('code' in e)) return undefined;
  return typeof e.code === 'string' ? e.code : undefined;
}

/** The seq in a unique violation's detail, `Key (run_id, seq)=(r_1, 7) already exists.` */
function duplicateSeq(e: unknown): number | undefined {
  const detail = typeof e === 'object' && e !== null && 'detail' in e && typeof e.detail === 'string' ? e.detail : '';
  const match = /, (\d+)\) already exists/.exec(detail);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The URL with its password masked, safe to print. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the PostgreSQL URL in BATON_DATABASE_URL';
  }
}
