import { Role, TaskState } from '@a2a-js/sdk';
import type { Message, Part, Task } from '@a2a-js/sdk';
import { ClientFactory } from '@a2a-js/sdk/client';
import type { Client } from '@a2a-js/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, dataPart, textOf, textPart } from '../src/a2a/a2a-agent.ts';
import type { PendingApproval, RunResult } from '../../core/src/core/types.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { postJson, startTestServer } from './support.ts';
import type { TestServer } from './support.ts';

const PARAMS = { type: 'object', required: ['city'], properties: { city: { type: 'string' } } };

function message(parts: Part[], taskId = ''): Message {
  return { messageId: `m-${Math.random().toString(36).slice(2)}`, contextId: '', taskId, role: Role.ROLE_USER, parts, metadata: {}, extensions: [], referenceTaskIds: [] };
}

async function send(client: Client, parts: Part[], taskId = ''): Promise<Task> {
  return (await client.sendMessage({ tenant: '', message: message(parts, taskId), configuration: undefined, metadata: {} })) as Task;
}

/** What the status message of a waiting task holds as data. */
function waiting(task: Task): { runId: string; status: string; approval: PendingApproval } {
  return dataOf(task.status?.message?.parts)[0] as { runId: string; status: string; approval: PendingApproval };
}

async function runOf(t: TestServer, runId: string): Promise<RunResult> {
  return (await (await fetch(`${t.url}/v1/runs/${runId}`)).json()) as RunResult;
}

describe('steering a run over A2A (official @a2a-js/sdk client)', () => {
  let plans: TestServer;
  let tasks: TestServer;
  const mailer = scriptedAgent({ name: 'mailer', capabilities: ['mail'], consumes: ['itinerary'], produces: ['receipt'], approval: 'required' });
  beforeAll(async () => {
    const agents = () => [
      scriptedAgent({ name: 'flights', capabilities: ['flights'], produces: ['flights'], script: [{ output: (i) => ({ flights: { to: i.params['city'] } }) }] }),
      scriptedAgent({ name: 'itinerary', capabilities: ['itinerary'], consumes: ['flights'], produces: ['itinerary'] }),
    ];
    plans = await startTestServer({ agents: agents(), policy: { approval: 'plan' }, orchestratorOptions: { params: PARAMS } });
    tasks = await startTestServer({ agents: [...agents(), mailer], orchestratorOptions: { params: PARAMS } });
  });
  afterAll(async () => {
    await plans.close();
    await tasks.close();
  });

  it('takes params as a DataPart; a waiting run is input-required with the plan as a DataPart; {"approve": true} decides', async () => {
    const client = await new ClientFactory().createFromUrl(plans.url);
    const first = await send(client, [textPart('an itinerary'), dataPart({ params: { city: 'Lisbon' } })]);
    expect(first.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const held = waiting(first);
    expect(held.status).toBe('awaiting-approval');
    expect(held.approval.kind).toBe('plan');
    expect(held.approval.plan?.tasks.map((x) => x.agent)).toEqual(['flights', 'itinerary']);
    expect(textOf(first.status?.message?.parts)).toContain('{"approve": true}');
    expect((await runOf(plans, held.runId)).params).toEqual({ city: 'Lisbon' });

    const done = await send(client, [dataPart({ approve: true, note: 'fine' })], first.id);
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(dataOf(done.artifacts.find((a) => a.name === 'deliverable')?.parts)[0]).toMatchObject({ itinerary: expect.anything() as unknown });
    const run = await runOf(plans, held.runId);
    expect(run.status).toBe('succeeded');
    expect(run.approvals).toEqual([expect.objectContaining({ decision: 'approved', by: 'a2a', note: 'fine' })]);
    expect(run.tasks.find((x) => x.agent === 'flights')?.output).toEqual({ flights: { to: 'Lisbon' } });
  });

  it('{"approve": false, "reason": ...} rejects: the run ends cancelled and so does the A2A task', async () => {
    const client = await new ClientFactory().createFromUrl(plans.url);
    const first = await send(client, [textPart('an itinerary'), dataPart({ params: { city: 'Porto' } })]);
    const done = await send(client, [dataPart({ approve: false, reason: 'too expensive' })], first.id);
    expect(done.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    const run = await runOf(plans, waiting(first).runId);
    expect(run).toMatchObject({ status: 'cancelled', reason: 'the plan was rejected by a2a: too expensive' });
  });

  it('takes no decision with a field of the wrong type, and says which: the run still waits', async () => {
    const client = await new ClientFactory().createFromUrl(plans.url);
    const first = await send(client, [textPart('an itinerary'), dataPart({ params: { city: 'Braga' } })]);
    for (const [part, said] of [
      [{ approve: true, taskId: 5 }, /"taskId" must be a string, got 5; nothing was decided/],
      [{ approve: 'yes' }, /"approve" must be true or false, got "yes"; nothing was decided/],
      [{ approve: false, reason: ['too', 'dear'] }, /"reason" must be a string, got \["too","dear"\]/],
    ] as const) {
      const answer = await send(client, [dataPart(part)], first.id);
      expect(answer.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
      expect(textOf(answer.status?.message?.parts)).toMatch(said);
    }
    const run = await runOf(plans, waiting(first).runId);
    expect(run).toMatchObject({ status: 'awaiting-approval', approvals: [] });
  });

  it('a message without a decision is answered with what waits and how to decide; the gated task runs only once approved', async () => {
    const client = await new ClientFactory().createFromUrl(tasks.url);
    const first = await send(client, [textPart('an itinerary, then mail it'), dataPart({ params: { city: 'Faro' } })]);
    expect(first.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const held = waiting(first);
    expect(held.approval).toMatchObject({ kind: 'task', agent: 'mailer', input: { params: { city: 'Faro' } } });
    expect(mailer.calls).toHaveLength(0);
    const again = await send(client, [textPart('what now?')], first.id);
    expect(again.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(textOf(again.status?.message?.parts)).toContain('{"approve": true}');
    const wrong = await send(client, [dataPart({ approve: true, taskId: 'no-such-task' })], first.id);
    expect(wrong.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(textOf(wrong.status?.message?.parts)).toMatch(/the decision was not taken: .*task no-such-task does not wait/);
    const done = await send(client, [dataPart({ approve: true })], first.id);
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(mailer.calls).toHaveLength(1);
  });

  it('a resubscription to a task that waits ends with the task, also when the decision is then taken over HTTP', async () => {
    // The SDK kept the event bus of a task waiting for input: a resubscriber got the task, then
    // waited forever, since a decision taken over HTTP publishes nothing on that bus.
    const client = await new ClientFactory().createFromUrl(tasks.url);
    const first = await send(client, [textPart('an itinerary, then mail it'), dataPart({ params: { city: 'Tavira' } })]);
    expect(first.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const seen: (TaskState | undefined)[] = [];
    const reading = (async () => {
      for await (const e of client.resubscribeTask({ tenant: '', id: first.id }, { signal: AbortSignal.timeout(5_000) })) {
        if (e.payload?.$case === 'task') seen.push(e.payload.value.status?.state);
        if (e.payload?.$case === 'statusUpdate') seen.push(e.payload.value.status?.state);
      }
    })();
    const decided = await postJson(`${tasks.url}/v1/runs/${waiting(first).runId}/approve`, {});
    expect(decided.status).toBe(200);
    await reading;
    expect(seen[0]).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    let now = await client.getTask({ tenant: '', id: first.id });
    for (let i = 0; i < 100 && now.status?.state !== TaskState.TASK_STATE_COMPLETED; i++) {
      await new Promise((r) => setTimeout(r, 50));
      now = await client.getTask({ tenant: '', id: first.id });
    }
    expect(now.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it.each([
    ['a plan that is a string', { plan: '{"tasks":[{"id":"only","agent":"flights"}]}' }],
    ['a plan that is null', { plan: null }],
    ['a workflow that is a number', { workflow: 5 }],
    ['an empty workflow', { workflow: '' }],
  ])('rejects %s beside a goal as POST /v1/runs does, in the same words, and starts no run', async (_, bad) => {
    const client = await new ClientFactory().createFromUrl(tasks.url);
    const runs = async (): Promise<number> => ((await (await fetch(`${tasks.url}/v1/runs?limit=100`)).json()) as { runs: unknown[] }).runs.length;
    const before = await runs();
    const task = await send(client, [textPart('an itinerary'), dataPart({ params: { city: 'Faro' }, ...bad })]);
    expect(task.status?.state).toBe(TaskState.TASK_STATE_REJECTED);
    const http = (await (await postJson(`${tasks.url}/v1/runs`, { goal: 'an itinerary', params: { city: 'Faro' }, ...bad })).json()) as { error: { message: string } };
    const problem = http.error.message.replace(/^invalid body: /, '');
    expect(problem).toMatch(/^(plan|workflow): /);
    expect(textOf(task.status?.message?.parts)).toBe(`could not start the run: invalid data part: ${problem}`);
    expect(await runs()).toBe(before);
  });

  it('rejects a message whose params fail the schema, naming the field', async () => {
    const client = await new ClientFactory().createFromUrl(tasks.url);
    const task = await send(client, [textPart('an itinerary'), dataPart({ params: { town: 'Faro' } })]);
    expect(task.status?.state).toBe(TaskState.TASK_STATE_REJECTED);
    expect(textOf(task.status?.message?.parts)).toMatch(/params\.city: missing required parameter "city"/);
  });
});
