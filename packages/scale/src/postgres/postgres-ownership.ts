import type pg from 'pg';
import type { ReleaseOptions, RunOwner, RunOwnership } from 'batonjs/internal';
import { parseRunStatus, runNotFoundError } from 'batonjs/internal';

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
  started_at: string | null;
  heartbeat_age_ms: string | null;
}

const UNFINISHED = `status NOT IN ('succeeded', 'partial', 'failed', 'cancelled')`;
const OWNERSHIP_SELECT = `
  SELECT r.run_id, r.status, r.updated_at, r.fence, r.cancel_requested, CASE WHEN r.released_fence = r.fence THEN r.released_by END AS released_by, o.owner_id, o.host, o.pid, o.started_at,
         (extract(epoch FROM (now() - o.heartbeat_at)) * 1000)::bigint AS heartbeat_age_ms
    FROM runs r LEFT JOIN owners o ON o.owner_id = r.owner_id`;

/**
 * An owner's heartbeat as a common table expression of another statement, its id, host, pid and
 * start given as those statement's parameters: written with what it goes with, in one round trip.
 * Nothing is written when the id is null. Never moved back: `now()` is when the statement began,
 * and a claim that waited for a run's lock commits after heartbeats sent later. Unless it is in the
 * future (the database's clock was set back since): then it is now.
 */
export function ownerBeat(id: string, host: string, pid: string, startedAt: string): string {
  return `beat AS (
    INSERT INTO owners (owner_id, host, pid, started_at, heartbeat_at)
    SELECT ${id}, ${host}, ${pid}, ${startedAt}, now() WHERE ${id}::text IS NOT NULL
    ON CONFLICT (owner_id) DO UPDATE SET heartbeat_at = CASE WHEN owners.heartbeat_at <= clock_timestamp() THEN greatest(owners.heartbeat_at, now()) ELSE now() END
  )`;
}

/** A heartbeat about to be sent, as {@link PostgresOwnership.beaten} records it once committed. */
export interface BeatTicket {
  ownerId: string;
  /** Date.now() when it was sent: before the database's now(). */
  at: number;
  retires: number;
}

type Query = <R extends pg.QueryResultRow>(action: string, config: pg.QueryConfig) => Promise<{ rows: R[]; rowCount: number }>;

/**
 * Run ownership in the PostgreSQL journal (schema version 3). Heartbeats use the database's clock,
 * so replicas on machines whose clocks disagree still agree on whose lease has expired. A claim is
 * one conditional UPDATE on the fencing token: of several replicas racing for a run, one wins.
 */
export class PostgresOwnership {
  /** The last heartbeat this store wrote, and when it was sent (Date.now(), before the database's now()). */
  private lastBeat: { ownerId: string; at: number } | undefined;
  /** How many times this store retired an owner: a heartbeat sent before a retire is not recorded after it. */
  private retires = 0;
  /** The last heartbeat sent and not yet answered. */
  private inFlight: BeatTicket | undefined;

  constructor(private readonly query: Query) {}

  async heartbeat(owner: RunOwner): Promise<void> {
    const ticket = this.beatTicket(owner.id);
    await this.carrying(
      ticket,
      this.query('heartbeat', {
        name: 'baton_heartbeat',
        text: `WITH ${ownerBeat('$1', '$2', '$3', '$4')} SELECT 1`,
        values: [owner.id, owner.host, owner.pid, owner.startedAt],
      }),
    );
  }

  /**
   * True when a run `owner` creates need not write a heartbeat (leases are seconds long): this
   * store wrote one less than `withinMs` ago, so the owner's row exists and is fresh; or it wrote
   * one less than twice that ago and has sent another less than `withinMs` ago, not yet answered.
   * Without the second, each run created while a heartbeat was on its way wrote one too (a third
   * of the runs, 100 at once). Not after the clock was set back: a heartbeat dated in the future
   * is not taken for a recent one.
   */
  beatRecently(owner: RunOwner, withinMs: number): boolean {
    const last = this.lastBeat;
    if (last?.ownerId !== owner.id) return false;
    const now = Date.now();
    const age = now - last.at;
    if (age < 0) return false;
    if (age < withinMs) return true;
    const sent = this.inFlight;
    if (sent === undefined || sent.ownerId !== owner.id || age >= 2 * withinMs) return false;
    const sentAgo = now - sent.at;
    return sentAgo >= 0 && sentAgo < withinMs;
  }

  /** Taken just before a statement carrying a heartbeat of `ownerId` ({@link ownerBeat}) is sent, and given to {@link carrying}. */
  beatTicket(ownerId: string): BeatTicket {
    const ticket = { ownerId, at: Date.now(), retires: this.retires };
    this.inFlight = ticket;
    return ticket;
  }

  /** `statement`'s answer, the heartbeat it carries (`ticket`, if any) recorded once it is committed. */
  async carrying<T>(ticket: BeatTicket | undefined, statement: Promise<T>): Promise<T> {
    try {
      const answer = await statement;
      if (ticket) this.beaten(ticket);
      return answer;
    } finally {
      if (ticket && this.inFlight === ticket) this.inFlight = undefined;
    }
  }

  /** The statement `ticket` was taken for is committed: its heartbeat is the last, unless a later one is, or the owner was retired since. */
  private beaten(ticket: BeatTicket): void {
    if (ticket.retires !== this.retires) return;
    const last = this.lastBeat;
    if (last === undefined || last.ownerId !== ticket.ownerId || last.at < ticket.at || last.at > Date.now()) this.lastBeat = { ownerId: ticket.ownerId, at: ticket.at };
  }

  /**
   * The owner's runs are let go, then the owner forgotten: the runs' rows are locked before the
   * owner's, in the order a creation and a claim lock them, or a claim and a retire could each
   * wait for the other. PostgreSQL finishes a WITH statement that nothing reads after the main
   * one (as a claim's heartbeat is finished after its run's UPDATE); a test holds it to that.
   */
  async retire(ownerId: string): Promise<void> {
    const forget = (): void => {
      this.retires++;
      if (this.lastBeat?.ownerId === ownerId) this.lastBeat = undefined;
    };
    // Before (a heartbeat sent earlier and answered later) and after (one sent meanwhile, which
    // committed before the retire did): neither is left standing for an owner without a row.
    forget();
    try {
      await this.query('retire', {
        text: `WITH forgotten AS (DELETE FROM owners WHERE owner_id = $1) UPDATE runs SET owner_id = NULL WHERE owner_id = $1`,
        values: [ownerId],
      });
    } finally {
      forget();
    }
  }

  /** The owner's heartbeat is written whether or not the claim is won, as a heartbeat of its own was. */
  async claim(runId: string, owner: RunOwner, expectedFence: number): Promise<number | undefined> {
    const ticket = this.beatTicket(owner.id);
    const { rows } = await this.carrying(
      ticket,
      this.query<{ fence: number }>(`claim(${runId})`, {
        name: 'baton_claim',
        text: `WITH ${ownerBeat('$2', '$4', '$5', '$6')}
             UPDATE runs SET fence = fence + 1, owner_id = $2 WHERE run_id = $1 AND fence = $3 AND ${UNFINISHED} RETURNING fence`,
        values: [runId, owner.id, expectedFence, owner.host, owner.pid, owner.startedAt],
      }),
    );
    return rows[0]?.fence;
  }

  async release(runId: string, ownerId: string, fence: number, options?: ReleaseOptions): Promise<void> {
    const mark = options?.handedOver ? ', released_by = owner_id, released_fence = fence' : '';
    await this.query(`release(${runId})`, { text: `UPDATE runs SET owner_id = NULL${mark} WHERE run_id = $1 AND owner_id = $2 AND fence = $3`, values: [runId, ownerId, fence] });
  }

  async unfinished(limit: number): Promise<RunOwnership[]> {
    const { rows } = await this.query<OwnershipRow>('unfinished', {
      name: 'baton_unfinished',
      text: `${OWNERSHIP_SELECT} WHERE r.${UNFINISHED} ORDER BY r.created_at, r.run_id LIMIT $1`,
      values: [limit],
    });
    return rows.map(ownershipFromRow);
  }

  async ownership(runId: string): Promise<RunOwnership | undefined> {
    const { rows } = await this.query<OwnershipRow>(`ownership(${runId})`, { text: `${OWNERSHIP_SELECT} WHERE r.run_id = $1`, values: [runId] });
    return rows[0] ? ownershipFromRow(rows[0]) : undefined;
  }

  async requestCancel(runId: string, reason: string): Promise<void> {
    const { rows } = await this.query<{ found: number }>(`requestCancel(${runId})`, {
      text: `WITH marked AS (UPDATE runs SET cancel_requested = coalesce(cancel_requested, $2) WHERE run_id = $1 AND ${UNFINISHED})
             SELECT 1 AS found FROM runs WHERE run_id = $1`,
      values: [runId, reason],
    });
    if (rows.length === 0) throw runNotFoundError(runId);
  }

  async requests(ownerId: string): Promise<{ runId: string; cancel: string }[]> {
    const { rows } = await this.query<{ run_id: string; cancel_requested: string }>('requests', {
      name: 'baton_requests',
      text: 'SELECT run_id, cancel_requested FROM runs WHERE owner_id = $1 AND cancel_requested IS NOT NULL',
      values: [ownerId],
    });
    return rows.map((r) => ({ runId: r.run_id, cancel: r.cancel_requested }));
  }
}

function ownershipFromRow(row: OwnershipRow): RunOwnership {
  const o: RunOwnership = { runId: row.run_id, status: parseRunStatus(row.status, row.run_id), fence: Number(row.fence), updatedAgeMs: Math.max(0, Date.now() - Date.parse(row.updated_at)) };
  if (row.owner_id !== null && row.host !== null && row.pid !== null && row.started_at !== null) {
    o.owner = { id: row.owner_id, host: row.host, pid: Number(row.pid), startedAt: Number(row.started_at) };
    o.heartbeatAgeMs = Math.max(0, Number(row.heartbeat_age_ms ?? 0));
  }
  if (row.cancel_requested !== null) o.cancelRequested = row.cancel_requested;
  if (row.released_by !== null) o.handedOverBy = row.released_by;
  return o;
}
