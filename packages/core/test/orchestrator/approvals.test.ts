import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import { reduceEvents } from '../../src/core/reduce.ts';
import type { Planner } from '../../src/core/contracts.ts';
import type { RunEvent } from '../../src/core/events.ts';
import type { RunApprovals } from '../../src/execution/approvals.ts';
import type { Policy, RunResult } from '../../src/core/types.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import type { Orchestrator } from '../../src/orchestrator.ts';
import { MemoryRunStore } from '../../src/store/index.ts';
import { scriptedAgent } from '../../src/testing/index.ts';
import type { ScriptedAgent } from '../../src/testing/index.ts';

/** flights, hotels → itinerary → mailer (approval: required), each agent recording its calls. */
function trip(options: { policy?: Partial<Policy>; store?: MemoryRunStore; mailer?: 'required' | undefined } = {}) {
  const agents = {
    flights: scriptedAgent({ name: 'flights', capabilities: ['flights'], produces: ['flights'] }),
    hotels: scriptedAgent({ name: 'hotels', capabilities: ['hotels'], produces: ['hotels'], script: [{ output: { hotels: ['h1'] }, delayMs: 40 }] }),
    itinerary: scriptedAgent({ name: 'itinerary', capabilities: ['itinerary'], consumes: ['flights', 'hotels'], produces: ['itinerary'] }),
    mailer: scriptedAgent({ name: 'mailer', capabilities: ['mail'], consumes: ['itinerary'], produces: ['receipt'], ...('mailer' in options ? (options.mailer ? { approval: options.mailer } : {}) : { approval: 'required' as const }) }),
    sms: scriptedAgent({ name: 'sms', capabilities: ['sms'], consumes: ['receipt'], produces: ['sms-receipt'] }),
  };
  const store = options.store ?? new MemoryRunStore();
  const orchestrator = createOrchestrator({ name: 'trips', agents: Object.values(agents), store, policy: { retries: 0, ...options.policy } });
  return { orchestrator, store, agents };
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function statusOf(o: Orchestrator, runId: string): Promise<string | undefined> {
  return (await o.store.getRun(runId))?.status;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (BatonError.isInstance(e)) return e.code;
    throw e;
  }
  return 'no error';
}

const calls = (a: ScriptedAgent): number => a.calls.length;

/**
 * A run waiting on its plan in `owner`, and an approval of that plan another process left in the
 * journal for it (baton runs approve, no --task), a few ms after the plan was asked for and before
 * anything else is: a request is told from what it answers by the clock.
 */
async function planApprovalLeft(store: MemoryRunStore, make: () => Orchestrator) {
  const owner = make();
  const handle = owner.start('a trip');
  await until('the plan to wait', async () => (await store.getRun(handle.runId))?.status === 'awaiting-approval');
  await new Promise((r) => setTimeout(r, 5));
  const other = make();
  const outcome = await other.decide(handle.runId, { decision: 'approved', by: 'grace' });
  expect(outcome.kind).toBe('requested');
  if (outcome.kind !== 'requested') throw new Error(`expected the decision to be left for the owner, got ${outcome.kind}`);
  await new Promise((r) => setTimeout(r, 5));
  return { owner, handle, other, requestId: outcome.requestId };
}


describe('plan approval (policy.approval: plan)', () => {
  it('waits after planning with no agent running, status awaiting-approval, then runs once approved', async () => {
    const { orchestrator, agents } = trip({ policy: { approval: 'plan' }, mailer: undefined });
    const handle = orchestrator.start('an itinerary');
    await until('the plan to wait', async () => (await statusOf(orchestrator, handle.runId)) === 'awaiting-approval');
    const events = await orchestrator.store.readEvents(handle.runId);
    expect(events.map((e) => e.type)).toEqual(['run.started', 'plan.created', 'approval.requested']);
    expect(Object.values(agents).map(calls)).toEqual([0, 0, 0, 0, 0]);
    const outcome = await orchestrator.decide(handle.runId, { decision: 'approved', by: 'alice', note: 'looks right' });
    expect(outcome.kind).toBe('decided');
    const result = await handle.result;
    expect(result.status).toBe('succeeded');
    expect(result.approvals).toEqual([{ kind: 'plan', decision: 'approved', by: 'alice', at: expect.any(String) as unknown, planEdited: false, note: 'looks right' }]);
    expect(result.awaiting).toBeUndefined();
    expect(calls(agents.itinerary)).toBe(1);
  });

  it('ends the run cancelled when the plan is rejected, with who and why; no agent ran', async () => {
    const { orchestrator, agents } = trip({ policy: { approval: 'plan' } });
    const handle = orchestrator.start('an itinerary');
    await until('the plan to wait', async () => (await statusOf(orchestrator, handle.runId)) === 'awaiting-approval');
    await orchestrator.decide(handle.runId, { decision: 'rejected', by: 'bob', reason: 'wrong city' });
    const result = await handle.result;
    expect(result).toMatchObject({ status: 'cancelled', reason: 'the plan was rejected by bob: wrong city' });
    expect(result.approvals[0]).toMatchObject({ decision: 'rejected', by: 'bob', reason: 'wrong city' });
    expect(Object.values(agents).map(calls)).toEqual([0, 0, 0, 0, 0]);
  });

  it('runs an edited plan once approved; an edited plan that fails validation is refused and the run keeps waiting', async () => {
    const { orchestrator, agents } = trip({ policy: { approval: 'plan' } });
    const handle = orchestrator.start('an itinerary');
    await until('the plan to wait', async () => (await statusOf(orchestrator, handle.runId)) === 'awaiting-approval');
    const bad = orchestrator.decide(handle.runId, { decision: 'approved', by: 'carol', plan: { tasks: [{ id: 'it', agent: 'itinerary' }] } });
    await expect(bad).rejects.toThrow(/the edited plan is not a valid plan.*\n.*plan\.tasks\[0\]: task "it" consumes "flights"/);
    expect(await statusOf(orchestrator, handle.runId)).toBe('awaiting-approval');
    await orchestrator.decide(handle.runId, { decision: 'approved', by: 'carol', plan: { tasks: [{ id: 'only-flights', agent: 'flights' }] } });
    const result = await handle.result;
    expect(result.status).toBe('succeeded');
    expect(result.plan.tasks.map((t) => t.id)).toEqual(['only-flights']);
    expect(result.approvals).toEqual([expect.objectContaining({ by: 'carol', planEdited: true })]);
    expect([calls(agents.flights), calls(agents.hotels), calls(agents.itinerary)]).toEqual([1, 0, 0]);
    const decided = (await orchestrator.store.readEvents(handle.runId)).find((e): e is Extract<RunEvent, { type: 'approval.decided' }> => e.type === 'approval.decided');
    expect(decided?.plan?.tasks.map((t) => t.id)).toEqual(['only-flights']);
  });

  it('ends a run nobody decides on within policy.approvalTimeoutMs, with that reason', async () => {
    const { orchestrator, agents } = trip({ policy: { approval: 'plan', approvalTimeoutMs: 150 } });
    const result = await orchestrator.run('an itinerary');
    expect(result.status).toBe('failed');
    expect(result.reason).toBe('no decision on the plan within 150 ms (policy.approvalTimeoutMs)');
    expect(calls(agents.flights)).toBe(0);
    const requested = result.approvals.length === 0 && (await orchestrator.store.readEvents(result.runId)).find((e) => e.type === 'approval.requested');
    expect(requested && requested.type === 'approval.requested' && requested.expiresAt).toBeTruthy();
  });

  it('ends a waiting run cancelled when it is cancelled, wherever the cancel comes from', async () => {
    const { orchestrator, agents } = trip({ policy: { approval: 'plan' } });
    const handle = orchestrator.start('an itinerary');
    await until('the plan to wait', async () => (await statusOf(orchestrator, handle.runId)) === 'awaiting-approval');
    expect((await orchestrator.requestCancel(handle.runId, 'changed my mind')).kind).toBe('cancelling');
    const result = await handle.result;
    expect(result).toMatchObject({ status: 'cancelled', reason: 'changed my mind' });
    expect(result.awaiting).toBeUndefined();
    expect(calls(agents.flights)).toBe(0);
  });

  it('does not count the wait for a decision against policy.runTimeoutMs', async () => {
    const { orchestrator } = trip({ policy: { approval: 'plan', runTimeoutMs: 400 }, mailer: undefined });
    const handle = orchestrator.start('an itinerary');
    await until('the plan to wait', async () => (await statusOf(orchestrator, handle.runId)) === 'awaiting-approval');
    await new Promise((r) => setTimeout(r, 600));
    await orchestrator.decide(handle.runId, { decision: 'approved', by: 'late' });
    expect((await handle.result).status).toBe('succeeded');
  });

  it('approves every decision up front with autoApprove, journaling each by that name', async () => {
    const { orchestrator } = trip({ policy: { approval: 'plan' } });
    const result = await orchestrator.run('an itinerary, then mail it', { autoApprove: { by: 'baton run --yes' } });
    expect(result.status).toBe('succeeded');
    expect(result.approvals.map((a) => [a.kind, a.taskId ?? '-', a.by])).toEqual([
      ['plan', '-', 'baton run --yes'],
      ['task', result.plan.tasks.find((t) => t.agent === 'mailer')!.id, 'baton run --yes'],
    ]);
  });
});

describe('task approval (approval: required on an agent)', () => {
  it('holds only that task: the others run, the gated agent never runs before its decision', async () => {
    const { orchestrator, agents } = trip();
    const handle = orchestrator.start('an itinerary, then mail it');
    await until('the mail task to wait', async () => (await orchestrator.store.readEvents(handle.runId)).some((e) => e.type === 'approval.requested'));
    const waiting = (await orchestrator.store.readEvents(handle.runId)).find((e): e is Extract<RunEvent, { type: 'approval.requested' }> => e.type === 'approval.requested')!;
    expect(waiting).toMatchObject({ kind: 'task', agent: 'mailer', task: { agent: 'mailer' }, input: { inputs: { itinerary: expect.anything() as unknown }, params: {} } });
    expect([calls(agents.flights), calls(agents.hotels), calls(agents.itinerary), calls(agents.mailer)]).toEqual([1, 1, 1, 0]);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls(agents.mailer)).toBe(0);
    await orchestrator.decide(handle.runId, { decision: 'approved', by: 'dave', taskId: waiting.taskId! });
    const result = await handle.result;
    expect(result.status).toBe('succeeded');
    expect(calls(agents.mailer)).toBe(1);
    expect(result.approvals).toEqual([expect.objectContaining({ kind: 'task', taskId: waiting.taskId, by: 'dave' })]);
  });

  it('fails a rejected task and skips its dependents; they never run', async () => {
    const { orchestrator, agents } = trip();
    const handle = orchestrator.start('sms receipt of the mailed itinerary');
    await until('the mail task to wait', async () => (await statusOf(orchestrator, handle.runId)) === 'awaiting-approval');
    await orchestrator.decide(handle.runId, { decision: 'rejected', by: 'erin', reason: 'not now' });
    const result = await handle.result;
    const mail = result.tasks.find((t) => t.agent === 'mailer')!;
    const sms = result.tasks.find((t) => t.agent === 'sms')!;
    expect(mail).toMatchObject({ status: 'failed', reason: 'rejected by erin: not now', attempts: [] });
    expect(sms.status).toBe('skipped');
    expect([calls(agents.mailer), calls(agents.sms)]).toEqual([0, 0]);
    expect(result.status).not.toBe('succeeded');
    expect(result.reason).toContain(`${mail.id} failed: rejected by erin: not now`);
  });

  it('refuses a decision on a task that does not wait, and on a run that waits for nothing (with its status)', async () => {
    const { orchestrator } = trip();
    const handle = orchestrator.start('an itinerary, then mail it');
    await until('the mail task to wait', async () => (await statusOf(orchestrator, handle.runId)) === 'awaiting-approval');
    const wrong = orchestrator.decide(handle.runId, { decision: 'approved', by: 'x', taskId: 't1-find-flights' });
    await expect(wrong).rejects.toThrow(/\(awaiting-approval\): task t1-find-flights does not wait for a decision \(what waits: task t4-/);
    expect(await codeOf(wrong)).toBe('NOT_AWAITING_APPROVAL');
    await orchestrator.decide(handle.runId, { decision: 'approved', by: 'x' });
    const result = await handle.result;
    const late = orchestrator.decide(result.runId, { decision: 'approved', by: 'x' });
    await expect(late).rejects.toThrow(`run ${result.runId} (succeeded): it ended succeeded: nothing waits for a decision`);
    expect(await codeOf(late)).toBe('NOT_AWAITING_APPROVAL');
  });

  it('lets exactly one of two racing decisions win; the other is told nothing waits', async () => {
    const { orchestrator } = trip({ policy: { approval: 'plan' }, mailer: undefined });
    const handle = orchestrator.start('an itinerary');
    await until('the plan to wait', async () => (await statusOf(orchestrator, handle.runId)) === 'awaiting-approval');
    const outcomes = await Promise.allSettled([
      orchestrator.decide(handle.runId, { decision: 'approved', by: 'first' }),
      orchestrator.decide(handle.runId, { decision: 'rejected', by: 'second' }),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const loser = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')!;
    expect(BatonError.isInstance(loser.reason) && loser.reason.code).toBe('NOT_AWAITING_APPROVAL');
    const result: RunResult = await handle.result;
    expect(result.approvals).toHaveLength(1);
  });
});

describe('decisions from another process, and runs let go while they wait', () => {
  it('lets a run go while it waits (ownership released, nothing journaled), and another orchestrator carries it on with the decision', async () => {
    const store = new MemoryRunStore();
    const first = trip({ policy: { approval: 'plan' }, store, mailer: undefined });
    const waiting = await first.orchestrator.start('an itinerary', { detachWhenWaiting: true }).result;
    expect(waiting.status).toBe('awaiting-approval');
    expect(waiting.awaiting?.map((p) => p.kind)).toEqual(['plan']);
    expect((await store.ownership(waiting.runId))?.owner).toBeUndefined();
    const eventsBefore = (await store.readEvents(waiting.runId)).length;
    expect(first.orchestrator.activeRuns()).toEqual([]);

    const second = trip({ policy: { approval: 'plan' }, store, mailer: undefined });
    const outcome = await second.orchestrator.decide(waiting.runId, { decision: 'approved', by: 'frank' });
    expect(outcome.kind).toBe('carried');
    if (outcome.kind !== 'carried') return;
    const result = await outcome.handle.result;
    expect(result.status).toBe('succeeded');
    const types = (await store.readEvents(waiting.runId)).slice(eventsBefore).map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['run.resumed', 'approval.requested', 'approval.decided']);
    expect(calls(first.agents.flights)).toBe(0);
    expect(calls(second.agents.flights)).toBe(1);
  });

  it('answers a decision on a run it carries on even when the run ended, and was let go, before the answer', async () => {
    const store = new MemoryRunStore();
    const first = trip({ policy: { approval: 'plan' }, store, mailer: undefined });
    const waiting = await first.orchestrator.start('an itinerary', { detachWhenWaiting: true }).result;
    const second = trip({ policy: { approval: 'plan' }, store, mailer: undefined });
    // The decision is journaled, then takes 100 ms more to return: the rejected run ends and is released meanwhile.
    const desk = (second.orchestrator as unknown as { desk: { holding(runId: string, approvals: RunApprovals): void } }).desk;
    const holding = desk.holding.bind(desk);
    desk.holding = (runId, approvals) => {
      const decide = approvals.decide.bind(approvals);
      approvals.decide = async (...args) => {
        await decide(...args);
        await new Promise((r) => setTimeout(r, 100));
      };
      holding(runId, approvals);
    };
    const outcome = await second.orchestrator.decide(waiting.runId, { decision: 'rejected', by: 'ines' });
    expect(outcome.kind).toBe('carried');
    if (outcome.kind !== 'carried') return;
    const ended = await outcome.handle.result;
    expect(second.orchestrator.activeRuns()).toEqual([]);
    expect(outcome.result.status).toBe(ended.status);
    expect(outcome.result.approvals).toEqual([expect.objectContaining({ decision: 'rejected', by: 'ines' })]);
    expect(Object.values(second.agents).map(calls)).toEqual([0, 0, 0, 0, 0]);
  });

  it('takes two decisions arriving at once on a run nobody holds one after the other: the first carries it on, the second is told nothing waits', async () => {
    const store = new MemoryRunStore();
    const first = trip({ policy: { approval: 'plan' }, store, mailer: undefined });
    const waiting = await first.orchestrator.start('an itinerary', { detachWhenWaiting: true }).result;
    const second = trip({ policy: { approval: 'plan' }, store, mailer: undefined });
    const [approved, rejected] = await Promise.allSettled([
      second.orchestrator.decide(waiting.runId, { decision: 'approved', by: 'ana' }),
      second.orchestrator.decide(waiting.runId, { decision: 'rejected', by: 'bo', reason: 'too late' }),
    ]);
    expect(approved).toMatchObject({ status: 'fulfilled', value: { kind: 'carried' } });
    expect(rejected).toMatchObject({ status: 'rejected', reason: { code: 'NOT_AWAITING_APPROVAL' } });
    if (approved.status !== 'fulfilled' || approved.value.kind !== 'carried') return;
    const result = await approved.value.handle.result;
    expect(result.status).toBe('succeeded');
    expect(result.approvals).toEqual([expect.objectContaining({ decision: 'approved', by: 'ana' })]);
    expect((await store.readEvents(waiting.runId)).filter((e) => e.type === 'run.resumed')).toHaveLength(1);
  });

  it('does not let the second of two decisions on the plan answer a task approval the first one led to', async () => {
    const store = new MemoryRunStore();
    const agents = [
      scriptedAgent({ name: 'flights', capabilities: ['flights'], produces: ['flights'], approval: 'required' }),
      scriptedAgent({ name: 'hotels', capabilities: ['hotels'], produces: ['hotels'] }),
    ];
    const trips = () => createOrchestrator({ name: 'trips', agents, store, policy: { retries: 0, approval: 'plan' } });
    const waiting = await trips().start('a trip', { detachWhenWaiting: true }).result;
    expect(waiting.awaiting?.map((p) => p.kind)).toEqual(['plan']);
    const second = trips();
    const [approved, rejected] = await Promise.allSettled([
      second.decide(waiting.runId, { decision: 'approved', by: 'ana' }),
      second.decide(waiting.runId, { decision: 'rejected', by: 'bo', reason: 'this plan is wrong' }),
    ]);
    expect(approved).toMatchObject({ status: 'fulfilled', value: { kind: 'carried' } });
    expect(rejected).toMatchObject({ status: 'rejected', reason: { code: 'NOT_AWAITING_APPROVAL', message: expect.stringContaining('the plan no longer waits') } });
    const decided = (await store.readEvents(waiting.runId)).filter((e) => e.type === 'approval.decided');
    expect(decided).toEqual([expect.objectContaining({ decision: 'approved', by: 'ana' })]);
    expect(second.activeRuns()).toEqual([waiting.runId]);
    expect(second.cancel(waiting.runId)).toBe(true);
    if (approved.status === 'fulfilled' && approved.value.kind === 'carried') expect((await approved.value.handle.result).status).toBe('cancelled');
  });

  it('carries a run on when a start under its id comes while it is resumed: the start is refused, the run is not left claimed and undriven', async () => {
    for (let microtasks = 0; microtasks < 12; microtasks++) {
      const store = new MemoryRunStore();
      const first = trip({ policy: { approval: 'plan' }, store, mailer: undefined });
      const waiting = await first.orchestrator.start('an itinerary', { detachWhenWaiting: true }).result;
      const second = trip({ policy: { approval: 'plan' }, store, mailer: undefined });
      const resumed = second.orchestrator.resume(waiting.runId);
      for (let i = 0; i < microtasks; i++) await Promise.resolve();
      const refused = await (async () => second.orchestrator.start('again', { runId: waiting.runId }).result)().then(
        () => 'started',
        (e: unknown) => (e as Error).message,
      );
      expect(refused).toMatch(/already running in this process|already exists/);
      const handle = await resumed;
      expect(second.orchestrator.isActive(waiting.runId)).toBe(true);
      expect(await second.orchestrator.decide(waiting.runId, { decision: 'approved', by: 'dee' })).toMatchObject({ kind: 'decided' });
      expect((await handle.result).status).toBe('succeeded');
    }
  });

  it('takes a decision on the run another resume here holds first, and says it was decided', async () => {
    const store = new MemoryRunStore();
    const first = trip({ policy: { approval: 'plan' }, store, mailer: undefined });
    const waiting = await first.orchestrator.start('an itinerary', { detachWhenWaiting: true }).result;
    const second = trip({ policy: { approval: 'plan' }, store, mailer: undefined });
    // A resume (a cancel's, the takeover sweeper's) asked just before the decision takes the run first.
    const resumed = second.orchestrator.resume(waiting.runId);
    const outcome = await second.orchestrator.decide(waiting.runId, { decision: 'approved', by: 'cy' });
    const handle = await resumed;
    expect(outcome.kind).toBe('decided');
    expect(outcome.kind === 'decided' && outcome.result.approvals).toEqual([expect.objectContaining({ decision: 'approved', by: 'cy' })]);
    const result = await handle.result;
    expect(result.status).toBe('succeeded');
    expect(result.approvals).toHaveLength(1);
  });

  it('leaves a decision in the journal for the live owner, which journals it; the decider waits for it', async () => {
    const store = new MemoryRunStore();
    const owner = trip({ policy: { approval: 'plan' }, store, mailer: undefined });
    const handle = owner.orchestrator.start('an itinerary');
    await until('the plan to wait', async () => (await store.getRun(handle.runId))?.status === 'awaiting-approval');
    // Another orchestrator (as in another process) holds nothing of this run.
    const other = trip({ policy: { approval: 'plan' }, store, mailer: undefined });
    const outcome = await other.orchestrator.decide(handle.runId, { decision: 'approved', by: 'grace' });
    expect(outcome.kind).toBe('requested');
    if (outcome.kind !== 'requested') return;
    const racing = await other.orchestrator.decide(handle.runId, { decision: 'rejected', by: 'henry' }).catch((e: unknown) => e);
    expect(BatonError.isInstance(racing) && racing.code).toBe('NOT_AWAITING_APPROVAL');
    const waited = await other.orchestrator.awaitDecision(handle.runId, outcome.requestId, { timeoutMs: 5_000 });
    expect(waited.kind).toBe('recorded');
    const result = await handle.result;
    expect(result.status).toBe('succeeded');
    expect(result.approvals).toEqual([expect.objectContaining({ by: 'grace' })]);
    expect(await store.decisionRequests({ runId: handle.runId })).toEqual([]);
    expect(calls(other.agents.flights)).toBe(0);
  });

  it('refuses a decision that comes after the deadline of a run nobody holds, and ends the run as the deadline does', async () => {
    const store = new MemoryRunStore();
    const first = trip({ policy: { approval: 'plan', approvalTimeoutMs: 150 }, store, mailer: undefined });
    const waiting = await first.orchestrator.start('an itinerary', { detachWhenWaiting: true }).result;
    expect(waiting.status).toBe('awaiting-approval');
    await new Promise((r) => setTimeout(r, 300));
    const second = trip({ policy: { approval: 'plan', approvalTimeoutMs: 150 }, store, mailer: undefined });
    const refused = await second.orchestrator.decide(waiting.runId, { decision: 'approved', by: 'late' }).catch((e: unknown) => e);
    expect(BatonError.isInstance(refused) && refused.code).toBe('NOT_AWAITING_APPROVAL');
    expect(String((refused as Error).message)).toMatch(/\(failed\): the decision came too late: the plan waited for one until .+; the run ended failed: no decision on the plan within 150 ms \(policy\.approvalTimeoutMs\)$/);
    const ended = (await second.orchestrator.decide(waiting.runId, { decision: 'approved', by: 'later' }).catch((e: unknown) => e)) as Error;
    expect(ended.message).toContain('it ended failed: nothing waits for a decision');
    const events = await store.readEvents(waiting.runId);
    expect(events.some((e) => e.type === 'approval.decided')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'run.ended', status: 'failed', reason: 'no decision on the plan within 150 ms (policy.approvalTimeoutMs)' });
    expect(calls(second.agents.flights)).toBe(0);
  });

  it('waits again after a takeover, with the journaled deadline', async () => {
    const store = new MemoryRunStore();
    const first = trip({ policy: { approval: 'plan', approvalTimeoutMs: 400 }, store, mailer: undefined });
    const waiting = await first.orchestrator.start('an itinerary', { detachWhenWaiting: true }).result;
    const expiresAt = waiting.awaiting?.[0]?.expiresAt;
    expect(expiresAt).toBeDefined();
    const second = trip({ policy: { approval: 'plan', approvalTimeoutMs: 400 }, store, mailer: undefined });
    const handle = await second.orchestrator.resume(waiting.runId);
    await until('the plan to wait again', async () => (await store.getRun(waiting.runId))?.status === 'awaiting-approval');
    const result = await handle.result;
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/no decision on the plan within 400 ms/);
    // The deadline came from the journal: the run ended at the first request's deadline, not 400 ms after the takeover.
    expect(Math.abs(Date.parse(result.endedAt!) - Date.parse(expiresAt!))).toBeLessThan(300);
    expect(calls(second.agents.flights)).toBe(0);
  });
  it('does not let a decision left for the owner on the plan answer a task approval the plan led to once another decision took the plan', async () => {
    const store = new MemoryRunStore();
    const agents = [
      scriptedAgent({ name: 'flights', capabilities: ['flights'], produces: ['flights'], approval: 'required' }),
      scriptedAgent({ name: 'hotels', capabilities: ['hotels'], produces: ['hotels'] }),
    ];
    // Another process left an approval of the plan in the journal...
    const { owner, handle, other, requestId } = await planApprovalLeft(store, () => createOrchestrator({ name: 'trips', agents, store, policy: { retries: 0, approval: 'plan' } }));
    // ...and, before the owner read it, the plan was approved where the run is held (HTTP, the dashboard).
    expect(await owner.decide(handle.runId, { decision: 'approved', by: 'ana' })).toMatchObject({ kind: 'decided' });
    const now = async (): Promise<RunResult | undefined> => reduceEvents(await store.readEvents(handle.runId));
    await until('the flights task to wait', async () => (await now())?.awaiting?.some((p) => p.taskId !== undefined) === true);
    const waited = await other.awaitDecision(handle.runId, requestId, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(BatonError.isInstance(waited) && waited.code).toBe('NOT_AWAITING_APPROVAL');
    const after = await now();
    expect(after?.status).toBe('awaiting-approval');
    expect(after?.approvals).toEqual([expect.objectContaining({ kind: 'plan', by: 'ana' })]);
    expect(after?.awaiting).toEqual([expect.objectContaining({ kind: 'task', agent: 'flights' })]);
    expect(agents[0]!.calls).toHaveLength(0);
    expect(owner.cancel(handle.runId)).toBe(true);
    expect((await handle.result).status).toBe('cancelled');
  });

  it('does not let a decision left for the owner on the plan approve the plan of a re-plan asked for after it', async () => {
    const store = new MemoryRunStore();
    const agents = [
      scriptedAgent({ name: 'flights', capabilities: ['flights'], produces: ['flights'], script: [{ throw: 'no seats', unrecoverable: true }] }),
      scriptedAgent({ name: 'hotels', capabilities: ['hotels'], produces: ['hotels'] }),
    ];
    const planner: Planner = {
      name: 'llm',
      plan: () => Promise.resolve({ planner: 'llm', plan: { goal: 'a trip', tasks: [{ id: 'f', title: 'flights', agent: 'flights', instructions: '', dependsOn: [], consumes: [], produces: ['flights'] }] } }),
      replan: () => Promise.resolve({ planner: 'llm', plan: { goal: 'a trip', tasks: [{ id: 'h', title: 'hotels', agent: 'hotels', instructions: '', dependsOn: [], consumes: [], produces: ['hotels'] }] } }),
    };
    const make = () => createOrchestrator({ name: 'trips', agents, store, planner, policy: { retries: 0, approval: 'plan' } });
    // Another process left an approval of the first plan in the journal...
    const { owner, handle, other, requestId } = await planApprovalLeft(store, make);
    // ...and, before the owner read it, that plan was approved where the run is held, failed, and was re-planned.
    expect(await owner.decide(handle.runId, { decision: 'approved', by: 'ana' })).toMatchObject({ kind: 'decided' });
    const now = async (): Promise<RunResult | undefined> => reduceEvents(await store.readEvents(handle.runId));
    await until('the new plan to wait', async () => (await now())?.awaiting?.some((p) => p.plan?.tasks[0]?.id === 'h') === true);
    const waited = await other.awaitDecision(handle.runId, requestId, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(BatonError.isInstance(waited) && waited.code).toBe('NOT_AWAITING_APPROVAL');
    const after = await now();
    expect(after?.status).toBe('awaiting-approval');
    expect(after?.approvals).toEqual([expect.objectContaining({ kind: 'plan', by: 'ana' })]);
    expect(agents[1]!.calls).toHaveLength(0);
    expect(owner.cancel(handle.runId)).toBe(true);
    expect((await handle.result).status).toBe('cancelled');
  });

  it('applies a decision left for the owner to the same approval asked for again by the owners after it', async () => {
    const store = new MemoryRunStore();
    const { agents } = trip({ mailer: undefined });
    const make = () => createOrchestrator({ name: 'trips', agents: Object.values(agents), store, policy: { retries: 0, approval: 'plan' } });
    const { owner: first, handle, other, requestId } = await planApprovalLeft(store, make);
    // The owner lets the run go before it read the request, and so does the next one, which asked
    // again for the same plan; the one after reads that plan's approval from the journal.
    expect(first.letGo(handle.runId)).toBe(true);
    await handle.result;
    const second = make();
    const between = await second.resume(handle.runId);
    await until('the next owner to let it go', () => second.letGo(handle.runId));
    await between.result;
    const third = make();
    const carried = await third.resume(handle.runId);
    const waited = await other.awaitDecision(handle.runId, requestId, { timeoutMs: 5_000 });
    expect(waited.kind).toBe('recorded');
    const result = await carried.result;
    expect(result.status).toBe('succeeded');
    expect(result.approvals).toEqual([expect.objectContaining({ kind: 'plan', by: 'grace' })]);
  });
});
