import type { Pool, PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { BatonError } from 'batonjs/internal';

/**
 * The PostgreSQL journal schema, as forward migrations recorded in `baton_schema_version`.
 * Never edit a released migration; append a new one.
 *
 * Text columns that order runs use COLLATE "C" so paging is byte order whatever the database's
 * locale is, as in the SQLite and memory stores. `body` is `json`, not `jsonb`: it keeps the
 * event's text exactly and accepts every string JSON.stringify writes (jsonb rejects \u0000).
 */
export interface PostgresMigration {
  version: number;
  description: string;
  sql: string;
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'runs and their event journal',
    sql: `
      CREATE TABLE runs (
        run_id        text COLLATE "C" PRIMARY KEY,
        goal          text NOT NULL,
        status        text NOT NULL,
        created_at    text COLLATE "C" NOT NULL,
        updated_at    text NOT NULL,
        manifest_file text,
        event_count   integer NOT NULL DEFAULT 0
      );
      CREATE TABLE events (
        run_id text COLLATE "C" NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        seq    integer NOT NULL,
        type   text NOT NULL,
        at     text NOT NULL,
        body   json NOT NULL,
        PRIMARY KEY (run_id, seq)
      );
      CREATE INDEX runs_newest_first ON runs (created_at DESC, run_id DESC);
    `,
  },
  {
    version: 2,
    description: 'index for listing runs of one status newest first',
    sql: `CREATE INDEX runs_by_status_newest_first ON runs (status, created_at DESC, run_id DESC);`,
  },
  {
    version: 3,
    description: 'run ownership: owners with heartbeats (database clock), fencing tokens, cancel requests',
    sql: `
      ALTER TABLE runs ADD COLUMN fence integer NOT NULL DEFAULT 0;
      ALTER TABLE runs ADD COLUMN owner_id text;
      ALTER TABLE runs ADD COLUMN cancel_requested text;
      CREATE TABLE owners (
        owner_id     text PRIMARY KEY,
        host         text NOT NULL,
        pid          integer NOT NULL,
        started_at   bigint NOT NULL,
        heartbeat_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX runs_by_owner ON runs (owner_id) WHERE owner_id IS NOT NULL;
      CREATE INDEX runs_unfinished ON runs (created_at) WHERE status NOT IN ('succeeded', 'partial', 'failed', 'cancelled');
    `,
  },
  {
    version: 4,
    description: 'decisions on runs waiting for approval, left for the process that holds the run',
    sql: `
      CREATE TABLE decision_requests (
        run_id       text COLLATE "C" NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        approval_key text NOT NULL,
        request_id   text NOT NULL,
        body         json NOT NULL,
        requested_at text COLLATE "C" NOT NULL,
        PRIMARY KEY (run_id, approval_key)
      );
    `,
  },
  {
    version: 5,
    // A run released without a mark is taken over only once the lease has passed since its last
    // write (someone may still write it); one its owner handed over can be taken at once. The mark
    // holds while the fence is the one it was made at: any claim, by code that knows of it or not
    // (an older Baton on the same journal), moves the fence on.
    description: 'runs handed over by their owner (released_by at released_fence)',
    sql: `
      ALTER TABLE runs ADD COLUMN released_by text;
      ALTER TABLE runs ADD COLUMN released_fence integer;
    `,
  },
];

/** The schema version this Baton writes. */
export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.length;

/** The advisory lock key every Baton process takes while migrating (hashtext of a fixed name). */
const MIGRATION_LOCK = "hashtext('baton.journal.migrations')";

/**
 * Brings the database up to POSTGRES_SCHEMA_VERSION, in one transaction holding an advisory
 * lock, so several processes starting at once migrate it exactly once and the others wait.
 * Throws when the database was written by a newer schema.
 */
export async function migratePostgres(pool: Pool, where: string): Promise<void> {
  const client = await pool.connect();
  const sql = statementsOf(client);
  let broken: Error | undefined;
  try {
    await sql('BEGIN');
    await migrateLocked(sql, where);
    await sql('COMMIT');
  } catch (e) {
    await sql('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw e;
  } finally {
    client.release(broken);
  }
}

/**
 * How long waiting for another process's migration, or one migration's own statements (an index
 * built over a large journal), may take: the pool's bound on a query is for the journal's reads
 * and writes. The other statements of a migration keep that bound.
 */
const MIGRATION_STATEMENT_TIMEOUT_MS = 10 * 60_000;

type Statements = <R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[], slow?: 'slow') => Promise<QueryResult<R>>;

function statementsOf(client: PoolClient): Statements {
  // node-postgres reads a query's own query_timeout, which its types do not name.
  return (text, values, slow) => client.query({ text, ...(values ? { values } : {}), ...(slow ? { query_timeout: MIGRATION_STATEMENT_TIMEOUT_MS } : {}) } as QueryConfig);
}

async function migrateLocked(sql: Statements, where: string): Promise<void> {
  await sql(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`, undefined, 'slow');
  await sql(`
    CREATE TABLE IF NOT EXISTS baton_schema_version (
      version     integer PRIMARY KEY,
      description text NOT NULL,
      applied_at  timestamptz NOT NULL DEFAULT now()
    )`);
  const { rows } = await sql<{ version: number }>('SELECT coalesce(max(version), 0)::integer AS version FROM baton_schema_version');
  const current = rows[0]?.version ?? 0;
  if (current > POSTGRES_SCHEMA_VERSION) {
    throw new BatonError(
      'INTERNAL',
      `the journal database ${where} was written by a newer Baton (schema version ${current}; this Baton reads up to ${POSTGRES_SCHEMA_VERSION}): upgrade Baton, or point BATON_DATABASE_URL at another database`,
      { retryable: false },
    );
  }
  for (const migration of POSTGRES_MIGRATIONS) {
    if (migration.version <= current) continue;
    await sql(migration.sql, undefined, 'slow');
    await sql('INSERT INTO baton_schema_version (version, description) VALUES ($1, $2)', [migration.version, migration.description]);
  }
}
