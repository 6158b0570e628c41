/**
 * The A2A task store of `baton serve`: bounded in memory, every task of a run found again from the
 * run, and a task left waiting shows what became of its run.
 */
import { Role, TaskState } from '@a2a-js/sdk';
import type { ListTasksRequest, Message, Part, Task } from '@a2a-js/sdk';
import { ClientFactory } from '@a2a-js/sdk/client';
import type { Client } from '@a2a-js/sdk/client';
import { ServerCallContext, UnauthenticatedUser } from '@a2a-js/sdk/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/src/core/types.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { dataOf, dataPart, textPart } from '../src/a2a/a2a-agent.ts';
import { contextIdOfTask, RunTaskStore, runIdOfTask, taskFromRun } from '../src/a2a/run-tasks.ts';
import { postJson, startTestServer } from './support.ts';
import type { TestServer } from './support.ts';

const ids = Array.from({ length: 8 }, (_, i) => `00000000-0000-4000-8000-00000000000${i}`);

/** A task as the executor leaves it, with one agent message in its history. */
function task(id: string, state: TaskState, contextId = 'ctx'): Task {
  const message: Message = { messageId: `m-${id}`, contextId, taskId: id, role: Role.ROLE_AGENT, parts: [textPart(`state ${state}`)], metadata: {}, extensions: [], referenceTaskIds: [] };
  return { id, contextId, status: { state, message, timestamp: new Date().toISOString() }, artifacts: [], history: [message], metadata: {} };
}

/** The result of the run of task `id`. */
function run(id: string, status: RunResult['status'], extra: Partial<RunResult> = {}): RunResult {
  return {
    runId: runIdOfTask(id),
    goal: 'g',
    status,
    planner: 'rules',
    params: {},
    plan: { goal: 'g', tasks: [] },
    tasks: [],
    deliverable: { artifacts: { report: { ok: true } }, files: ['report.json'] },
    usage: {},
    startedAt: '2026-01-01T00:00:00.000Z',
    ...(status === 'succeeded' ? { endedAt: '2026-01-01T00:00:01.000Z' } : {}),
    approvals: [],
    ...extra,
  } as RunResult;
}

function storeOver(results: Map<string, RunResult>, max: number): RunTaskStore {
  return new RunTaskStore({ result: async (runId) => results.get(runId) }, max);
}

const artifact = (t: Task | undefined, name: string): unknown => dataOf(t?.artifacts.find((a) => a.name === name)?.parts)[0];

describe('RunTaskStore', () => {
  it('maps a task to its run, and gives a task without a client contextId a derived one, the same every time', () => {
    expect(runIdOfTask(ids[0]!)).toBe(`r_a2a-${ids[0]!}`);
    expect(runIdOfTask('not a uuid/../x')).toMatch(/^r_a2a-[0-9a-f]{32}$/);
    expect(contextIdOfTask(ids[0]!)).toBe(contextIdOfTask(ids[0]!));
    expect(contextIdOfTask(ids[0]!)).not.toBe(contextIdOfTask(ids[1]!));
    expect(contextIdOfTask(ids[0]!)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('holds at most maxHeld tasks, the least recently used dropped first; a dropped task is derived from its run again', async () => {
    const results = new Map([[runIdOfTask(ids[0]!), run(ids[0]!, 'succeeded')]]);
    const store = storeOver(results, 3);
    for (const id of ids.slice(0, 4)) await store.save(task(id, TaskState.TASK_STATE_COMPLETED));
    expect(store.size).toBe(3);
    await store.load(ids[1]!); // used: ids[2] is now the least recently used
    await store.save(task(ids[4]!, TaskState.TASK_STATE_COMPLETED));
    expect(store.size).toBe(3);
    expect((await store.load(ids[1]!))?.history).toHaveLength(1);
    expect(await store.load(ids[2]!)).toBeUndefined(); // dropped, and no run to derive it from

    const derived = await store.load(ids[0]!);
    expect(derived).toMatchObject({ id: ids[0], contextId: contextIdOfTask(ids[0]!), metadata: { batonRunId: runIdOfTask(ids[0]!) } });
    expect(derived?.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifact(derived, 'deliverable')).toEqual({ report: { ok: true } });
    expect(artifact(derived, 'run')).toMatchObject({ runId: runIdOfTask(ids[0]!), status: 'succeeded', files: ['report.json'] });
    expect(store.size).toBe(3); // reading a derived task does not hold it

    const context = new ServerCallContext({ user: new UnauthenticatedUser() });
    const listed = await store.list({ pageSize: 50 } as ListTasksRequest, context);
    expect(listed.tasks.map((t) => t.id).sort()).toEqual([ids[1], ids[3], ids[4]].sort());
  });

  it('never drops a task an executor follows', async () => {
    const store = storeOver(new Map(), 2);
    const release = store.follow(ids[0]!);
    await store.save(task(ids[0]!, TaskState.TASK_STATE_WORKING));
    for (const id of ids.slice(1, 5)) await store.save(task(id, TaskState.TASK_STATE_COMPLETED));
    expect(await store.load(ids[0]!)).toMatchObject({ id: ids[0], status: { state: TaskState.TASK_STATE_WORKING } });
    expect(store.size).toBe(2);
    release();
  });

  it('a held task waiting for a decision shows its run moving on when nobody follows it here', async () => {
    const results = new Map<string, RunResult>();
    const store = storeOver(results, 10);
    const id = ids[5]!;
    const waiting = run(id, 'awaiting-approval', { awaiting: [{ kind: 'plan', requestedAt: '2026-01-01T00:00:00.500Z' }] });
    results.set(runIdOfTask(id), waiting);
    // As the executor leaves it: input-required, what waits as a DataPart.
    const held = { ...taskFromRun(id, 'mine', waiting), history: [...task(id, TaskState.TASK_STATE_SUBMITTED).history, ...taskFromRun(id, 'mine', waiting).history] };
    await store.save(held);
    expect(await store.load(id)).toEqual(held); // the run still waits for the same: as held

    results.set(runIdOfTask(id), run(id, 'running'));
    const release = store.follow(id);
    expect((await store.load(id))?.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED); // followed: as the executor sent it
    release();

    const other = storeOver(results, 10);
    await other.save(held);
    expect((await other.load(id))?.status?.state).toBe(TaskState.TASK_STATE_WORKING);
    results.set(runIdOfTask(id), run(id, 'succeeded'));
    const ended = await other.load(id);
    expect(ended).toMatchObject({ contextId: 'mine', status: { state: TaskState.TASK_STATE_COMPLETED } });
    expect(ended?.history).toHaveLength(3);
    expect(artifact(ended, 'deliverable')).toEqual({ report: { ok: true } });
  });

  it('a task saved while its run is read is not overwritten by the read', async () => {
    const id = ids[7]!;
    const waiting = run(id, 'awaiting-approval', { awaiting: [{ kind: 'plan', requestedAt: '2026-01-01T00:00:00.500Z' }] });
    let reads = 0;
    let answer: (r: RunResult) => void = () => undefined;
    const store = new RunTaskStore({ result: () => (++reads === 1 ? new Promise<RunResult>((r) => (answer = r)) : Promise.resolve(run(id, 'succeeded'))) }, 10);
    await store.save({ ...taskFromRun(id, 'mine', waiting), history: [] });
    const reading = store.load(id);
    const newer = task(id, TaskState.TASK_STATE_WORKING, 'mine');
    await store.save(newer);
    answer(run(id, 'succeeded'));
    expect((await reading)?.status?.state).toBe(TaskState.TASK_STATE_COMPLETED); // what the reader saw
    const release = store.follow(id);
    expect(await store.load(id)).toEqual(newer); // what is held: the save, not the read
    release();

    let unheld: (r: RunResult) => void = () => undefined;
    const other = new RunTaskStore({ result: () => new Promise<RunResult>((r) => (unheld = r)) }, 10);
    const adopting = other.adoptContext(id, 'the-conversation');
    await other.save(newer);
    unheld(waiting);
    await adopting;
    const follow = other.follow(id);
    expect((await other.load(id))?.contextId).toBe('mine');
    follow();

    // Dropped (the bound is one task) while its run was read: held again, with the history it had.
    let dropped: (r: RunResult) => void = () => undefined;
    let oneReads = 0;
    const one = new RunTaskStore({ result: () => (++oneReads === 1 ? new Promise<RunResult>((r) => (dropped = r)) : Promise.resolve(run(id, 'succeeded'))) }, 1);
    const waitingTask = { ...taskFromRun(id, 'mine', waiting), history: task(id, TaskState.TASK_STATE_SUBMITTED).history };
    await one.save(waitingTask);
    const read = one.load(id);
    await one.save(task(ids[0]!, TaskState.TASK_STATE_COMPLETED));
    expect(one.size).toBe(1);
    dropped(run(id, 'succeeded'));
    expect((await read)?.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const held = one.follow(id);
    expect((await one.load(id))?.history[0]).toEqual(waitingTask.history[0]);
    held();
  });

  it('a task not held takes the contextId a message on it carries; a held one keeps its own', async () => {
    const results = new Map([[runIdOfTask(ids[6]!), run(ids[6]!, 'awaiting-approval', { awaiting: [{ kind: 'plan', requestedAt: '2026-01-01T00:00:00.500Z' }] })]]);
    const store = storeOver(results, 10);
    expect((await store.load(ids[6]!))?.contextId).toBe(contextIdOfTask(ids[6]!));
    await store.adoptContext(ids[6]!, 'the-conversation');
    expect((await store.load(ids[6]!))?.contextId).toBe('the-conversation');
    await store.adoptContext(ids[6]!, 'another');
    expect((await store.load(ids[6]!))?.contextId).toBe('the-conversation');
  });
});

function message(parts: Part[], taskId = ''): Message {
  return { messageId: `m-${Math.random().toString(36).slice(2)}`, contextId: '', taskId, role: Role.ROLE_USER, parts, metadata: {}, extensions: [], referenceTaskIds: [] };
}

async function send(client: Client, parts: Part[], taskId = ''): Promise<Task> {
  return (await client.sendMessage({ tenant: '', message: message(parts, taskId), configuration: undefined, metadata: {} })) as Task;
}

describe('A2A tasks of a waiting run decided or cancelled outside the task (in-process server)', () => {
  let t: TestServer;
  beforeAll(async () => {
    const agents = [
      scriptedAgent({ name: 'flights', capabilities: ['flights'], produces: ['flights'] }),
      scriptedAgent({ name: 'itinerary', capabilities: ['itinerary'], consumes: ['flights'], produces: ['itinerary'] }),
    ];
    t = await startTestServer({ agents, policy: { approval: 'plan' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a run approved over HTTP: getTask shows the task completed with the deliverable', async () => {
    const client = await new ClientFactory().createFromUrl(t.url);
    const first = await send(client, [textPart('an itinerary')]);
    expect(first.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(first.contextId).toBe(contextIdOfTask(first.id));
    const runId = runIdOfTask(first.id);
    expect((await postJson(`${t.url}/v1/runs/${runId}/approve`, { by: 'http-user' })).status).toBe(200);
    let seen: Task | undefined;
    for (let i = 0; i < 100 && seen?.status?.state !== TaskState.TASK_STATE_COMPLETED; i++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await client.getTask({ tenant: '', id: first.id, historyLength: undefined });
    }
    expect(seen?.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifact(seen, 'deliverable')).toMatchObject({ itinerary: expect.anything() as unknown });
    expect(artifact(seen, 'run')).toMatchObject({ runId, status: 'succeeded', approvals: [expect.objectContaining({ by: 'http-user' })] });
    await expect(send(client, [dataPart({ approve: true })], first.id)).rejects.toThrow(/terminal state/);
  });

  it('cancelling a task that waits for a decision cancels its run', async () => {
    const client = await new ClientFactory().createFromUrl(t.url);
    const first = await send(client, [textPart('an itinerary')]);
    expect(first.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const cancelled = await client.cancelTask({ tenant: '', id: first.id, metadata: {} });
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    const r = (await (await fetch(`${t.url}/v1/runs/${runIdOfTask(first.id)}`)).json()) as RunResult;
    expect(r.status).toBe('cancelled');
  });
});
