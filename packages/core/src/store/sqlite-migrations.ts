import { BatonError } from '../core/errors.ts';
import { leaseMs, ownerGone, PROCESS_OWNER } from '../execution/owner-identity.ts';
import type { SqliteDatabase } from './sqlite-driver.ts';

/**
 * The SQLite journal schema, as forward migrations. `PRAGMA user_version` records the version a
 * database is at. Never edit a released migration: journals written with it exist on users'
 * disks (test/store/fixtures/ keeps one). Append a new one instead.
 */
export interface SqliteMigration {
  version: number;
  description: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'runs and their event journal',
    sql: `
      CREATE TABLE runs (
        run_id        TEXT PRIMARY KEY,
        goal          TEXT NOT NULL,
        status        TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        manifest_file TEXT,
        event_count   INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE events (
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        seq    INTEGER NOT NULL,
        type   TEXT NOT NULL,
        at     TEXT NOT NULL,
        body   TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      ) WITHOUT ROWID;
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
    description: 'run ownership: owners with heartbeats, fencing tokens, cancel requests',
    sql: `
      ALTER TABLE runs ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE runs ADD COLUMN owner_id TEXT;
      ALTER TABLE runs ADD COLUMN cancel_requested TEXT;
      CREATE TABLE owners (
        owner_id     TEXT PRIMARY KEY,
        host         TEXT NOT NULL,
        pid          INTEGER NOT NULL,
        started_at   INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL
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
        run_id       TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        approval_key TEXT NOT NULL,
        request_id   TEXT NOT NULL,
        body         TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        PRIMARY KEY (run_id, approval_key)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    // Events are a few hundred bytes each: in a WITHOUT ROWID table every insert splits pages of
    // the primary-key b-tree (a third of them left empty); a rowid table appends them to full
    // pages and keeps only (run_id, seq) in the key index. A W1 run's append writes fewer pages.
    description: 'events in a rowid table (same columns, same key), copied from the WITHOUT ROWID one',
    sql: `
      CREATE TABLE events_v5 (
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        seq    INTEGER NOT NULL,
        type   TEXT NOT NULL,
        at     TEXT NOT NULL,
        body   TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      );
      INSERT INTO events_v5 (run_id, seq, type, at, body) SELECT run_id, seq, type, at, body FROM events ORDER BY run_id, seq;
      DROP TABLE events;
      ALTER TABLE events_v5 RENAME TO events;
    `,
  },
  {
    version: 6,
    // A run's commits touched fewer index pages: a new run lands at the right edge of ascending
    // indexes (SQLite reads them backwards for newest first), and the status index no longer
    // holds unfinished runs (runs_unfinished has them), so neither createRun nor the end of a
    // run moves an entry out of the middle of it. Queries name the partial indexes' conditions.
    description: 'run list indexes ascending; the status index for ended runs only',
    sql: `
      DROP INDEX runs_newest_first;
      CREATE INDEX runs_by_created ON runs (created_at, run_id);
      DROP INDEX runs_by_status_newest_first;
      CREATE INDEX runs_ended_by_status ON runs (status, created_at, run_id) WHERE status NOT IN ('running', 'awaiting-approval');
    `,
  },
  {
    version: 7,
    // Each row cost SQLite a b-tree insert in the table and in its key index (~4 µs, more than
    // the bytes): a W1 run's 25 events were 25 rows in one commit. A row may now hold several
    // consecutive events as a JSON array, `seq` the first and `last_seq` the last; a row of one
    // event is written as before (`last_seq` NULL), so rows of earlier versions need no rewrite.
    description: 'several consecutive events of one batch in one row (last_seq set, body a JSON array)',
    sql: `ALTER TABLE events ADD COLUMN last_seq INTEGER;`,
  },
  {
    version: 8,
    // runs_by_owner took an entry when a run was created and gave it back when it ended: a page
    // of each of a run's two commits. Only unfinished runs have an owner, so a process's own runs
    // are found through runs_unfinished; the owner is looked up by index only for pending cancels.
    description: 'runs indexed by owner only while a cancel request waits',
    sql: `
      DROP INDEX runs_by_owner;
      CREATE INDEX runs_cancel_requested ON runs (owner_id) WHERE cancel_requested IS NOT NULL;
    `,
  },
  {
    version: 9,
    // A run released without a mark is taken over only once the lease has passed since its last
    // write (someone may still write it); one its owner handed over can be taken at once. The mark
    // holds while the fence is the one it was made at: any claim, by code that knows of it or not
    // (an older Baton on the same journal), moves the fence on.
    description: 'runs handed over by their owner (released_by at released_fence)',
    sql: `
      ALTER TABLE runs ADD COLUMN released_by TEXT;
      ALTER TABLE runs ADD COLUMN released_fence INTEGER;
    `,
  },
];

/** The schema version this Baton writes. */
export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS.length;

/**
 * The first version whose rows a process of an earlier version misreads (it would take a row of
 * several events for one event). Earlier migrations kept every row readable by older code.
 */
const FIRST_UNREADABLE_TO_OLDER = 7;

/** The first version with the `owners` table (heartbeats of the processes that execute runs). */
const OWNERS_VERSION = 3;

function userVersion(db: SqliteDatabase): number {
  return Number(db.pragmaValue('user_version'));
}

function newerSchemaError(file: string, found: number): BatonError {
  return new BatonError(
    'INTERNAL',
    `the journal database ${file} was written by a newer Baton (schema version ${found}; this Baton reads up to ${SQLITE_SCHEMA_VERSION}): upgrade Baton, or point BATON_DATABASE_URL at another database file`,
    { retryable: false },
  );
}

/**
 * Brings `db` up to SQLITE_SCHEMA_VERSION. Pending migrations run in one IMMEDIATE transaction
 * that re-reads the version, so two processes opening a fresh file at once migrate it once.
 * Throws when the file was written by a newer schema, which this code cannot read safely.
 */
export function migrateSqlite(db: SqliteDatabase, file: string): void {
  const seen = userVersion(db);
  if (seen === SQLITE_SCHEMA_VERSION) return;
  if (seen > SQLITE_SCHEMA_VERSION) throw newerSchemaError(file, seen);
  db.immediate(() => {
    const current = userVersion(db);
    if (current > SQLITE_SCHEMA_VERSION) throw newerSchemaError(file, current);
    if (current >= OWNERS_VERSION && current < FIRST_UNREADABLE_TO_OLDER) refuseWhileOlderProcessesRun(db, file, current);
    for (const migration of SQLITE_MIGRATIONS) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      db.exec(`PRAGMA user_version = ${migration.version}`);
    }
  });
}

/**
 * Refuses to migrate a journal past FIRST_UNREADABLE_TO_OLDER while a process of an older Baton
 * executes runs on it (its owner row has a live heartbeat): that process checked the schema only
 * when it opened the file, and would misread the events written after the migration.
 */
function refuseWhileOlderProcessesRun(db: SqliteDatabase, file: string, current: number): void {
  const lease = leaseMs();
  const rows = db.prepare('SELECT owner_id, host, pid, started_at, heartbeat_at FROM owners WHERE heartbeat_at > ? ORDER BY heartbeat_at DESC').all(Date.now() - lease);
  for (const row of rows) {
    const owner = { id: String(row['owner_id']), host: String(row['host']), pid: Number(row['pid']), startedAt: Number(row['started_at']) };
    const heartbeatAgeMs = Math.max(0, Date.now() - Number(row['heartbeat_at']));
    // This process runs this Baton: a row of its own is not an older process.
    if (owner.id === PROCESS_OWNER.id || ownerGone({ runId: '', status: 'running', fence: 0, owner, heartbeatAgeMs }, lease) !== undefined) continue;
    throw new BatonError(
      'INTERNAL',
      `the journal database ${file} is in use by another Baton process (pid ${owner.pid} on ${owner.host}, heartbeat ${(heartbeatAgeMs / 1000).toFixed(1)} s ago), of a version that reads schema ${current}; this Baton must upgrade it to schema ${SQLITE_SCHEMA_VERSION}, whose events that process would misread: stop it (or let its runs end), then start this Baton again`,
      { retryable: true },
    );
  }
}
