import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { eventsOf, postJson, readSse, startRun, startTestServer, waitForEnd } from './support.ts';
import type { TestServer } from './support.ts';

describe('cancel and concurrent runs', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      agents: [
        // Hangs for goals about "stuck"; answers at once otherwise.
        scriptedAgent({ name: 'stuck', capabilities: ['stuck'], produces: ['never'], script: [{ hang: true }] }),
        scriptedAgent({ name: 'quick', capabilities: ['quick'], produces: ['answer'], script: [{ output: { answer: 42 }, delayMs: 20 }] }),
      ],
      policy: { maxParallel: 1, taskTimeoutMs: 60_000 },
      maxConcurrentTasks: 2,
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('cancels a run mid-run; it ends cancelled and a second cancel says it ended', async () => {
    const runId = await startRun(t.url, 'produce never');
    const stream = fetch(`${t.url}/v1/runs/${runId}/events`).then((r) => readSse(r));
    // Wait until the agent is working on it.
    for (;;) {
      const r = (await (await fetch(`${t.url}/v1/runs/${runId}`)).json()) as { tasks: { status: string }[] };
      if (r.tasks[0]?.status === 'running') break;
      await new Promise((res) => setTimeout(res, 20));
    }
    const res = await postJson(`${t.url}/v1/runs/${runId}/cancel`, { reason: 'user changed their mind' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ runId, status: 'cancelling' });
    const events = eventsOf(await stream);
    expect(events.at(-1)).toMatchObject({ type: 'run.ended', status: 'cancelled', reason: 'user changed their mind' });
    const again = await fetch(`${t.url}/v1/runs/${runId}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('RUN_ENDED');
  });

  it('a hung run does not block other runs', async () => {
    const hung = await startRun(t.url, 'produce never');
    const others = await Promise.all([0, 1, 2, 3, 4].map((i) => startRun(t.url, `produce answer ${i}`)));
    for (const id of others) expect((await waitForEnd(t.url, id)).status).toBe('succeeded');
    const still = (await (await fetch(`${t.url}/v1/runs/${hung}`)).json()) as { status: string };
    expect(still.status).toBe('running');
    expect((await fetch(`${t.url}/v1/runs/${hung}/cancel`, { method: 'POST' })).status).toBe(202);
    expect((await waitForEnd(t.url, hung)).status).toBe('cancelled');
  });

  it('closing the server cancels the runs it started', async () => {
    const local = await startTestServer({
      agents: [scriptedAgent({ name: 'stuck', produces: ['never'], script: [{ hang: true }] })],
    });
    const runId = await startRun(local.url, 'produce never');
    await local.server.close();
    const result = await local.server.orchestrator.store.readEvents(runId);
    expect(result.at(-1)).toMatchObject({ type: 'run.ended', status: 'cancelled' });
    await local.close();
  });
});
