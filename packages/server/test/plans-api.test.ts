import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/src/core/types.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { postJson, startTestServer, waitForEnd } from './support.ts';
import type { TestServer } from './support.ts';

type ErrorBody = { error: { code: string; message: string; details?: { taskId?: string; path: string; message: string }[] } };

describe('fixed plans and workflows over HTTP', () => {
  let t: TestServer;
  const agents = () => [
    scriptedAgent({ name: 'flights', produces: ['flights'] }),
    scriptedAgent({ name: 'hotels', produces: ['hotels'] }),
    scriptedAgent({ name: 'itinerary', consumes: ['flights', 'hotels'], produces: ['itinerary'] }),
  ];
  beforeAll(async () => {
    t = await startTestServer({ agents: agents(), orchestratorOptions: { workflows: { quick: { description: 'Flights and hotels', tasks: [{ id: 'f', agent: 'flights' }, { id: 'h', agent: 'hotels' }] } } } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists the workflows in GET /v1/agents', async () => {
    const body = (await (await fetch(`${t.url}/v1/agents`)).json()) as { workflows: { name: string; description: string; plan: RunResult['plan'] }[] };
    expect(body.workflows.map((w) => [w.name, w.description, w.plan.tasks.map((x) => x.id)])).toEqual([['quick', 'Flights and hotels', ['f', 'h']]]);
  });

  it('runs {plan} with no goal (planner fixed) and {workflow} (planner workflow)', async () => {
    const res = await postJson(`${t.url}/v1/runs`, { plan: { tasks: [{ id: 'f', agent: 'flights' }, { id: 'h', agent: 'hotels' }, { id: 'it', agent: 'itinerary' }] } });
    expect(res.status).toBe(202);
    const fixed = (await waitForEnd(t.url, ((await res.json()) as { runId: string }).runId)) as unknown as RunResult;
    expect(fixed).toMatchObject({ status: 'succeeded', planner: 'fixed' });
    expect(fixed.plan.tasks.map((x) => x.id)).toEqual(['f', 'h', 'it']);
    const wf = await postJson(`${t.url}/v1/runs`, { workflow: 'quick', goal: 'just the bookings' });
    const result = (await waitForEnd(t.url, ((await wf.json()) as { runId: string }).runId)) as unknown as RunResult;
    expect(result).toMatchObject({ status: 'succeeded', planner: 'workflow', goal: 'just the bookings' });
  });

  it('takes a blank goal beside a workflow or a plan as a goal left out, as the library does', async () => {
    const wf = await postJson(`${t.url}/v1/runs`, { workflow: 'quick', goal: '   ' });
    expect(wf.status).toBe(202);
    const result = (await waitForEnd(t.url, ((await wf.json()) as { runId: string }).runId)) as unknown as RunResult;
    expect(result).toMatchObject({ status: 'succeeded', planner: 'workflow', goal: 'quick: Flights and hotels' });
    const plan = await postJson(`${t.url}/v1/runs`, { plan: { tasks: [{ id: 'f', agent: 'flights' }] }, goal: '' });
    expect(plan.status).toBe(202);
    expect(await waitForEnd(t.url, ((await plan.json()) as { runId: string }).runId)).toMatchObject({ planner: 'fixed', goal: 'the plan given: f' });
  });

  const refusals: [string, unknown, RegExp][] = [
    ['a plan naming an unknown agent', { plan: { tasks: [{ id: 'm', agent: 'mailer' }] } }, /plan\.tasks\[0\]: task "m" uses agent "mailer"/],
    ['a plan with a cycle', { plan: { tasks: [{ id: 'a', agent: 'flights', dependsOn: ['b'] }, { id: 'b', agent: 'hotels', dependsOn: ['a'] }] } }, /cycle: a → b → a/],
    ['a plan consuming an artifact nobody produces', { plan: { tasks: [{ id: 'it', agent: 'itinerary', dependsOn: [] }] } }, /task "it" consumes "flights", but no task it depends on/],
    ['an unknown workflow', { workflow: 'slow' }, /no workflow named "slow"/],
    ['neither goal, plan nor workflow', {}, /give a goal, or a plan or a workflow/],
    ['a blank goal alone', { goal: ' \t ' }, /goal: goal must not be empty \(or give a plan or a workflow\)/],
    ['a workflow that is not a string, in the words of the library', { workflow: 5 }, /^invalid body: workflow: workflow must be a string: the name of one of the manifest's workflows$/],
  ];
  for (const [what, body, message] of refusals) {
    it(`answers 400 for ${what}, naming the task or field, and starts nothing`, async () => {
      const before = ((await (await fetch(`${t.url}/v1/runs`)).json()) as { runs: unknown[] }).runs.length;
      const res = await postJson(`${t.url}/v1/runs`, body);
      expect(res.status).toBe(400);
      const error = ((await res.json()) as ErrorBody).error;
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(message);
      expect(((await (await fetch(`${t.url}/v1/runs`)).json()) as { runs: unknown[] }).runs.length).toBe(before);
    });
  }

  it('names the task in the details of a bad plan', async () => {
    const res = await postJson(`${t.url}/v1/runs`, { plan: { tasks: [{ id: 'f', agent: 'flights' }, { id: 'm', agent: 'mailer' }] } });
    expect(((await res.json()) as ErrorBody).error.details).toEqual([expect.objectContaining({ taskId: 'm', path: 'tasks[1]' })]);
  });
});
