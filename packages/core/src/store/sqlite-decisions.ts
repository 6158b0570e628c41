import type { DecisionRequest } from '../core/contracts.ts';
import { runNotFoundError, UNFINISHED_STATUSES_SQL } from './journal-rules.ts';
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.ts';

/**
 * Decision requests in the SQLite journal (schema version 4): one row per run and approval key,
 * so of two processes deciding the same thing at once exactly one inserts its request.
 */
export class SqliteDecisions {
  private readonly insert: SqliteStatement;
  private readonly runExists: SqliteStatement;
  private readonly byOwner: SqliteStatement;
  private readonly byRun: SqliteStatement;
  private readonly clear: SqliteStatement;
  private readonly clearRun: SqliteStatement;

  constructor(db: SqliteDatabase) {
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO decision_requests (run_id, approval_key, request_id, body, requested_at)
       SELECT @runId, @key, @id, @body, @requestedAt WHERE EXISTS (SELECT 1 FROM runs WHERE run_id = @runId AND status IN ${UNFINISHED_STATUSES_SQL})`,
    );
    this.runExists = db.prepare('SELECT 1 AS found FROM runs WHERE run_id = ?');
    this.byOwner = db.prepare(
      `SELECT d.body FROM decision_requests d JOIN runs r ON r.run_id = d.run_id
        WHERE r.owner_id = ? AND r.status IN ${UNFINISHED_STATUSES_SQL} ORDER BY d.requested_at, d.request_id`,
    );
    this.byRun = db.prepare(
      `SELECT d.body FROM decision_requests d JOIN runs r ON r.run_id = d.run_id
        WHERE d.run_id = ? AND r.status IN ${UNFINISHED_STATUSES_SQL} ORDER BY d.requested_at, d.request_id`,
    );
    this.clear = db.prepare('DELETE FROM decision_requests WHERE run_id = ? AND request_id = ?');
    this.clearRun = db.prepare('DELETE FROM decision_requests WHERE run_id = ?');
  }

  request(request: DecisionRequest): boolean {
    const changed = Number(this.insert.run({ runId: request.runId, key: request.key, id: request.id, body: JSON.stringify(request), requestedAt: request.requestedAt }).changes);
    if (changed === 1) return true;
    if (!this.runExists.get(request.runId)) throw runNotFoundError(request.runId);
    return false;
  }

  requests(query: { ownerId: string } | { runId: string }): DecisionRequest[] {
    const rows = 'runId' in query ? this.byRun.all(query.runId) : this.byOwner.all(query.ownerId);
    return rows.map((row) => JSON.parse(String(row['body'])) as DecisionRequest);
  }

  clearOne(runId: string, requestId: string): void {
    this.clear.run(runId, requestId);
  }

  /** Forgets every request of a run that ended (inside the append that ends it). */
  clearAll(runId: string): void {
    this.clearRun.run(runId);
  }
}
