import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/sqlite-driver.ts';
import { CHECKPOINTER_SOURCE, CLOSE_WAIT_MS, SqliteCheckpointer, THREAD_COMPLETES_PAGES } from '../../src/store/sqlite-checkpointer.ts';
import { SqliteRunStore } from '../../src/store/sqlite-store.ts';
import { stamp } from './sample-journal.ts';

const storeModule = join(import.meta.dirname, '..', '..', 'src', 'store', 'sqlite-store.ts');

async function writeRuns(store: SqliteRunStore, count: number, prefix = 'r_'): Promise<void> {
  for (let i = 0; i < count; i++) {
    const runId = `${prefix}${i}`;
    await store.createRun({ runId, goal: 'g', createdAt: new Date().toISOString() });
    await store.append(runId, stamp(runId, [{ type: 'task.failed', taskId: 't1', reason: 'x'.repeat(2_000) }]));
  }
}

describe('SQLite WAL checkpoints from a thread', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempFile = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-checkpoint-'));
    dirs.push(dir);
    return join(dir, 'baton.db');
  };

  it('copies committed pages into the database file long before the WAL reaches the writer’s own checkpoint size', async () => {
    const file = tempFile();
    const store = new SqliteRunStore({ file });
    try {
      await writeRuns(store, 40);
      const db = openSqlite(file, { readonly: true });
      const pages = Number(db.pragmaValue('page_count')) * Number(db.pragmaValue('page_size'));
      db.close();
      // 40 small runs are ~150 WAL pages, far below the 1000 at which SQLite's writer checkpoints by itself.
      expect(statSync(`${file}-wal`).size).toBeLessThan(1000 * 4096);
      const deadline = Date.now() + 5_000;
      while (statSync(file).size < pages && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(statSync(file).size).toBe(pages);
      expect((await store.readEvents('r_39')).length).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('completes the WAL itself under writes that never pause, so the writer need not (its checkpoint held the event loop for two fsyncs)', async () => {
    const file = tempFile();
    const store = new SqliteRunStore({ file });
    // The writer's own checkpoint off: only the thread can let the WAL start again from its beginning.
    (store as unknown as { db: { exec(sql: string): void } }).db.exec('PRAGMA wal_autocheckpoint = 0');
    const frameBytes = 4096 + 24;
    let largest = 0;
    try {
      // ~10 WAL pages a run: ~40,000 in all, which a WAL never started again would hold.
      for (let i = 0; i < 4_000; i++) {
        await writeRuns(store, 1, `r${i}_`);
        largest = Math.max(largest, statSync(`${file}-wal`).size);
      }
      expect(largest / frameBytes).toBeGreaterThan(THREAD_COMPLETES_PAGES);
      // A completion that finds the lock held past its wait tries again at twice the WAL's length:
      // on a loaded machine (a full test suite on two cores) twice in a row reached 16,872 pages.
      // Room for three such doublings, and still far below a WAL that never starts again.
      expect(largest / frameBytes).toBeLessThan(28_000);
      expect((await store.readEvents('r3999_0')).length).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('lets no write fail for the lock it holds while it completes the WAL, even with no busy timeout', async () => {
    const file = tempFile();
    const store = new SqliteRunStore({ file, busyTimeoutMs: 0 });
    try {
      for (let i = 0; i < 1_500; i++) await writeRuns(store, 1, `r${i}_`);
      expect((await store.readEvents('r1499_0')).length).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('closes the thread’s connection with the store, so the last close still removes the WAL', async () => {
    const file = tempFile();
    const store = new SqliteRunStore({ file });
    await writeRuns(store, 5);
    await store.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
    const reopened = new SqliteRunStore({ file });
    expect((await reopened.listRuns()).length).toBe(5);
    await reopened.close();
  });

  it('does not keep a process alive that never closes its journal, nor one that closes it last', () => {
    const file = tempFile();
    for (const close of ['', 'await store.close();']) {
      const script = `
        import { SqliteRunStore } from ${JSON.stringify(storeModule)};
        const store = new SqliteRunStore({ file: ${JSON.stringify(file)} });
        const runId = 'r_' + Math.random().toString(36).slice(2);
        await store.createRun({ runId, goal: 'g', createdAt: new Date().toISOString() });
        await store.append(runId, [{ type: 'task.skipped', taskId: 't', reason: 'r', runId, seq: 1, at: new Date().toISOString() }]);
        ${close}
        console.log('done');`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
      expect({ status: child.status, stdout: child.stdout.trim(), stderr: child.stderr }).toEqual({ status: 0, stdout: 'done', stderr: '' });
    }
  });

  /** A journal file in WAL mode, and its writing connection. */
  const walJournal = (): { file: string; db: ReturnType<typeof openSqlite> } => {
    const file = tempFile();
    const db = openSqlite(file);
    db.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x)');
    return { file, db };
  };
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  it('stops a thread that read the stop flag as unset just before close set it', async () => {
    // The thread's step between reading the flag and its sleep, made 40 ms long (it is a few
    // instructions): a close landing there woke nobody, and the thread slept for good.
    const sleepAfterCheck = 'Atomics.wait(state, 0, seen);';
    expect(CHECKPOINTER_SOURCE).toContain(sleepAfterCheck);
    const source = CHECKPOINTER_SOURCE.replace(sleepAfterCheck, `{ const from = Date.now(); while (Date.now() - from < 40); } ${sleepAfterCheck}`);
    const { file, db } = walJournal();
    const checkpointer = new SqliteCheckpointer(file, db.driver, () => undefined, { source, closeWaitMs: 60_000 });
    let closed = false;
    try {
      checkpointer.committed();
      await sleep(500);
      expect(checkpointer.running).toBe(true);
      db.exec('INSERT INTO t VALUES (1)');
      checkpointer.committed();
      // The thread gathers commits for 20 ms, copies the WAL, reads the flag, then spends 40 ms before its sleep.
      await sleep(35);
      // Far less than the bound given it (60 s), which would hide the sleep.
      closed = await Promise.race([checkpointer.close().then(() => true), sleep(5_000).then(() => false)]);
      expect(closed, 'close() still waiting after 5 s').toBe(true);
    } finally {
      // A thread asleep for good would outlive the test, held by the close still waiting for it.
      if (!closed) await (checkpointer as unknown as { worker: Worker }).worker.terminate();
      db.close();
    }
  });

  it(`ends the close of a thread that never stops once its bound has passed (${CLOSE_WAIT_MS} ms by default)`, async () => {
    const { file, db } = walJournal();
    const source = 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);';
    const checkpointer = new SqliteCheckpointer(file, db.driver, () => undefined, { source, closeWaitMs: 300 });
    try {
      checkpointer.committed();
      await sleep(300);
      expect(checkpointer.running).toBe(true);
      const closing = Date.now();
      const closed = await Promise.race([checkpointer.close().then(() => true), sleep(5_000).then(() => false)]);
      expect(closed, 'close() still waiting after 5 s').toBe(true);
      expect(Date.now() - closing).toBeGreaterThanOrEqual(290);
    } finally {
      db.close();
    }
  });
});
