import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEventBody } from '../../core/src/core/events.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import { MemoryRunStore, SqliteRunStore } from '../../core/src/store/index.ts';
import { stamp } from '../../core/test/store/sample-journal.ts';
import { createServer } from '../src/index.ts';
import { defaultAgents, startRun, waitForEnd } from './support.ts';

const DAY = 86_400_000;

describe('a server with a retention policy', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'baton-retention-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A run journaled `daysAgo` days ago, its files in <dataDir>/runs/<id>, ended unless `running`. */
  async function oldRun(store: SqliteRunStore, dataDir: string, runId: string, daysAgo: number, running = false): Promise<string> {
    const outDir = path.join(dataDir, 'runs', runId);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'run.json'), '{}');
    const at = Date.now() - daysAgo * DAY;
    await store.createRun({ runId, goal: 'old goal', createdAt: new Date(at).toISOString() });
    const bodies: RunEventBody[] = [{ type: 'run.started', goal: 'old goal', orchestrator: 'test', options: { outDir, pid: 1, host: 'elsewhere' } }];
    if (!running) bodies.push({ type: 'run.ended', status: 'succeeded', deliverable: { artifacts: {}, files: [], provenance: {} } });
    await store.append(runId, stamp(runId, bodies, 1, at));
    return outDir;
  }

  it('deletes ended runs older than the policy with their files, at start and periodically, and keeps the rest', async () => {
    const dataDir = path.join(dir, 'data');
    const store = new SqliteRunStore({ file: path.join(dir, 'journal.db') });
    const old = await oldRun(store, dataDir, 'r_old', 10);
    const stuck = await oldRun(store, dataDir, 'r_stuck', 10, true);
    const server = await createServer({
      orchestrator: ({ limiter }) => createOrchestrator({ name: 'test', agents: defaultAgents(5), store, limiter }),
      port: 0,
      dataDir,
      telemetry: false,
      retention: { olderThanMs: 7 * DAY, everyMs: 100 },
      // Left alone, the server would carry the stuck run on (its process is gone) and end it.
      takeover: false,
    });
    try {
      // The journal rows go first, then the files.
      await expect.poll(() => store.getRun('r_old'), { timeout: 10_000 }).toBeUndefined();
      await expect.poll(() => existsSync(old), { timeout: 10_000 }).toBe(false);
      // A later run ages past the policy and goes at the next interval; a running one never does.
      const runId = await startRun(server.url, 'produce the report');
      await waitForEnd(server.url, runId);
      expect(existsSync(path.join(dataDir, 'runs', runId, 'deliverable.md'))).toBe(true);
      const older = await oldRun(store, dataDir, 'r_older', 8);
      await expect.poll(() => existsSync(older), { timeout: 10_000 }).toBe(false);
      await expect.poll(() => store.getRun('r_older'), { timeout: 10_000 }).toBeUndefined();
      expect((await store.getRun(runId))?.status).toBe('succeeded');
      expect((await store.getRun('r_stuck'))?.status).toBe('running');
      expect(existsSync(stuck)).toBe(true);
    } finally {
      await server.close();
      await server.orchestrator.close();
    }
  });

  it('is refused before listening for a journal that cannot delete runs', async () => {
    const store = new MemoryRunStore();
    Object.assign(store, { deleteRun: undefined });
    await expect(
      createServer({ orchestrator: createOrchestrator({ name: 'test', agents: defaultAgents(), store }), port: 0, telemetry: false, retention: { olderThanMs: DAY } }),
    ).rejects.toThrow(/cannot delete runs/);
  });
});
