import type pg from 'pg';
import type { DecisionRequest } from 'batonjs/internal';
import { runNotFoundError, UNFINISHED_STATUSES_SQL } from 'batonjs/internal';

type Query = <R extends pg.QueryResultRow>(action: string, config: pg.QueryConfig) => Promise<{ rows: R[]; rowCount: number }>;

/**
 * Decision requests in the PostgreSQL journal (schema version 4): one row per run and approval
 * key, inserted only while the run has not ended, so of two replicas deciding the same thing at
 * once exactly one inserts its request.
 */
export class PostgresDecisions {
  constructor(private readonly query: Query) {}

  async request(request: DecisionRequest): Promise<boolean> {
    const { rows } = await this.query<{ inserted: boolean; found: boolean }>(`requestDecision(${request.runId})`, {
      text: `WITH inserted AS (
               INSERT INTO decision_requests (run_id, approval_key, request_id, body, requested_at)
               SELECT $1, $2, $3, $4::json, $5 WHERE EXISTS (SELECT 1 FROM runs WHERE run_id = $1 AND status IN ${UNFINISHED_STATUSES_SQL})
               ON CONFLICT (run_id, approval_key) DO NOTHING
               RETURNING 1)
             SELECT EXISTS (SELECT 1 FROM inserted) AS inserted, EXISTS (SELECT 1 FROM runs WHERE run_id = $1) AS found`,
      values: [request.runId, request.key, request.id, JSON.stringify(request), request.requestedAt],
    });
    const row = rows[0];
    if (!row?.found) throw runNotFoundError(request.runId);
    return row.inserted;
  }

  async requests(query: { ownerId: string } | { runId: string }): Promise<DecisionRequest[]> {
    const byRun = 'runId' in query;
    const { rows } = await this.query<{ body: DecisionRequest }>('decisionRequests', {
      name: byRun ? 'baton_decisions_of_run' : 'baton_decisions_of_owner',
      text: `SELECT d.body FROM decision_requests d JOIN runs r ON r.run_id = d.run_id
              WHERE ${byRun ? 'd.run_id' : 'r.owner_id'} = $1 AND r.status IN ${UNFINISHED_STATUSES_SQL}
              ORDER BY d.requested_at, d.request_id`,
      values: [byRun ? query.runId : query.ownerId],
    });
    return rows.map((r) => r.body);
  }

  async clear(runId: string, requestId: string): Promise<void> {
    await this.query(`clearDecision(${runId})`, { text: 'DELETE FROM decision_requests WHERE run_id = $1 AND request_id = $2', values: [runId, requestId] });
  }
}
