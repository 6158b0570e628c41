import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reduceEvents } from '../../core/src/core/reduce.ts';
import type { RunResult } from '../../core/src/core/types.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import { MemoryRunStore } from '../../core/src/store/index.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { createServer } from '../src/index.ts';
import type { BatonServer } from '../src/index.ts';
import { postJson, waitForEnd } from './support.ts';

const agents = (extractMs: number) => [
  scriptedAgent({ name: 'extract', produces: ['rows'], script: [{ output: { rows: [1, 2] }, delayMs: extractMs }] }),
  scriptedAgent({ name: 'report', consumes: ['rows'], produces: ['report'], script: [{ output: { report: 'done' } }] }),
];
const plan = {
  tasks: [
    { id: 'extract', title: 'extract', instructions: '', agent: 'extract', dependsOn: [], consumes: [], produces: ['rows'] },
    { id: 'report', title: 'report', instructions: '', agent: 'report', dependsOn: ['extract'], consumes: ['rows'], produces: ['report'] },
  ],
  requested: ['report'],
};

describe('a run this server started, then lost to another process', () => {
  it('is read from the journal once it goes on elsewhere, not from what this server last saw of it', async () => {
    await withFencedRun(async ({ server, store, runId }) => {
      // A process carries it on to its end.
      const elsewhere = createOrchestrator({ name: 'reports', agents: agents(0), store });
      const ended = await (await elsewhere.resume(runId)).result;
      expect(ended.status).toBe('succeeded');
      await elsewhere.close(false);

      const res = await fetch(`${server.url}/v1/runs/${runId}`);
      const read = (await res.json()) as RunResult;
      expect(res.status, JSON.stringify(read).slice(0, 300)).toBe(200);
      expect(read.status).toBe('succeeded');
      expect(read.deliverable.artifacts['report']).toBe('done');
      const events = await (await fetch(`${server.url}/v1/runs/${runId}/events`, { headers: { accept: 'text/event-stream' } })).text();
      expect(events).toContain('event: run.ended');
    });
  }, 30_000);

  it('is read from the journal when this server takes it back, not from the events its refused writes told', async () => {
    await withFencedRun(async ({ server, store, runId }) => {
      // The process that took it over looks gone: a cancel here takes the run back and ends it.
      expect((await postJson(`${server.url}/v1/runs/${runId}/cancel`, {})).status).toBeLessThan(300);
      const read = await waitForEnd(server.url, runId);
      expect(read.status).toBe('cancelled');
      expect(read).toEqual(reduceEvents(await store.readEvents(runId)));
      const events = await (await fetch(`${server.url}/v1/runs/${runId}/events`, { headers: { accept: 'text/event-stream' } })).text();
      const seqs = [...events.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      expect(seqs).toEqual((await store.readEvents(runId)).map((e) => e.seq));
    });
  }, 30_000);
});

/**
 * A server over a memory journal, one run started on it over HTTP (its first task takes 400 ms), and
 * that run claimed right away by an owner that looks gone, so the server's next write is refused and
 * it stops the run.
 */
async function withFencedRun(body: (ctx: { server: BatonServer; store: MemoryRunStore; runId: string }) => Promise<void>): Promise<void> {
  const store = new MemoryRunStore();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'baton-fenced-here-'));
  const server = await createServer({
    orchestrator: ({ limiter }) => createOrchestrator({ name: 'reports', agents: agents(400), store, limiter }),
    host: '127.0.0.1',
    port: 0,
    dataDir,
    telemetry: false,
    takeover: false,
  });
  try {
    const { runId } = (await (await postJson(`${server.url}/v1/runs`, { goal: 'a report', plan })).json()) as { runId: string };
    const held = (await store.ownership(runId))!;
    const gone = { id: `${hostname()}:4194303:gone`, host: hostname(), pid: 4_194_303, startedAt: 0 };
    expect(await store.claim(runId, gone, held.fence)).toBe(held.fence + 1);
    for (let i = 0; i < 100 && server.orchestrator.isActive(runId); i++) await new Promise((r) => setTimeout(r, 50));
    expect(server.orchestrator.isActive(runId)).toBe(false);
    await body({ server, store, runId });
  } finally {
    await server.close();
    await server.orchestrator.close(false);
    await rm(dataDir, { recursive: true, force: true });
  }
}
