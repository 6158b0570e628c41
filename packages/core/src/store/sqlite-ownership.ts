import type { RunOwner, RunOwnership } from '../core/contracts.ts';
import type { RunStatus } from '../core/types.ts';
import { FINAL_STATUSES_SQL, parseRunStatus, runNotFoundError } from './journal-rules.ts';
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.ts';

interface OwnershipRow {
  run_id: string;
  status: string;
  updated_at: string;
  fence: number;
  cancel_requested: string | null;
  released_by: string | null;
  owner_id: string | null;
  host: string | null;
  pid: number | null;
  started_at: number | null;
  heartbeat_at: number | null;
}

const OWNERSHIP_SELECT = `
  SELECT r.run_id, r.status, r.updated_at, r.fence, r.cancel_requested, CASE WHEN r.released_fence = r.fence THEN r.released_by END AS released_by, o.owner_id, o.host, o.pid, o.started_at, o.heartbeat_at
    FROM runs r LEFT JOIN owners o ON o.owner_id = r.owner_id`;
const UNFINISHED = `r.status NOT IN ${FINAL_STATUSES_SQL}`;

/**
 * Run ownership in the SQLite journal (schema version 3): the `owners` table holds each executing
 * process and its last heartbeat (this machine's clock, ms since the epoch), `runs.owner_id` and
 * `runs.fence` who holds each run with which token. Its changes run inside the transaction the
 * store begins for each (`SqliteWrites`), never one of their own.
 */
export class SqliteOwnership {
  private readonly upsertOwner: SqliteStatement;
  private readonly deleteOwner: SqliteStatement;
  private readonly releaseOwned: SqliteStatement;
  private readonly claimRun: SqliteStatement;
  private readonly releaseRun: SqliteStatement;
  private readonly handOverRun: SqliteStatement;
  private readonly selectUnfinished: SqliteStatement;
  private readonly selectOne: SqliteStatement;
  private readonly markCancel: SqliteStatement;
  private readonly selectRequests: SqliteStatement;
  private readonly runExists: SqliteStatement;
  private lastBeat: { ownerId: string; at: number } | undefined;

  constructor(private readonly db: SqliteDatabase) {
    this.upsertOwner = db.prepare(
      `INSERT INTO owners (owner_id, host, pid, started_at, heartbeat_at) VALUES (@id, @host, @pid, @startedAt, @now)
       ON CONFLICT (owner_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
    );
    this.deleteOwner = db.prepare('DELETE FROM owners WHERE owner_id = ?');
    // Only unfinished runs have an owner; the partial index serves the query that names its condition.
    this.releaseOwned = db.prepare(`UPDATE runs INDEXED BY runs_unfinished SET owner_id = NULL WHERE owner_id = ? AND status NOT IN ${FINAL_STATUSES_SQL}`);
    this.claimRun = db.prepare(`UPDATE runs SET fence = fence + 1, owner_id = @ownerId WHERE run_id = @runId AND fence = @fence AND ${UNFINISHED.replace('r.', '')}`);
    this.releaseRun = db.prepare('UPDATE runs SET owner_id = NULL WHERE run_id = ? AND owner_id = ? AND fence = ?');
    this.handOverRun = db.prepare('UPDATE runs SET owner_id = NULL, released_by = owner_id, released_fence = fence WHERE run_id = ? AND owner_id = ? AND fence = ?');
    this.selectUnfinished = db.prepare(`${OWNERSHIP_SELECT} WHERE ${UNFINISHED} ORDER BY r.created_at, r.run_id LIMIT ?`);
    this.selectOne = db.prepare(`${OWNERSHIP_SELECT} WHERE r.run_id = ?`);
    this.markCancel = db.prepare(`UPDATE runs SET cancel_requested = coalesce(cancel_requested, ?) WHERE run_id = ? AND status NOT IN ${FINAL_STATUSES_SQL}`);
    this.selectRequests = db.prepare('SELECT run_id, cancel_requested FROM runs WHERE owner_id = ? AND cancel_requested IS NOT NULL');
    this.runExists = db.prepare('SELECT 1 AS found FROM runs WHERE run_id = ?');
  }

  heartbeat(owner: RunOwner): void {
    const now = Date.now();
    this.upsertOwner.run({ id: owner.id, host: owner.host, pid: owner.pid, startedAt: owner.startedAt, now });
    this.lastBeat = { ownerId: owner.id, at: now };
  }

  /**
   * True when this connection heartbeated `owner` less than `withinMs` ago, so its row exists and is
   * fresh (leases are seconds long): every run a process creates need not write it again.
   */
  beatRecently(owner: RunOwner, withinMs: number): boolean {
    return this.lastBeat?.ownerId === owner.id && Date.now() - this.lastBeat.at < withinMs;
  }

  /** Inside a transaction: its runs are let go and the owner forgotten together. */
  retire(ownerId: string): void {
    if (this.lastBeat?.ownerId === ownerId) this.lastBeat = undefined;
    this.releaseOwned.run(ownerId);
    this.deleteOwner.run(ownerId);
  }

  /** Inside a transaction: the owner's heartbeat and its claim are written together. */
  claim(runId: string, owner: RunOwner, expectedFence: number): number | undefined {
    this.heartbeat(owner);
    const changed = Number(this.claimRun.run({ ownerId: owner.id, runId, fence: expectedFence }).changes);
    return changed === 1 ? expectedFence + 1 : undefined;
  }

  release(runId: string, ownerId: string, fence: number, handedOver: boolean): void {
    (handedOver ? this.handOverRun : this.releaseRun).run(runId, ownerId, fence);
  }

  unfinished(limit: number): RunOwnership[] {
    return this.selectUnfinished.all(limit).map((row) => ownershipFromRow(row as unknown as OwnershipRow));
  }

  ownership(runId: string): RunOwnership | undefined {
    const row = this.selectOne.get(runId);
    return row ? ownershipFromRow(row as unknown as OwnershipRow) : undefined;
  }

  requestCancel(runId: string, reason: string): void {
    if (Number(this.markCancel.run(reason, runId).changes) === 0 && !this.runExists.get(runId)) throw runNotFoundError(runId);
  }

  requests(ownerId: string): { runId: string; cancel: string }[] {
    return this.selectRequests.all(ownerId).map((row) => ({ runId: String(row['run_id']), cancel: String(row['cancel_requested']) }));
  }
}

function ownershipFromRow(row: OwnershipRow): RunOwnership {
  const status: RunStatus = parseRunStatus(row.status, row.run_id);
  const o: RunOwnership = { runId: row.run_id, status, fence: Number(row.fence), updatedAgeMs: Math.max(0, Date.now() - Date.parse(row.updated_at)) };
  if (row.owner_id !== null && row.host !== null && row.pid !== null && row.started_at !== null && row.heartbeat_at !== null) {
    o.owner = { id: row.owner_id, host: row.host, pid: Number(row.pid), startedAt: Number(row.started_at) };
    o.heartbeatAgeMs = Math.max(0, Date.now() - Number(row.heartbeat_at));
  }
  if (row.cancel_requested !== null) o.cancelRequested = row.cancel_requested;
  if (row.released_by !== null) o.handedOverBy = row.released_by;
  return o;
}
