/**
 * Clients that open a run's event stream and never read it (a laptop gone to sleep with the
 * dashboard open, a proxy that buffers, a hostile client), on a run the server reads from the
 * journal (here: one a previous server on the same SQLite file ran). The server must hold the
 * run's events once, not once per such client.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import { SqliteRunStore } from '../../core/src/store/index.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { createServer } from '../src/index.ts';
import type { BatonServer } from '../src/index.ts';
import { postJson, stuckFollower, waitForEnd } from './support.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const TASKS = 40;
const OUTPUT_CHARS = 500_000;
const CLIENTS = 10;

function serve(file: string, dataDir: string): Promise<BatonServer> {
  const agents = [scriptedAgent({ name: 'big', produces: ['blob'], script: [{ output: () => ({ blob: `${Math.random()}`.padEnd(OUTPUT_CHARS, 'x') }) }] })];
  return createServer({
    orchestrator: ({ limiter }) => createOrchestrator({ name: 'o', description: 'o', agents, store: new SqliteRunStore({ file }), limiter }),
    host: '127.0.0.1',
    port: 0,
    dataDir,
    telemetry: false,
    takeover: false,
  });
}

async function stop(server: BatonServer): Promise<void> {
  await server.close();
  await server.orchestrator.close();
}

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('event streams of a run read from the journal, to clients that do not read', () => {
  it('hold the run once, not once per client', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'baton-sse-slow-'));
    const file = path.join(dataDir, 'baton.db');
    const first = await serve(file, dataDir);
    let runId: string;
    try {
      const tasks = Array.from({ length: TASKS }, (_, i) => ({ id: `t${i}`, agent: 'big' }));
      const res = await postJson(`${first.url}/v1/runs`, { plan: { tasks } });
      runId = ((await res.json()) as { runId: string }).runId;
      expect((await waitForEnd(first.url, runId, {}, 60_000)).status).toBe('succeeded');
    } finally {
      await stop(first);
    }
    const runBytes = TASKS * OUTPUT_CHARS;
    const server = await serve(file, dataDir);
    const sockets: Socket[] = [];
    try {
      const before = heapUsed();
      for (let i = 0; i < CLIENTS; i++) sockets.push(await stuckFollower(server.url, runId));
      const held = heapUsed() - before;
      // Each stream read the whole journal and held it until its client read it: ~10x the run's
      // 20 MB with 10 clients (215 MB measured); once for them all now (~22 MB).
      expect(held).toBeLessThan(3 * runBytes);
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      for (const s of sockets) s.destroy();
      await stop(server);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
