/**
 * An A2A task of `baton serve` outlives the process: SIGKILLed and started again on the same SQLite
 * journal, the serve still answers getTask for it (its state derived from the run) and takes a
 * decision message on it, which carries the run to its end, as the official client expects.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Role, TaskState } from '@a2a-js/sdk';
import type { Message, Part, Task } from '@a2a-js/sdk';
import { ClientFactory } from '@a2a-js/sdk/client';
import type { Client } from '@a2a-js/sdk/client';
import { afterAll, describe, expect, it } from 'vitest';
import type { PendingApproval, RunResult } from '../../core/src/core/types.ts';
import { calls } from '../../core/test/cli/steer-support.ts';
import { CORE_FIXTURES } from '../../core/test/support/paths.ts';
import { dataOf, dataPart, textOf, textPart } from '../src/a2a/a2a-agent.ts';
import { baton, servedUrl } from './serve-process.ts';
import type { BatonProcess } from './serve-process.ts';

const MANIFEST = path.join(CORE_FIXTURES, 'steer/plan-approval.yaml');
const dir = mkdtempSync(path.join(tmpdir(), 'baton-a2a-restart-'));
const journal = path.join(dir, 'baton.db');
const log = path.join(dir, 'calls.log');
const env = { BATON_TEST_LOG: log, BATON_API_TOKEN: undefined, BATON_LOG_LEVEL: 'warn' };
const running: BatonProcess[] = [];
afterAll(() => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function serve(): Promise<{ p: BatonProcess; client: Client; url: string }> {
  const p = baton(['serve', '-m', MANIFEST, '--port', '0', '--store', journal, '--data-dir', path.join(dir, 'data')], env);
  running.push(p);
  const url = await servedUrl(p);
  return { p, client: await new ClientFactory().createFromUrl(url), url };
}

async function kill(p: BatonProcess): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

function message(parts: Part[], taskId = '', contextId = ''): Message {
  return { messageId: `m-${Math.random().toString(36).slice(2)}`, contextId, taskId, role: Role.ROLE_USER, parts, metadata: {}, extensions: [], referenceTaskIds: [] };
}

async function send(client: Client, m: Message): Promise<Task> {
  return (await client.sendMessage({ tenant: '', message: m, configuration: undefined, metadata: {} })) as Task;
}

function getTask(client: Client, id: string): Promise<Task> {
  return client.getTask({ tenant: '', id, historyLength: undefined });
}

/** What the status message of a waiting task holds as data. */
function waiting(task: Task): { runId: string; status: string; approval: PendingApproval } {
  return dataOf(task.status?.message?.parts)[0] as { runId: string; status: string; approval: PendingApproval };
}

const artifact = (task: Task, name: string): unknown => dataOf(task.artifacts.find((a) => a.name === name)?.parts)[0];

describe('A2A tasks across a SIGKILL and restart of baton serve on the same journal', () => {
  it('getTask answers input-required after the restart; a decision on the task approves and it completes with the deliverable', { timeout: 120_000 }, async () => {
    const first = await serve();
    // The official client's usual flow: no contextId on the first message, the server's one after.
    const a = await send(first.client, message([textPart('an itinerary'), dataPart({ params: { city: 'Lisbon' } })]));
    expect(a.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(a.contextId).not.toBe('');
    // A client that keeps its own conversation id.
    const b = await send(first.client, message([textPart('an itinerary'), dataPart({ params: { city: 'Porto' } })], '', 'my-conversation'));
    expect(b.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(b.contextId).toBe('my-conversation');
    const c = await send(first.client, message([textPart('an itinerary'), dataPart({ params: { city: 'Faro' } })]));
    expect(c.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    await kill(first.p);

    const second = await serve();
    const held = await getTask(second.client, a.id);
    expect(held).toMatchObject({ id: a.id, contextId: a.contextId });
    expect(held.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    // What waits, as the first serve said it (the serve that takes the run over asks again: a new requestedAt).
    expect(waiting(held)).toMatchObject({ runId: waiting(a).runId, status: 'awaiting-approval', approval: { kind: 'plan', plan: waiting(a).approval.plan } });
    expect(textOf(held.status?.message?.parts)).toContain('{"approve": true}');

    // The follow-up the client sends on the task it got before the restart, with its contextId.
    const done = await send(second.client, message([dataPart({ approve: true })], a.id, a.contextId));
    expect(done.id).toBe(a.id);
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifact(done, 'deliverable')).toMatchObject({ itinerary: { by: 'itinerary', params: { city: 'Lisbon' } } });
    expect(artifact(done, 'run')).toMatchObject({ runId: waiting(a).runId, status: 'succeeded', approvals: [expect.objectContaining({ decision: 'approved', by: 'a2a' })] });
    expect(calls(log).filter((c) => c.event === 'done' && c.params['city'] === 'Lisbon')).toHaveLength(3);

    // The other task, with its own contextId: rejected on the new serve, it ends canceled.
    const refused = await send(second.client, message([dataPart({ approve: false, reason: 'too far' })], b.id, 'my-conversation'));
    expect(refused).toMatchObject({ id: b.id, contextId: 'my-conversation' });
    expect(refused.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect(artifact(refused, 'run')).toMatchObject({ status: 'cancelled', reason: expect.stringContaining('too far') as unknown });

    // And a third, cancelled on the new serve: its run is cancelled too.
    const cancelled = await second.client.cancelTask({ tenant: '', id: c.id, metadata: {} });
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect(((await (await fetch(`${second.url}/v1/runs/${waiting(c).runId}`)).json()) as RunResult).status).toBe('cancelled');
    await kill(second.p);

    // Ended tasks are read back from the journal by yet another serve, artifacts and all.
    const third = await serve();
    const ended = await getTask(third.client, a.id);
    expect(ended.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(ended.contextId).toBe(a.contextId);
    expect(artifact(ended, 'deliverable')).toEqual(artifact(done, 'deliverable'));
    expect(artifact(ended, 'run')).toEqual(artifact(done, 'run'));
    expect((await getTask(third.client, b.id)).status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    const run = (await (await fetch(`${third.url}/v1/runs/${waiting(a).runId}`)).json()) as RunResult;
    expect(run.status).toBe('succeeded');
    await expect(getTask(third.client, '00000000-0000-4000-8000-000000000000')).rejects.toThrow(/not found/i);
  });
});
