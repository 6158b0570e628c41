import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/core/events.ts';
import { openSqlite } from '../../src/store/sqlite-driver.ts';
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from '../../src/store/sqlite-migrations.ts';
import { SqliteRunStore } from '../../src/store/sqlite-store.ts';
import { PROCESS_OWNER } from '../../src/execution/owner-identity.ts';
import { sampleJournal, stamp } from './sample-journal.ts';

/**
 * Writes a journal as Baton wrote it at schema `version`: the released migrations up to it (never
 * edited, so they are that schema's DDL), then rows the way that version's store wrote them.
 */
function journalAtVersion(file: string, version: number, runs: Record<string, { status: string; events: RunEvent[] }>): void {
  const db = openSqlite(file);
  try {
    db.exec('PRAGMA journal_mode = WAL');
    for (const m of SQLITE_MIGRATIONS.filter((m) => m.version <= version)) db.exec(m.sql);
    db.exec(`PRAGMA user_version = ${version}`);
    const insertRun = db.prepare('INSERT INTO runs (run_id, goal, status, created_at, updated_at, manifest_file, event_count) VALUES (?, ?, ?, ?, ?, NULL, ?)');
    const insertEvent = db.prepare('INSERT INTO events (run_id, seq, type, at, body) VALUES (?, ?, ?, ?, ?)');
    for (const [runId, run] of Object.entries(runs)) {
      const first = run.events[0] as RunEvent;
      insertRun.run(runId, 'Build the Q2 sales report', run.status, first.at, first.at, run.events.length);
      for (const e of run.events) insertEvent.run(runId, e.seq, e.type, e.at, JSON.stringify(e));
    }
  } finally {
    db.close();
  }
}

describe('SQLite journal migrations', () => {
  const dirs: string[] = [];
  const stores: SqliteRunStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempFile = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-migrate-'));
    dirs.push(dir);
    return join(dir, 'baton.db');
  };
  const open = (file: string): SqliteRunStore => {
    const store = new SqliteRunStore({ file });
    stores.push(store);
    return store;
  };

  describe('while a process of an older Baton executes runs on the journal', () => {
    const withOwner = (file: string, owner: { host: string; pid: number; heartbeatAgoMs: number }): void => {
      journalAtVersion(file, 6, { r_v6_running: { status: 'running', events: sampleJournal('r_v6_running').slice(0, 7) } });
      const db = openSqlite(file);
      try {
        db.prepare('INSERT INTO owners (owner_id, host, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)').run(
          `${owner.host}:${owner.pid}:abc`,
          owner.host,
          owner.pid,
          Date.now() - 60_000,
          Date.now() - owner.heartbeatAgoMs,
        );
        db.prepare("UPDATE runs SET owner_id = ?, fence = 1 WHERE run_id = 'r_v6_running'").run(`${owner.host}:${owner.pid}:abc`);
      } finally {
        db.close();
      }
    };
    const schemaOf = (file: string): number => {
      const db = openSqlite(file, { readonly: true });
      try {
        return Number(db.pragmaValue('user_version'));
      } finally {
        db.close();
      }
    };

    it('refuses to migrate past the rows it can read, naming the process, and leaves the journal as it was', () => {
      const file = tempFile();
      withOwner(file, { host: 'elsewhere', pid: 4242, heartbeatAgoMs: 500 });
      expect(() => open(file)).toThrow(/in use by another Baton process \(pid 4242 on elsewhere, heartbeat 0\.\d s ago\).*schema 6.*stop it/);
      expect(schemaOf(file)).toBe(6);
    });

    it('migrates once its heartbeat is older than the lease, or its process on this host is gone', async () => {
      const stale = tempFile();
      withOwner(stale, { host: 'elsewhere', pid: 4242, heartbeatAgoMs: 60_000 });
      expect((await open(stale).readEvents('r_v6_running')).length).toBe(7);
      expect(schemaOf(stale)).toBe(SQLITE_SCHEMA_VERSION);

      const dead = tempFile();
      const child = spawnSync(process.execPath, ['-e', '']);
      expect(child.status).toBe(0);
      withOwner(dead, { host: PROCESS_OWNER.host, pid: child.pid as number, heartbeatAgoMs: 500 });
      expect((await open(dead).readEvents('r_v6_running')).length).toBe(7);
      expect(schemaOf(dead)).toBe(SQLITE_SCHEMA_VERSION);
    });
  });

  it('migrates a version 4 journal: events into a rowid table, read back unchanged; runs listed as before through the new indexes', async () => {
    const file = tempFile();
    const ended = sampleJournal('r_v4_partial');
    const running = sampleJournal('r_v4_running').slice(0, 7);
    journalAtVersion(file, 4, { r_v4_partial: { status: 'partial', events: ended }, r_v4_running: { status: 'running', events: running } });
    const before = openSqlite(file, { readonly: true });
    expect(String(before.prepare("SELECT sql FROM sqlite_master WHERE name = 'events'").get()?.['sql'])).toContain('WITHOUT ROWID');
    before.close();

    const store = open(file);
    expect(await store.readEvents('r_v4_partial')).toStrictEqual(ended);
    expect(await store.readEvents('r_v4_running')).toStrictEqual(running);
    expect(await store.readEvents('r_v4_running', 5)).toStrictEqual(running.slice(5));
    expect((await store.listRuns()).map((r) => r.runId)).toEqual(['r_v4_running', 'r_v4_partial']);
    expect((await store.listRuns({ status: 'partial' })).map((r) => r.runId)).toEqual(['r_v4_partial']);
    expect((await store.listRuns({ status: 'running' })).map((r) => r.runId)).toEqual(['r_v4_running']);
    expect((await store.listRuns({ status: 'running', before: 'r_v4_partial' })).map((r) => r.runId)).toEqual([]);
    expect((await store.listRuns({ before: 'r_v4_running' })).map((r) => r.runId)).toEqual(['r_v4_partial']);
    const db = openSqlite(file, { readonly: true });
    try {
      expect(db.pragmaValue('user_version')).toBe(SQLITE_SCHEMA_VERSION);
      const schema = db.prepare("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'events' ORDER BY name").all();
      expect(schema.map((r) => r['name'])).toEqual(['events', 'sqlite_autoindex_events_1']);
      expect(String(schema[0]?.['sql'])).not.toContain('WITHOUT ROWID');
      expect(db.prepare('SELECT name FROM pragma_table_info(?)').all('events').map((r) => r['name'])).toEqual(['run_id', 'seq', 'type', 'at', 'body', 'last_seq']);
      const runIndexes = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' ORDER BY name").all();
      expect(runIndexes.map((r) => r['name'])).toEqual(['runs_by_created', 'runs_cancel_requested', 'runs_ended_by_status', 'runs_unfinished', 'sqlite_autoindex_runs_1']);
      expect(String(runIndexes[2]?.['sql'])).toContain("WHERE status NOT IN ('running', 'awaiting-approval')");
    } finally {
      db.close();
    }

    // the key still refuses a second writer's events at the same seq, and the run goes on
    const next = stamp('r_v4_running', [{ type: 'run.resumed', interruptedAttempts: [] }], 8);
    const other = open(file);
    await other.append('r_v4_running', next);
    await expect(store.append('r_v4_running', next)).rejects.toThrow(/appended to concurrently at seq 8/);
    expect(await store.readEvents('r_v4_running')).toStrictEqual([...running, ...next]);
    // a batch appended after the migration shares a row, read back after the rows of one event each
    const batch = stamp('r_v4_running', [{ type: 'task.skipped', taskId: 'a', reason: 'r' }, { type: 'task.skipped', taskId: 'b', reason: 'r' }, { type: 'task.skipped', taskId: 'c', reason: 'r' }], 9);
    await store.append('r_v4_running', batch);
    const whole = [...running, ...next, ...batch];
    for (const afterSeq of [0, 6, 8, 9, 10, 11]) expect(await store.readEvents('r_v4_running', afterSeq)).toStrictEqual(whole.slice(afterSeq));
    expect(await store.deleteRun('r_v4_partial')).toBe(true);
    expect(await store.getRun('r_v4_partial')).toBeUndefined();
    const after = openSqlite(file);
    try {
      expect(after.prepare('SELECT count(*) AS n FROM events WHERE run_id = ?').get('r_v4_partial')?.['n']).toBe(0);
      expect(() => after.prepare("INSERT INTO events (run_id, seq, type, at, body) VALUES ('r_v4_running', 8, 'x', 'x', '{}')").run()).toThrow(/UNIQUE constraint failed: events.run_id, events.seq/);
    } finally {
      after.close();
    }
  });
});
