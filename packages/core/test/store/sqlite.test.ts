import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openSqlite as openDatabase } from '../../src/store/sqlite-driver.ts';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunStore } from '../../src/core/contracts.ts';
import { BatonError } from '../../src/core/errors.ts';
import type { RunEvent } from '../../src/core/events.ts';
import { reduceEvents } from '../../src/core/reduce.ts';
import { SQLITE_SCHEMA_VERSION } from '../../src/store/sqlite-migrations.ts';
import { EXTEND_CHARS, ROW_CHARS } from '../../src/store/sqlite-event-rows.ts';
import { SqliteRunStore } from '../../src/store/sqlite-store.ts';
import { runStoreConformance } from './run-store.conformance.ts';
import { stamp } from './sample-journal.ts';
import { thrown } from '../support/thrown.ts';

const folders = new Map<RunStore, string>();

function fileOf(store: RunStore): string {
  if (!(store instanceof SqliteRunStore)) throw new Error('not a SqliteRunStore');
  return store.file;
}

runStoreConformance('sqlite', {
  create: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-sqlite-'));
    const store = new SqliteRunStore({ file: join(dir, 'journal', 'baton.db') });
    folders.set(store, dir);
    return store;
  },
  destroy: async (store) => {
    await store.close();
    const dir = folders.get(store);
    folders.delete(store);
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
  reopen: async (store) => {
    await store.close();
    const reopened = new SqliteRunStore({ file: fileOf(store) });
    const dir = folders.get(store);
    folders.delete(store);
    if (dir) folders.set(reopened, dir);
    return reopened;
  },
  openAnother: async (store) => new SqliteRunStore({ file: fileOf(store) }),
});

describe('SqliteRunStore', () => {
  const dirs: string[] = [];
  const stores: RunStore[] = [];
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-sqlite-'));
    dirs.push(dir);
    return dir;
  };
  const open = (file: string): SqliteRunStore => {
    const store = new SqliteRunStore({ file });
    stores.push(store);
    return store;
  };

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('forgets a hand-over once the run was claimed again, also by a Baton that does not know of the mark', async () => {
    const file = join(tempDir(), 'baton.db');
    const store = open(file);
    const a = { id: 'a', host: 'h', pid: 1, startedAt: 0 };
    await store.createRun({ runId: 'r1', goal: 'g', createdAt: '2024-06-30T08:00:00.000Z', owner: a });
    await store.release('r1', 'a', 1, { handedOver: true });
    expect((await store.ownership('r1'))?.handedOverBy).toBe('a');
    // An older Baton's claim and release, on the same file (its SQL knows no released_by).
    const older = openDatabase(file);
    try {
      older.prepare("UPDATE runs SET fence = fence + 1, owner_id = 'old' WHERE run_id = 'r1' AND fence = 1").run();
      older.prepare("UPDATE runs SET owner_id = NULL WHERE run_id = 'r1' AND owner_id = 'old' AND fence = 2").run();
    } finally {
      older.close();
    }
    const o = await store.ownership('r1');
    expect(o?.fence).toBe(2);
    expect(o?.owner).toBeUndefined();
    expect(o?.handedOverBy).toBeUndefined();
  });

  it('creates the folder and a WAL journal at the current schema version', () => {
    const file = join(tempDir(), 'a', 'b', 'baton.db');
    open(file);
    const db = openDatabase(file, { readonly: true });
    try {
      expect(db.pragmaValue('journal_mode')).toBe('wal');
      expect(db.pragmaValue('user_version')).toBe(SQLITE_SCHEMA_VERSION);
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r['name']);
      expect(tables).toEqual(['decision_requests', 'events', 'owners', 'runs']);
      const columns = (table: string): unknown[] => db.prepare('SELECT name FROM pragma_table_info(?)').all(table).map((r) => r['name']);
      expect(columns('runs')).toEqual(['run_id', 'goal', 'status', 'created_at', 'updated_at', 'manifest_file', 'event_count', 'fence', 'owner_id', 'cancel_requested', 'released_by', 'released_fence']);
      expect(columns('events')).toEqual(['run_id', 'seq', 'type', 'at', 'body', 'last_seq']);
    } finally {
      db.close();
    }
  });

  it('stores each event as JSON with its type and time in columns', async () => {
    const file = join(tempDir(), 'baton.db');
    const store = open(file);
    await store.createRun({ runId: 'r_1', goal: 'g', createdAt: '2024-01-01T00:00:00.000Z' });
    const events = stamp('r_1', [{ type: 'task.skipped', taskId: 't1', reason: 'why' }]);
    await store.append('r_1', events);
    const db = openDatabase(file, { readonly: true });
    try {
      expect(db.prepare('SELECT run_id, seq, type, at, body FROM events').get()).toEqual({
        run_id: 'r_1',
        seq: 1,
        type: 'task.skipped',
        at: events[0]?.at,
        body: JSON.stringify(events[0]),
      });
    } finally {
      db.close();
    }
  });

  it("writes a batch's consecutive events in one row, read back whole and after any seq", async () => {
    const file = join(tempDir(), 'baton.db');
    const store = open(file);
    await store.createRun({ runId: 'r_big', goal: 'g', createdAt: '2024-01-01T00:00:00.000Z' });
    const events = stamp('r_big', Array.from({ length: 150 }, (_, i) => ({ type: 'task.skipped' as const, taskId: `t${i}`, reason: `why ${i}` })));
    await store.append('r_big', events.slice(0, 60));
    await store.append('r_big', events.slice(60));
    expect(await store.readEvents('r_big')).toStrictEqual(events);
    for (const after of [1, 2, 3, 60, 61, 75, 149, 150]) expect(await store.readEvents('r_big', after)).toStrictEqual(events.slice(after));
    expect((await store.getRun('r_big'))?.eventCount).toBe(150);
    const db = openDatabase(file, { readonly: true });
    try {
      expect(db.prepare('SELECT seq, last_seq, type, at FROM events ORDER BY seq').all()).toEqual([
        { seq: 1, last_seq: 60, type: 'task.skipped', at: events[59]?.at },
        { seq: 61, last_seq: 150, type: 'task.skipped', at: events[149]?.at },
      ]);
    } finally {
      db.close();
    }
  });

  it(`extends a run's first row with the next batches while it holds less than ${EXTEND_CHARS} characters, then adds rows`, async () => {
    const file = join(tempDir(), 'baton.db');
    const store = open(file);
    const events = stamp('r_grow', Array.from({ length: 40 }, (_, i) => ({ type: 'task.skipped' as const, taskId: `t${i}`, reason: 'x'.repeat(300) })));
    await store.createRunWithEvents({ runId: 'r_grow', goal: 'g', createdAt: '2024-01-01T00:00:00.000Z' }, events.slice(0, 1));
    for (let from = 1; from < 40; from += 3) {
      await store.append('r_grow', events.slice(from, from + 3));
      expect(await store.readEvents('r_grow')).toStrictEqual(events.slice(0, from + 3));
    }
    for (const after of [0, 1, 4, 13, 14, 15, 39, 40]) expect(await store.readEvents('r_grow', after)).toStrictEqual(events.slice(after));
    const db = openDatabase(file, { readonly: true });
    try {
      const rows = db.prepare('SELECT seq, last_seq, length(body) AS chars FROM events ORDER BY seq').all() as { seq: number; last_seq: number | null; chars: number }[];
      // Each event is ~400 characters: the first row takes batches until it holds EXTEND_CHARS or more.
      expect(rows[0]).toMatchObject({ seq: 1, last_seq: 13 });
      expect(rows[0]!.chars).toBeGreaterThanOrEqual(EXTEND_CHARS);
      expect(rows.slice(1).map((r) => [r.seq, r.last_seq])).toEqual(Array.from({ length: 9 }, (_, i) => [14 + 3 * i, 16 + 3 * i]));
    } finally {
      db.close();
    }
  });

  it('starts a new row past ROW_CHARS of JSON, an event larger than that alone in its row, more rows than one INSERT holds', async () => {
    const file = join(tempDir(), 'baton.db');
    const store = open(file);
    await store.createRun({ runId: 'r_wide', goal: 'g', createdAt: '2024-01-01T00:00:00.000Z' });
    // sizes cycle through a third, a half and more than a whole row's worth of JSON
    const sizes = [ROW_CHARS / 3, ROW_CHARS / 2, ROW_CHARS + 10];
    const events = stamp('r_wide', Array.from({ length: 240 }, (_, i) => ({ type: 'task.skipped' as const, taskId: `t${i}`, reason: 'x'.repeat(sizes[i % 3] as number) })));
    await store.append('r_wide', events);
    expect(await store.readEvents('r_wide')).toStrictEqual(events);
    expect(await store.readEvents('r_wide', 100)).toStrictEqual(events.slice(100));
    const db = openDatabase(file, { readonly: true });
    try {
      const rows = db.prepare('SELECT seq, last_seq, length(body) AS chars FROM events ORDER BY seq').all() as { seq: number; last_seq: number | null; chars: number }[];
      expect(rows.length).toBeGreaterThan(64);
      for (const row of rows) {
        if (row.last_seq === null) continue;
        expect(row.last_seq).toBeGreaterThan(row.seq);
        expect(row.chars).toBeLessThan(ROW_CHARS + 2);
      }
      expect(rows.filter((row) => row.last_seq === null).length).toBeGreaterThanOrEqual(80);
      expect(rows.map((row) => row.seq)).toEqual([...new Set(rows.map((row) => row.seq))].sort((a, b) => a - b));
    } finally {
      db.close();
    }
  });

  it('writes the owner row again for a run created after its owner retired', async () => {
    const store = open(join(tempDir(), 'baton.db'));
    const owner = { id: 'h:1:a', host: 'h', pid: 1, startedAt: 1 };
    await store.createRun({ runId: 'r_a', goal: 'g', createdAt: '2024-01-01T00:00:00.000Z', owner });
    await store.retire(owner.id);
    await store.createRun({ runId: 'r_b', goal: 'g', createdAt: '2024-01-01T00:00:01.000Z', owner });
    expect((await store.ownership('r_b'))?.owner).toEqual(owner);
  });

  it('opens a journal written at schema version 1 and migrates it', async () => {
    const file = join(tempDir(), 'baton.db');
    copyFileSync(join(import.meta.dirname, 'fixtures', 'journal-v1.db'), file);
    const expected = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'journal-v1.events.json'), 'utf8')) as Record<string, RunEvent[]>;
    const store = open(file);
    expect((await store.listRuns()).map((r) => [r.runId, r.status, r.eventCount])).toEqual([
      ['r_v1_running', 'running', 7],
      ['r_v1_partial', 'partial', 19],
    ]);
    expect(await store.getRun('r_v1_partial')).toMatchObject({ manifestFile: '/srv/reports/baton.yaml', createdAt: '2024-06-30T09:00:00.000Z' });
    const events = await store.readEvents('r_v1_partial');
    expect(events).toStrictEqual(expected['r_v1_partial']);
    expect(reduceEvents(events)?.status).toBe('partial');
    expect((await store.listRuns({ status: 'running' })).map((r) => r.runId)).toEqual(['r_v1_running']);
    await store.append('r_v1_running', stamp('r_v1_running', [{ type: 'run.resumed', interruptedAttempts: [] }], 8));
    expect((await store.getRun('r_v1_running'))?.eventCount).toBe(8);
    const db = openDatabase(file, { readonly: true });
    try {
      expect(db.pragmaValue('user_version')).toBe(SQLITE_SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  const bulkyRun = async (store: SqliteRunStore, runId: string): Promise<void> => {
    await store.createRun({ runId, goal: 'g', createdAt: '2024-01-01T00:00:00.000Z' });
    await store.append(runId, stamp(runId, [{ type: 'task.failed', taskId: 't1', reason: 'x'.repeat(500_000) }, { type: 'run.ended', status: 'failed', deliverable: { artifacts: {}, files: [], provenance: {} } }]));
  };
  const walBytes = (file: string): number => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

  /**
   * A `wal_checkpoint(TRUNCATE)` of the journal in `file` from a worker thread, on a connection of
   * its own that waits up to 3 s: `blockedMs` is how long it took once it had the checkpoint lock.
   */
  const checkpointInThread = (file: string): { started: Promise<void>; blockedMs: Promise<number>; worker: Worker } => {
    const probe = openDatabase(':memory:');
    const { driver } = probe;
    probe.close();
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       process.emitWarning = () => {};
       const db = workerData.driver === 'better-sqlite3'
         ? new (require(workerData.betterSqlite))(workerData.file)
         : new (process.getBuiltinModule('node:sqlite').DatabaseSync)(workerData.file);
       db.exec('PRAGMA busy_timeout = 3000');
       parentPort.postMessage('started');
       // Until it has the checkpoint lock (another checkpoint may hold it a moment): then it waits.
       const truncate = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)');
       const nap = new Int32Array(new SharedArrayBuffer(4));
       let blockedMs = -1;
       for (const giveUp = performance.now() + 3000; performance.now() < giveUp; Atomics.wait(nap, 0, 0, 1)) {
         const t0 = performance.now();
         if (truncate.get().log === -1) continue;
         blockedMs = performance.now() - t0;
         break;
       }
       parentPort.postMessage(blockedMs);
       db.close();`,
      { eval: true, workerData: { file, driver, betterSqlite: driver === 'better-sqlite3' ? createRequire(import.meta.url).resolve('better-sqlite3') : undefined } },
    );
    const ended = new Promise<never>((_, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the checkpoint thread exited (${code}) before it said so`)));
    });
    ended.catch(() => undefined);
    const message = (): Promise<unknown> => Promise.race([new Promise((resolve) => worker.once('message', resolve)), ended]);
    const started = message().then(() => undefined);
    const blockedMs = started.then(message).then(Number);
    blockedMs.catch(() => undefined);
    return { started, blockedMs, worker };
  };

  /** Resolves once another connection holds the checkpoint lock of the journal in `file` (a checkpoint of ours then gets no lock). */
  const untilCheckpointLockIsHeld = async (file: string): Promise<void> => {
    const probe = openDatabase(file);
    try {
      probe.exec('PRAGMA busy_timeout = 0');
      const passive = probe.prepare('PRAGMA wal_checkpoint(PASSIVE)');
      for (const giveUp = performance.now() + 3_000; passive.get()?.['log'] !== -1; await new Promise((resolve) => setTimeout(resolve, 5))) {
        if (performance.now() > giveUp) throw new Error('no other connection took the checkpoint lock');
      }
    } finally {
      probe.close();
    }
  };

  it('gives deleted runs back to the disk in a new journal: WAL truncated, free pages released', async () => {
    const file = join(tempDir(), 'baton.db');
    const store = open(file);
    for (let i = 0; i < 6; i++) await bulkyRun(store, `r_${i}`);
    const full = statSync(file).size + walBytes(file);
    expect(full).toBeGreaterThan(3_000_000);
    for (let i = 0; i < 5; i++) await store.deleteRun(`r_${i}`);
    const report = await store.reclaimSpace();
    expect(walBytes(file)).toBe(0);
    expect(report?.bytesBefore).toBeGreaterThan(3_000_000);
    expect(report?.bytesAfter).toBe(statSync(file).size);
    expect(report?.bytesAfter).toBeLessThan(1_000_000);
    expect(report?.bytesFree).toBe(0);
    expect((await store.readEvents('r_5')).length).toBe(2);
  });

  it('truncates the WAL though a reader holds it and another connection is checkpointing, without holding the event loop meanwhile', async () => {
    const file = join(tempDir(), 'baton.db');
    const store = open(file);
    for (let i = 0; i < 2; i++) await bulkyRun(store, `r_${i}`);
    await store.deleteRun('r_0');
    // A reader on the WAL (another process's `runs list`), then a commit after its snapshot, which
    // no checkpoint can copy while it reads: another connection's TRUNCATE checkpoint (in a thread,
    // with a busy timeout) waits for it holding the checkpoint lock, as the checkpointer thread's
    // pass holds it after a commit. SQLite answered the store's own checkpoint busy at once, or
    // held the event loop in its busy handler until the reader let go.
    const reader = openDatabase(file);
    let checkpointing: ReturnType<typeof checkpointInThread> | undefined;
    let readerDone: NodeJS.Timeout | undefined;
    try {
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) AS n FROM events').get();
      await store.createRun({ runId: 'r_after', goal: 'g', createdAt: '2024-01-02T00:00:00.000Z' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      checkpointing = checkpointInThread(file);
      await checkpointing.started;
      await untilCheckpointLockIsHeld(file);
      const t0 = performance.now();
      let readerDoneAfter: number | undefined;
      readerDone = setTimeout(() => {
        readerDoneAfter = performance.now() - t0;
        reader.exec('COMMIT');
      }, 200);
      await store.reclaimSpace();
      expect(walBytes(file)).toBe(0);
      // The reader's timer fired while the store waited: the event loop was free.
      expect(readerDoneAfter).toBeDefined();
      expect(readerDoneAfter).toBeLessThan(2_000);
      // The other checkpoint held its lock waiting for the reader: the store's met it.
      expect(await checkpointing.blockedMs).toBeGreaterThan(150);
    } finally {
      clearTimeout(readerDone);
      try {
        reader.exec('COMMIT');
      } catch {
        // Committed by its timer already.
      }
      reader.close();
      await checkpointing?.worker.terminate();
    }
    expect((await store.readEvents('r_1')).length).toBe(2);
  });

  it('says the store is closed when it is closed while reclaiming space waits for a reader', async () => {
    const file = join(tempDir(), 'baton.db');
    const store = open(file);
    await bulkyRun(store, 'r_0');
    await store.deleteRun('r_0');
    const reader = openDatabase(file);
    try {
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) AS n FROM events').get();
      await store.createRun({ runId: 'r_after', goal: 'g', createdAt: '2024-01-02T00:00:00.000Z' });
      const reclaiming = store.reclaimSpace();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await store.close();
      await expect(reclaiming).rejects.toThrow(/run store is closed/);
    } finally {
      reader.close();
    }
  });

  it('in a journal made before incremental vacuum, frees pages for reuse and gives them back with full: true', async () => {
    const file = join(tempDir(), 'baton.db');
    copyFileSync(join(import.meta.dirname, 'fixtures', 'journal-v1.db'), file);
    const store = open(file);
    expect(store.file).toBe(file);
    for (let i = 0; i < 4; i++) await bulkyRun(store, `r_${i}`);
    for (let i = 0; i < 4; i++) await store.deleteRun(`r_${i}`);
    const partial = await store.reclaimSpace();
    expect(walBytes(file)).toBe(0);
    expect(partial?.bytesFree).toBeGreaterThan(1_500_000);
    expect(partial?.bytesAfter).toBeGreaterThan(1_500_000);
    const full = await store.reclaimSpace({ full: true });
    expect(full?.bytesAfter).toBeLessThan(500_000);
    expect(full?.bytesFree).toBe(0);
    expect((await store.listRuns()).map((r) => r.runId)).toEqual(['r_v1_running', 'r_v1_partial']);
    expect(reduceEvents(await store.readEvents('r_v1_partial'))?.status).toBe('partial');
  });

  it('refuses a journal written by a newer schema, saying what to do', () => {
    const file = join(tempDir(), 'baton.db');
    open(file);
    const db = openDatabase(file);
    db.exec(`PRAGMA user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    db.close();
    let error: unknown;
    try {
      open(file);
    } catch (e) {
      error = e;
    }
    expect(BatonError.isInstance(error)).toBe(true);
    expect((error as BatonError).message).toContain(`written by a newer Baton (schema version ${SQLITE_SCHEMA_VERSION + 1}`);
    expect((error as BatonError).message).toContain(file);
    expect((error as BatonError).retryable).toBe(false);
  });

  it('refuses a journal another connection keeps locked past the busy timeout, saying so and that it is worth trying again', async () => {
    const file = join(tempDir(), 'baton.db');
    await open(file).close();
    const other = openDatabase(file);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const error = thrown(() => new SqliteRunStore({ file, busyTimeoutMs: 50 }));
      expect(error.code).toBe('JOURNAL_UNAVAILABLE');
      expect(error.message).toContain(`cannot open the journal database ${file}: database is locked (another connection held it locked for more than the busy timeout, 50 ms`);
      expect(error.message).toContain('try again once it is done');
      expect(error.message).not.toContain('check the path');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });

  it('refuses a file that is not a SQLite database', () => {
    const file = join(tempDir(), 'notes.txt');
    writeFileSync(file, 'this is not a database, just some text that is long enough to have a header '.repeat(20));
    expect(() => open(file)).toThrow(/is not a SQLite database/);
  });

  it('shares one journal with another process, both reading and writing', async () => {
    const file = join(tempDir(), 'baton.db');
    const store = open(file);
    await store.createRun({ runId: 'r_parent', goal: 'g', createdAt: '2024-01-01T00:00:00.000Z' });
    const child = runWriter(file, 'r_child', 60);
    for (let b = 0; b < 60; b++) {
      await store.append('r_parent', stamp('r_parent', [1, 2, 3].map((i) => ({ type: 'task.skipped', taskId: `t${i}`, reason: 'parent' })), b * 3 + 1));
    }
    const childRecord = JSON.parse(await child) as { eventCount: number };
    expect(childRecord.eventCount).toBe(180);
    const childEvents = await store.readEvents('r_child');
    expect(childEvents.map((e) => e.seq)).toEqual(Array.from({ length: 180 }, (_, i) => i + 1));
    // the other way round: the child process reads and continues what this process wrote
    const again = JSON.parse(await runWriter(file, 'r_parent', 1)) as { eventCount: number };
    expect(again.eventCount).toBe(183);
    expect((await store.getRun('r_parent'))?.eventCount).toBe(183);
  });
});

/** Runs helpers/sqlite-writer.ts in a separate node process; resolves with its stdout. */
function runWriter(file: string, runId: string, batches: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'helpers', 'sqlite-writer.ts'), file, runId, String(batches)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`sqlite-writer exited ${code}: ${stderr}`))));
  });
}
