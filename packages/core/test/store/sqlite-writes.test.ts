import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/sqlite-driver.ts';
import type { SqliteDatabase } from '../../src/store/sqlite-driver.ts';
import { SqliteRunStore } from '../../src/store/sqlite-store.ts';
import { SqliteWrites } from '../../src/store/sqlite-writes.ts';
import { stamp } from './sample-journal.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * More turns of a 1 ms timer than a loop held by SQLite's busy handler can make in a wait of
 * 100-150 ms (at most one, before the wait begins). A free loop makes 20 or more on an idle
 * machine, and made 17 on a loaded 2-vCPU one while the whole suite ran.
 */
const FREE_LOOP_TICKS = 5;

/** Counts the turns of the event loop's timers: they stop while a statement waits in SQLite's busy handler. */
function timerTicks(): { count(): number; stop(): void } {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  return { count: () => ticks, stop: () => clearInterval(timer) };
}

/** Whether a promise has settled, read synchronously. */
function watch(p: Promise<unknown>): { settled(): boolean } {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { settled: () => settled };
}

/** After `ms`, `p` has not settled, and the event loop's timers ran meanwhile (SQLite's busy handler would have slept in this thread). */
async function expectStillWaiting(p: Promise<unknown>, ms: number): Promise<void> {
  const state = watch(p);
  const ticks = timerTicks();
  await sleep(ms);
  ticks.stop();
  expect(ticks.count()).toBeGreaterThan(FREE_LOOP_TICKS);
  expect(state.settled()).toBe(false);
}

const failed = (runId: string, seq = 1): ReturnType<typeof stamp> => stamp(runId, [{ type: 'task.failed', taskId: 't', reason: 'r' }], seq);

describe('SQLite journal writes that meet another connection’s write lock', () => {
  const dirs: string[] = [];
  const others: SqliteDatabase[] = [];
  afterEach(() => {
    for (const db of others.splice(0)) if (db.open) db.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempFile = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-writes-'));
    dirs.push(dir);
    return join(dir, 'baton.db');
  };
  /** A second connection to `file` holding the write lock until it commits. */
  const lockHolder = (file: string): SqliteDatabase => {
    const db = openSqlite(file);
    others.push(db);
    db.exec('BEGIN IMMEDIATE');
    return db;
  };
  /** A store at a new file with run r1, a second connection holding the write lock; the store is closed after `body`. */
  const lockedOut = async (busyTimeoutMs: number | undefined, body: (store: SqliteRunStore, other: SqliteDatabase) => Promise<void>): Promise<void> => {
    const file = tempFile();
    const store = new SqliteRunStore(busyTimeoutMs === undefined ? { file } : { file, busyTimeoutMs });
    try {
      await store.createRun({ runId: 'r1', goal: 'g', createdAt: new Date().toISOString() });
      await body(store, lockHolder(file));
    } finally {
      await store.close();
    }
  };

  it('waits with the event loop free, then writes once the lock is let go', async () => {
    await lockedOut(undefined, async (store, other) => {
      const appended = store.append('r1', failed('r1'));
      await expectStillWaiting(appended, 150);
      other.exec('COMMIT');
      await appended;
      expect((await store.readEvents('r1')).map((e) => e.type)).toEqual(['task.failed']);
    });
  });

  it('begins the writes asked for meanwhile in the order they were asked for', async () => {
    const file = tempFile();
    const store = new SqliteRunStore({ file });
    try {
      const other = lockHolder(file);
      const createdAt = new Date().toISOString();
      // Not awaited one by one: each would fail if it began before the one asked for before it.
      const writes = [
        store.createRun({ runId: 'r1', goal: 'g', createdAt }),
        store.append('r1', failed('r1')),
        store.append('r1', failed('r1', 2)),
        store.requestCancel('r1', 'stop'),
        store.deleteRun('r1').then(
          () => 'deleted',
          (e: Error) => e.message,
        ),
      ];
      await sleep(30);
      other.exec('COMMIT');
      const results = await Promise.all(writes);
      expect(results[4]).toMatch(/r1.*(running|has not ended)|(running|has not ended).*r1/i);
      expect((await store.readEvents('r1')).map((e) => e.seq)).toEqual([1, 2]);
      expect((await store.ownership('r1'))?.cancelRequested).toBe('stop');
    } finally {
      await store.close();
    }
  });

  it('fails with the busy timeout, the event loop free until then, and writes again afterwards', async () => {
    await lockedOut(150, async (store, other) => {
      const ticks = timerTicks();
      const started = performance.now();
      const error = await store.append('r1', failed('r1')).then(
        () => undefined,
        (e: Error) => e,
      );
      const waited = performance.now() - started;
      ticks.stop();
      expect(error?.message).toMatch(/append to run r1: the journal database .*baton\.db stayed locked by another connection past the busy timeout; try again, or raise busyTimeoutMs/);
      expect(waited).toBeGreaterThanOrEqual(140);
      expect(ticks.count()).toBeGreaterThan(FREE_LOOP_TICKS);
      other.exec('COMMIT');
      // Nothing of the failed write is left begun: the next one commits.
      await store.append('r1', failed('r1'));
      expect((await store.readEvents('r1')).length).toBe(1);
    });
  });

  it('begins nothing while this process’s checkpointer thread asks for the lock, whatever the busy timeout', async () => {
    const db = openSqlite(tempFile());
    others.push(db);
    db.exec('CREATE TABLE t (n INTEGER)');
    let threadWaits = false;
    /** A write through `writes` while the thread asks for the lock: it waits, then lands once the thread lets go. */
    const waitsForTheThread = async (writes: SqliteWrites, n: number): Promise<void> => {
      threadWaits = true;
      const written = writes.run(() => insert.run(n));
      const state = watch(written);
      await sleep(50);
      expect(state.settled()).toBe(false);
      threadWaits = false;
      await written;
      expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n });
    };
    const insert = db.prepare('INSERT INTO t (n) VALUES (?)');
    await waitsForTheThread(new SqliteWrites(db, 5_000, () => undefined, () => threadWaits), 1);
    // Giving way to the thread does not count against the busy timeout: with none, the write
    // still waits for the thread, then begins.
    await waitsForTheThread(new SqliteWrites(db, 0, () => undefined, () => threadWaits), 2);
  });

  it('says which write stayed locked out, for ownership and decisions too', async () => {
    await lockedOut(50, async (store, other) => {
      const owner = { id: 'o1', host: 'h', pid: 1, startedAt: 0 };
      await expect(store.heartbeat(owner)).rejects.toThrow(/^heartbeat of o1: the journal database .* stayed locked by another connection past the busy timeout/);
      await expect(store.requestCancel('r1', 'stop')).rejects.toThrow(/^cancel of run r1: .* stayed locked by another connection/);
      other.exec('COMMIT');
      await store.requestCancel('r1', 'stop');
      expect((await store.ownership('r1'))?.cancelRequested).toBe('stop');
    });
  });

  it('vacuums once the lock is let go, the event loop free meanwhile', async () => {
    await lockedOut(undefined, async (store, other) => {
      const reclaimed = store.reclaimSpace({ full: true });
      await expectStillWaiting(reclaimed, 100);
      other.exec('COMMIT');
      expect(await reclaimed).toMatchObject({ bytesFree: 0 });
    });
  });

  it('rolls back a transaction whose COMMIT fails, so the next write begins', async () => {
    const db = openSqlite(tempFile());
    others.push(db);
    db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)');
    db.exec('PRAGMA foreign_keys = ON');
    const writes = new SqliteWrites(db, 1_000, () => undefined);
    await expect(writes.run(() => db.exec('INSERT INTO child (p) VALUES (1)'))).rejects.toThrow(/FOREIGN KEY/);
    await writes.run(() => db.exec('INSERT INTO parent (id) VALUES (1)'));
    expect(db.prepare('SELECT count(*) AS n FROM parent').get()).toEqual({ n: 1 });
    expect(db.prepare('SELECT count(*) AS n FROM child').get()).toEqual({ n: 0 });
  });

  it('fails a write still waiting when the store is closed, with the store’s own error', async () => {
    const file = tempFile();
    const store = new SqliteRunStore({ file });
    await store.createRun({ runId: 'r1', goal: 'g', createdAt: new Date().toISOString() });
    const other = lockHolder(file);
    const appended = store.append('r1', failed('r1'));
    const state = watch(appended);
    await sleep(20);
    await store.close();
    await expect(appended).rejects.toThrow(/run store is closed/);
    expect(state.settled()).toBe(true);
    other.exec('COMMIT');
  });
});
