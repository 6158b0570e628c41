import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSqlite } from '../../src/store/sqlite-driver.ts';
import { SqliteRunStore } from '../../src/store/sqlite-store.ts';

const owner = { id: 'host-a:4000:x', host: 'host-a', pid: 4000, startedAt: 1_700_000_000_000 };
const created = (runId: string) => ({ runId, goal: 'g', createdAt: `2024-01-01T00:00:00.${runId.slice(2).padStart(3, '0')}Z`, owner });

describe("the SQLite journal's heartbeat of a run's owner", () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Runs created `after` ms apart under `lease` (BATON_LEASE_MS, set once the store is made, as it
   * is read at each creation): whether the second wrote its owner's heartbeat (the test dates the
   * first one in 1970 in between).
   */
  async function secondWrites(lease: string | undefined, after: number): Promise<boolean> {
    const dir = mkdtempSync(join(tmpdir(), 'baton-owner-beats-'));
    dirs.push(dir);
    const file = join(dir, 'baton.db');
    const store = new SqliteRunStore({ file });
    if (lease !== undefined) vi.stubEnv('BATON_LEASE_MS', lease);
    let clock = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => clock);
    const other = openSqlite(file);
    try {
      await store.createRun(created('r_1'));
      other.prepare('UPDATE owners SET heartbeat_at = 0').run();
      clock += after;
      await store.createRun(created('r_2'));
      return Number((other.prepare('SELECT heartbeat_at FROM owners').get() as { heartbeat_at: number }).heartbeat_at) !== 0;
    } finally {
      other.close();
      await store.close();
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
    }
  }

  it('is not written again within 100 ms', async () => {
    expect(await secondWrites(undefined, 99)).toBe(false);
    expect(await secondWrites(undefined, 100)).toBe(true);
  });

  it('is written again within an eighth of a lease shorter than 800 ms', async () => {
    expect(await secondWrites('400', 49)).toBe(false);
    expect(await secondWrites('400', 50)).toBe(true);
    expect(await secondWrites('200', 25)).toBe(true);
  });
});
