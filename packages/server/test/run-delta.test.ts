/** GET /v1/runs/:id?since=: what changed in a run since an earlier read, for pages that follow it. */
import { afterEach, describe, expect, it } from 'vitest';
import { defineAgent } from '../../core/src/agents/define-agent.ts';
import type { RunResult, TaskResult } from '../../core/src/core/types.ts';
import { postJson, startTestServer } from './support.ts';
import type { TestServer } from './support.ts';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const TASKS = ['a', 'b', 'c', 'd', 'e', 'f'];

/** A server whose one agent finishes each task only once the test lets it (`finish(taskId)`). */
async function serveGated(policy: Record<string, unknown> = {}): Promise<{ t: TestServer; finish(taskId: string): void }> {
  const gates = new Map<string, () => void>();
  const opened = new Set<string>();
  const worker = defineAgent({
    name: 'worker',
    description: 'finishes a task when let',
    produces: ['part'],
    run: async (input) => {
      if (!opened.has(input.task.id)) await new Promise<void>((resolve) => gates.set(input.task.id, resolve));
      return { part: input.task.id };
    },
  });
  t = await startTestServer({ agents: [worker], policy: { retries: 0, maxParallel: 10, ...policy } });
  return {
    t,
    finish(taskId) {
      opened.add(taskId);
      gates.get(taskId)?.();
    },
  };
}

interface Read {
  status: number;
  body: RunResult;
  seq: number | undefined;
  delta: string | null;
}

async function read(base: string, runId: string, since?: number | string, attempts?: string): Promise<Read> {
  const query = [since === undefined ? '' : `since=${since}`, attempts === undefined ? '' : `attempts=${attempts}`].filter(Boolean).join('&');
  const res = await fetch(`${base}/v1/runs/${runId}${query ? `?${query}` : ''}`);
  const seq = res.headers.get('baton-seq');
  return { status: res.status, body: (await res.json()) as RunResult, seq: seq === null ? undefined : Number(seq), delta: res.headers.get('baton-delta') };
}

/** A whole read once `ok` holds of the run. */
async function readWhen(base: string, runId: string, ok: (r: RunResult) => boolean): Promise<Read> {
  const until = Date.now() + 10_000;
  for (;;) {
    const r = await read(base, runId);
    if (ok(r.body)) return r;
    if (Date.now() > until) throw new Error(`run ${runId} never got there: ${JSON.stringify(r.body.tasks.map((x) => [x.id, x.status]))}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * As the API's description says a reader folds a delta in: each record in place of the one with its
 * id, new ones at the end; a record with `attemptsFrom` keeps the held attempts before that index.
 */
function withChanges(whole: RunResult, delta: RunResult): RunResult {
  const tasks: TaskResult[] = [...whole.tasks];
  for (const { attemptsFrom, ...changed } of delta.tasks as (TaskResult & { attemptsFrom?: number })[]) {
    const i = tasks.findIndex((x) => x.id === changed.id);
    if (attemptsFrom !== undefined) changed.attempts = [...tasks[i]!.attempts.slice(0, attemptsFrom), ...changed.attempts];
    if (i < 0) tasks.push(changed);
    else tasks[i] = changed;
  }
  return { ...delta, plan: whole.plan, tasks };
}

const statusOf = (r: RunResult, id: string): string | undefined => r.tasks.find((x) => x.id === id)?.status;

async function startPlan(base: string): Promise<string> {
  const res = await postJson(`${base}/v1/runs`, { goal: 'six parts', plan: { tasks: TASKS.map((id) => ({ id, agent: 'worker' })) } });
  expect(res.status).toBe(202);
  return ((await res.json()) as { runId: string }).runId;
}

describe('a read of what changed in a run since an earlier read', () => {
  it('holds only the tasks changed since, and folded into the earlier read gives the whole run', async () => {
    const s = await serveGated();
    const runId = await startPlan(s.t.url);
    const first = await readWhen(s.t.url, runId, (r) => TASKS.every((id) => statusOf(r, id) === 'running'));
    expect(first.seq).toBeGreaterThan(0);
    expect(first.delta).toBeNull();
    expect(first.body.plan.tasks).toHaveLength(6);

    s.finish('b');
    s.finish('e');
    const whole = await readWhen(s.t.url, runId, (r) => statusOf(r, 'b') === 'succeeded' && statusOf(r, 'e') === 'succeeded');
    const delta = await read(s.t.url, runId, first.seq);
    expect(delta.delta).toBe(String(first.seq));
    expect(delta.seq).toBe(whole.seq);
    expect(delta.body).not.toHaveProperty('plan');
    expect(delta.body.tasks.map((x) => x.id).sort()).toEqual(['b', 'e']);
    expect(delta.body.tasks.find((x) => x.id === 'b')).toMatchObject({ status: 'succeeded', output: { part: 'b' } });
    expect(withChanges(first.body, delta.body)).toEqual(whole.body);

    // Nothing since: no task, the rest as it is.
    const still = await read(s.t.url, runId, delta.seq);
    expect(still.delta).toBe(String(delta.seq));
    expect(still.body.tasks).toEqual([]);
    expect(still.body.status).toBe('running');

    for (const id of TASKS) s.finish(id);
    const ended = await readWhen(s.t.url, runId, (r) => r.status === 'succeeded');
    const last = await read(s.t.url, runId, delta.seq);
    expect(last.delta).toBe(String(delta.seq));
    expect(last.seq).toBe(ended.seq);
    expect(last.body.tasks.map((x) => x.id).sort()).toEqual(['a', 'c', 'd', 'f']);
    expect(last.body.status).toBe('succeeded');
    expect(withChanges(withChanges(first.body, delta.body), last.body)).toEqual(ended.body);
  });

  it('is the whole run once the plan changed since, or for a since that is not one of the run’s events', async () => {
    const s = await serveGated({ approval: 'plan' });
    const runId = await startPlan(s.t.url);
    const waiting = await readWhen(s.t.url, runId, (r) => r.status === 'awaiting-approval');
    expect(waiting.seq).toBeGreaterThan(0);

    for (const since of [waiting.seq! + 1000, 0]) {
      const whole = await read(s.t.url, runId, since);
      expect(whole.delta).toBeNull();
      expect(whole.body.plan.tasks).toHaveLength(6);
    }

    // An edited plan: a read since the plan as it was asked about must carry the new one.
    const approved = await postJson(`${s.t.url}/v1/runs/${runId}/approve`, { plan: { tasks: [{ id: 'a', agent: 'worker' }, { id: 'z', agent: 'worker' }] } });
    expect(approved.status).toBe(200);
    const edited = await read(s.t.url, runId, waiting.seq);
    expect(edited.delta).toBeNull();
    expect(edited.body.plan.tasks.map((x) => x.id)).toEqual(['a', 'z']);
    expect(edited.body.tasks.map((x) => x.id)).toEqual(['a', 'z']);
  });

  it('sends of a changed task only its attempts from the first changed since on, when asked to, and they follow on from those read before', async () => {
    // One task that fails each attempt until let through: its record grows by an attempt at each.
    let through = false;
    const poller = defineAgent({
      name: 'poller',
      description: 'fails until let through',
      produces: ['part'],
      run: async () => {
        if (!through) throw new Error('not yet');
        return { part: 'done' };
      },
    });
    t = await startTestServer({ agents: [poller], policy: { retries: 1_000, backoff: { initialDelayMs: 5, factor: 1, maxDelayMs: 5, jitter: 0 } } });
    const res = await postJson(`${t.url}/v1/runs`, { goal: 'poll', plan: { tasks: [{ id: 'p', agent: 'poller' }, { id: 'q', agent: 'poller', dependsOn: ['p'] }] } });
    const { runId } = (await res.json()) as { runId: string };
    const attemptsOf = (r: RunResult, id: string): number => r.tasks.find((x) => x.id === id)?.attempts.length ?? 0;
    let held = await readWhen(t.url, runId, (r) => attemptsOf(r, 'p') >= 20);
    let cut = 0;
    for (let i = 0; i < 5; i++) {
      const before = attemptsOf(held.body, 'p');
      const whole = await readWhen(t.url, runId, (r) => attemptsOf(r, 'p') >= before + 3);
      const delta = await read(t.url, runId, held.seq, 'changed');
      expect(delta.delta).toBe(String(held.seq));
      const p = delta.body.tasks.find((x) => x.id === 'p') as TaskResult & { attemptsFrom?: number };
      // From the attempt that was running at the earlier read (it has ended since), or the first started since.
      expect(p.attemptsFrom).toBeGreaterThanOrEqual(before - 1);
      expect(p.attemptsFrom).toBeLessThanOrEqual(before);
      expect(p.attempts.length).toBeGreaterThanOrEqual(3);
      expect(p.attempts[0]!.n).toBe(p.attemptsFrom! + 1);
      const folded = withChanges(held.body, delta.body);
      // Every attempt folded is the run's, in order, and all but the last have ended as they are now.
      const foldedAttempts = folded.tasks.find((x) => x.id === 'p')!.attempts;
      const nowAttempts = (await read(t.url, runId)).body.tasks.find((x) => x.id === 'p')!.attempts;
      expect(foldedAttempts.length).toBeGreaterThanOrEqual(attemptsOf(whole.body, 'p'));
      expect(foldedAttempts.map((a) => a.n)).toEqual(foldedAttempts.map((_, i) => i + 1));
      expect(foldedAttempts.slice(0, -1)).toEqual(nowAttempts.slice(0, foldedAttempts.length - 1));
      expect(foldedAttempts.at(-1)!.attemptId).toBe(nowAttempts[foldedAttempts.length - 1]!.attemptId);
      cut++;
      held = { ...delta, body: folded };
    }
    expect(cut).toBe(5);
    // Asked for every attempt (the default, and `all`): the whole record.
    await readWhen(t.url, runId, (r) => attemptsOf(r, 'p') > attemptsOf(held.body, 'p'));
    for (const attempts of [undefined, 'all']) {
      const all = await read(t.url, runId, held.seq, attempts);
      const p = all.body.tasks.find((x) => x.id === 'p')!;
      expect(p).not.toHaveProperty('attemptsFrom');
      expect(p.attempts[0]!.n).toBe(1);
    }
    // A task all of whose attempts came since: its whole record.
    through = true;
    const ended = await readWhen(t.url, runId, (r) => r.status === 'succeeded');
    const last = await read(t.url, runId, held.seq, 'changed');
    const q = last.body.tasks.find((x) => x.id === 'q') as TaskResult & { attemptsFrom?: number };
    expect(q).not.toHaveProperty('attemptsFrom');
    expect(q.attempts).toHaveLength(1);
    const p = last.body.tasks.find((x) => x.id === 'p') as TaskResult & { attemptsFrom?: number };
    expect(p.attempts.at(-1)!.status).toBe('succeeded');
    expect(attemptsOf(ended.body, 'p')).toBe(p.attemptsFrom! + p.attempts.length);
    expect(withChanges(held.body, last.body)).toEqual(ended.body);

    for (const attempts of ['some', 'CHANGED', '']) {
      const bad = await read(t.url, runId, held.seq, attempts);
      expect(bad.status, `attempts=${attempts}`).toBe(400);
      expect((bad.body as unknown as { error: { message: string } }).error.message).toMatch(/attempts must be "all" .* or "changed"/);
    }
  });

  it('refuses a since that is not the seq of an event, naming it', async () => {
    const s = await serveGated();
    const runId = await startPlan(s.t.url);
    for (const since of ['abc', '-1', '1e3', '1.5', '', '9999999999999999']) {
      const res = await read(s.t.url, runId, since);
      expect(res.status, `since=${since}`).toBe(400);
      const { error } = res.body as unknown as { error: { code: string; message: string } };
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(/since must be the seq of an event/);
    }
    expect((await read(s.t.url, 'r_nosuchrun', 3)).status).toBe(404);
    for (const id of TASKS) s.finish(id);
  });
});
