import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunStore } from '../../src/core/contracts.ts';
import { BatonError } from '../../src/core/errors.ts';
import { MemoryRunStore } from '../../src/store/memory-store.ts';
import { DEFAULT_DATABASE_FILE, openStore } from '../../src/store/open-store.ts';
import { SqliteRunStore } from '../../src/store/sqlite-store.ts';
import { stamp } from './sample-journal.ts';

describe('openStore', () => {
  const dirs: string[] = [];
  const stores: RunStore[] = [];
  const cwd = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-open-'));
    dirs.push(dir);
    return dir;
  };
  const open = async (spec: string | undefined, options: Parameters<typeof openStore>[1]): Promise<RunStore> => {
    const store = await openStore(spec, options);
    stores.push(store);
    return store;
  };

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("opens a memory store for 'memory'", async () => {
    expect(await open('memory', { env: {} })).toBeInstanceOf(MemoryRunStore);
  });

  it("gives the memory journal the bounds asked for, whether 'memory' is the spec or BATON_DATABASE_URL", async () => {
    for (const [spec, env] of [['memory', {}], [undefined, { BATON_DATABASE_URL: 'memory' }]] as const) {
      const store = await open(spec, { env, memory: { maxFinishedRuns: 1 } });
      for (const runId of ['first', 'second']) {
        await store.createRun({ runId, goal: 'g', createdAt: new Date().toISOString() });
        await store.append(runId, stamp(runId, [{ type: 'run.started', goal: 'g', orchestrator: 'o' }], 1));
        await store.append(runId, stamp(runId, [{ type: 'run.ended', status: 'succeeded', deliverable: { artifacts: {}, files: [], provenance: {} } }], 2));
      }
      expect(await store.getRun('first')).toBeUndefined();
      expect((await store.getRun('second'))?.status).toBe('succeeded');
    }
  });

  it(`opens ${DEFAULT_DATABASE_FILE} under cwd when nothing is configured`, async () => {
    const dir = cwd();
    const store = await open(undefined, { cwd: dir, env: {} });
    expect(store).toBeInstanceOf(SqliteRunStore);
    expect((store as SqliteRunStore).file).toBe(join(dir, '.baton', 'baton.db'));
    expect(existsSync(join(dir, '.baton', 'baton.db'))).toBe(true);
  });

  it('resolves a relative SQLite path against cwd and keeps an absolute one', async () => {
    const dir = cwd();
    expect(((await open('data/runs.db', { cwd: dir, env: {} })) as SqliteRunStore).file).toBe(join(dir, 'data', 'runs.db'));
    const absolute = join(cwd(), 'abs.db');
    expect(((await open(absolute, { cwd: dir, env: {} })) as SqliteRunStore).file).toBe(absolute);
  });

  it('uses BATON_DATABASE_URL when no spec is given, and a spec over it', async () => {
    const dir = cwd();
    expect(await open(undefined, { cwd: dir, env: { BATON_DATABASE_URL: 'memory' } })).toBeInstanceOf(MemoryRunStore);
    const fromEnv = await open(undefined, { cwd: dir, env: { BATON_DATABASE_URL: 'env.db' } });
    expect((fromEnv as SqliteRunStore).file).toBe(join(dir, 'env.db'));
    expect(await open('memory', { cwd: dir, env: { BATON_DATABASE_URL: 'env.db' } })).toBeInstanceOf(MemoryRunStore);
    const blank = await open(undefined, { cwd: dir, env: { BATON_DATABASE_URL: ' ' } });
    expect((blank as SqliteRunStore).file).toBe(join(dir, '.baton', 'baton.db'));
  });

  it('rejects a URL of a database it does not support instead of making a file of it', async () => {
    const dir = cwd();
    const error = await openStore('mysql://db.example/baton', { cwd: dir, env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(BatonError.isInstance(error) && error.code).toBe('BAD_REQUEST');
    expect((error as BatonError).message).toContain('mysql://');
    expect(existsSync(join(dir, 'mysql:'))).toBe(false);
  });
});
