import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/src/core/events.ts';
import type { Policy, RunResult } from '../../core/src/core/types.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import type { ScriptedAgent } from '../../core/src/testing/index.ts';
import { eventsOf, postJson, readSse, runOf, startTestServer, statusIs } from './support.ts';
import type { TestServer } from './support.ts';

type ErrorBody = { error: { code: string; message: string; details?: { status: string; waiting: string[] } } };

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** flights, hotels → itinerary → mailer (approval: required), each recording its calls. */
async function serve(policy: Partial<Policy> = {}): Promise<{ t: TestServer; agents: Record<string, ScriptedAgent> }> {
  const agents = {
    flights: scriptedAgent({ name: 'flights', capabilities: ['flights'], produces: ['flights'] }),
    hotels: scriptedAgent({ name: 'hotels', capabilities: ['hotels'], produces: ['hotels'] }),
    itinerary: scriptedAgent({ name: 'itinerary', capabilities: ['itinerary'], consumes: ['flights', 'hotels'], produces: ['itinerary'] }),
    mailer: scriptedAgent({ name: 'mailer', capabilities: ['mail'], consumes: ['itinerary'], produces: ['receipt'], approval: 'required' }),
  };
  t = await startTestServer({ agents: Object.values(agents), policy: { retries: 0, ...policy } });
  return { t, agents };
}

async function start(base: string, goal: string): Promise<string> {
  const res = await postJson(`${base}/v1/runs`, { goal });
  return ((await res.json()) as { runId: string }).runId;
}

describe('approval over HTTP', () => {
  it('a waiting run shows what waits; approve answers 200 with the RunResult; the run goes on', async () => {
    const { t, agents } = await serve({ approval: 'plan' });
    const runId = await start(t.url, 'an itinerary');
    const waiting = await statusIs(t.url, runId, 'awaiting-approval');
    expect(waiting.awaiting).toEqual([expect.objectContaining({ kind: 'plan', plan: waiting.plan })]);
    const listed = (await (await fetch(`${t.url}/v1/runs?status=awaiting-approval`)).json()) as { runs: { runId: string }[] };
    expect(listed.runs.map((r) => r.runId)).toEqual([runId]);
    expect(agents['flights']!.calls).toHaveLength(0);
    const res = await postJson(`${t.url}/v1/runs/${runId}/approve`, { by: 'ops-lead', note: 'go' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as RunResult;
    expect(body.approvals).toEqual([expect.objectContaining({ kind: 'plan', decision: 'approved', by: 'ops-lead', note: 'go', planEdited: false })]);
    expect(body.status).not.toBe('awaiting-approval');
    const final = await statusIs(t.url, runId, 'succeeded');
    expect(final.awaiting).toBeUndefined();
    const events = eventsOf(await readSse(await fetch(`${t.url}/v1/runs/${runId}/events`)));
    expect(events.filter((e) => e.type.startsWith('approval.')).map((e: RunEvent) => e.type)).toEqual(['approval.requested', 'approval.decided']);
  });

  it('reject ends a run cancelled (by "http" unless the body names who); a run that waits for nothing answers 409 with its status', async () => {
    const { t } = await serve({ approval: 'plan' });
    const runId = await start(t.url, 'an itinerary');
    await statusIs(t.url, runId, 'awaiting-approval');
    const res = await postJson(`${t.url}/v1/runs/${runId}/reject`, { reason: 'wrong dates' });
    expect(res.status).toBe(200);
    const final = await statusIs(t.url, runId, 'cancelled');
    expect(final.reason).toBe('the plan was rejected by http: wrong dates');
    const again = await postJson(`${t.url}/v1/runs/${runId}/approve`, {});
    expect(again.status).toBe(409);
    const error = ((await again.json()) as ErrorBody).error;
    expect(error.code).toBe('NOT_AWAITING_APPROVAL');
    expect(error.details?.status).toBe('cancelled');
    expect(error.message).toContain(`run ${runId} (cancelled)`);
    expect((await postJson(`${t.url}/v1/runs/r_nosuchrun/approve`, {})).status).toBe(404);
  });

  it('refuses an edited plan that fails validation with 400, the run still waiting; a good edit runs', async () => {
    const { t, agents } = await serve({ approval: 'plan' });
    const runId = await start(t.url, 'an itinerary');
    await statusIs(t.url, runId, 'awaiting-approval');
    const bad = await postJson(`${t.url}/v1/runs/${runId}/approve`, { plan: { tasks: [{ id: 'x', agent: 'nobody' }] } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error.message).toMatch(/plan\.tasks\[0\]: task "x" uses agent "nobody"/);
    expect((await runOf(t.url, runId)).status).toBe('awaiting-approval');
    const good = await postJson(`${t.url}/v1/runs/${runId}/approve`, { plan: { tasks: [{ id: 'h', agent: 'hotels' }] }, by: 'editor' });
    expect(good.status).toBe(200);
    const final = await statusIs(t.url, runId, 'succeeded');
    expect(final.plan.tasks.map((x) => x.id)).toEqual(['h']);
    expect(final.approvals[0]).toMatchObject({ by: 'editor', planEdited: true });
    expect([agents['flights']!.calls.length, agents['hotels']!.calls.length]).toEqual([0, 1]);
  });

  it('refuses an edited plan with a __proto__ key (400, the run still waiting), as POST /v1/runs refuses that plan, rather than dropping the key', async () => {
    const { t, agents } = await serve({ approval: 'plan' });
    const runId = await start(t.url, 'an itinerary');
    await statusIs(t.url, runId, 'awaiting-approval');
    const body = '{"plan": {"tasks": [{"id": "h", "agent": "hotels"}], "__proto__": {"requested": ["hotels"]}}}';
    const res = await fetch(`${t.url}/v1/runs/${runId}/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/plan: unknown key "__proto__"/);
    expect((await runOf(t.url, runId)).status).toBe('awaiting-approval');
    expect(agents['hotels']!.calls).toHaveLength(0);
  });

  it('decides on a task: 409 for a task id that does not wait; the gated agent runs only once approved', async () => {
    const { t, agents } = await serve();
    const runId = await start(t.url, 'an itinerary, then mail it');
    const waiting = await statusIs(t.url, runId, 'awaiting-approval');
    const task = waiting.awaiting?.[0];
    expect(task).toMatchObject({ kind: 'task', agent: 'mailer' });
    const wrong = await postJson(`${t.url}/v1/runs/${runId}/approve`, { taskId: 't1-find-flights' });
    expect(wrong.status).toBe(409);
    expect(((await wrong.json()) as ErrorBody).error.details?.waiting).toEqual([`task ${task!.taskId!}`]);
    expect(agents['mailer']!.calls).toHaveLength(0);
    expect((await postJson(`${t.url}/v1/runs/${runId}/approve`, { taskId: task!.taskId })).status).toBe(200);
    await statusIs(t.url, runId, 'succeeded');
    expect(agents['mailer']!.calls).toHaveLength(1);
  });

  it('of two decisions racing, exactly one wins and the other answers 409', async () => {
    const { t } = await serve({ approval: 'plan' });
    const runId = await start(t.url, 'an itinerary');
    await statusIs(t.url, runId, 'awaiting-approval');
    const answers = await Promise.all([postJson(`${t.url}/v1/runs/${runId}/approve`, { by: 'a' }), postJson(`${t.url}/v1/runs/${runId}/reject`, { by: 'b' })]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    const final = await runOf(t.url, runId);
    expect(final.approvals).toHaveLength(1);
  });

  it('answers 400 for a body with an unknown field', async () => {
    const { t } = await serve({ approval: 'plan' });
    const runId = await start(t.url, 'an itinerary');
    await statusIs(t.url, runId, 'awaiting-approval');
    const res = await postJson(`${t.url}/v1/runs/${runId}/approve`, { reason: 'approve does not take a reason' });
    expect(res.status).toBe(400);
  });
});
