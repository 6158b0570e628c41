import { describe, expect, it } from 'vitest';
import type { DecisionRequest, OwnershipStore, RunOwner, RunStore, RunStoreRetention } from '../../src/core/contracts.ts';
import { BatonError } from '../../src/core/errors.ts';
import type { RunEvent } from '../../src/core/events.ts';
import { supportsOwnership } from '../../src/store/ownership.ts';
import { stamp } from './sample-journal.ts';

const CREATED = '2024-06-30T08:00:00.000Z';
const owner = (id: string): RunOwner => ({ id, host: 'host-a', pid: 4000 + id.length, startedAt: 1_700_000_000_000 });
const started = (runId: string): RunEvent[] => stamp(runId, [{ type: 'run.started', goal: 'g', orchestrator: 'o' }], 1);
const failed = (runId: string, seq: number): RunEvent[] => stamp(runId, [{ type: 'task.failed', taskId: 't1', reason: 'x' }], seq);
const ended = (runId: string, seq: number): RunEvent[] => stamp(runId, [{ type: 'run.ended', status: 'succeeded', deliverable: { artifacts: {}, files: [], provenance: {} } }], seq);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    if (BatonError.isInstance(e)) return e.code;
    throw e;
  }
  return 'no error';
}

/**
 * The ownership contract (OwnershipStore in src/core/contracts.ts): owners, fencing tokens and
 * requests. Registered by the RunStore conformance suite for every backend that has it.
 */
export function ownershipSpecs(current: () => RunStore, another?: () => Promise<RunStore>): void {
  const store = (): RunStore & OwnershipStore => {
    const s = current();
    if (!supportsOwnership(s)) throw new Error('this store does not record ownership');
    return s;
  };

  describe('run ownership and fencing', () => {
    it('gives a run created with an owner fencing token 1 and that owner', async () => {
      await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') });
      const o = await store().ownership('r1');
      expect(o).toMatchObject({ runId: 'r1', status: 'running', fence: 1, owner: owner('a') });
      expect(o?.heartbeatAgeMs).toBeGreaterThanOrEqual(0);
      expect(o?.heartbeatAgeMs).toBeLessThan(5_000);
    });

    it('appends with the current token and refuses a stale one, storing nothing', async () => {
      await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') });
      await store().append('r1', started('r1'), { fence: 1 });
      expect(await store().claim('r1', owner('b'), 1)).toBe(2);
      expect(await codeOf(store().append('r1', failed('r1', 2), { fence: 1 }))).toBe('RUN_FENCED');
      expect(await store().readEvents('r1')).toHaveLength(1);
      await store().append('r1', failed('r1', 2), { fence: 2 });
      expect((await store().getRun('r1'))?.eventCount).toBe(2);
    });

    it('gives a run created with its first events and an owner fencing token 1, which its appends carry', async () => {
      const s = store();
      if (!s.createRunWithEvents) throw new Error('this store has no createRunWithEvents');
      await s.createRunWithEvents({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') }, started('r1'));
      expect(await s.ownership('r1')).toMatchObject({ runId: 'r1', status: 'running', fence: 1, owner: owner('a') });
      await s.append('r1', failed('r1', 2), { fence: 1 });
      expect(await s.claim('r1', owner('b'), 1)).toBe(2);
      expect(await codeOf(s.append('r1', failed('r1', 3), { fence: 1 }))).toBe('RUN_FENCED');
      expect((await s.getRun('r1'))?.eventCount).toBe(2);
    });

    it('lets exactly one of two racing claims win', async () => {
      await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') });
      const wins = await Promise.all([store().claim('r1', owner('b'), 1), store().claim('r1', owner('c'), 1)]);
      expect(wins.filter((w) => w !== undefined)).toEqual([2]);
      const winner = wins[0] === 2 ? 'b' : 'c';
      expect((await store().ownership('r1'))?.owner?.id).toBe(winner);
    });

    it('does not let an ended run be claimed, and an ended run has no owner or request', async () => {
      await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') });
      await store().append('r1', started('r1'), { fence: 1 });
      await store().requestCancel('r1', 'stop');
      await store().append('r1', ended('r1', 2), { fence: 1 });
      expect(await store().claim('r1', owner('b'), 1)).toBeUndefined();
      const o = await store().ownership('r1');
      expect(o?.owner).toBeUndefined();
      expect(o?.cancelRequested).toBeUndefined();
      expect(await store().unfinished()).toEqual([]);
    });

    it('releases a run only for its owner and token, keeping the token', async () => {
      await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') });
      await store().release('r1', 'b', 1);
      expect((await store().ownership('r1'))?.owner?.id).toBe('a');
      await store().release('r1', 'a', 1);
      const o = await store().ownership('r1');
      expect(o?.owner).toBeUndefined();
      expect(o?.fence).toBe(1);
      expect(await store().claim('r1', owner('b'), 1)).toBe(2);
    });

    it('marks a run its owner handed over until the next claim, and only for its owner and token', async () => {
      await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') });
      await store().release('r1', 'b', 1, { handedOver: true });
      expect((await store().ownership('r1'))?.handedOverBy).toBeUndefined();
      await store().release('r1', 'a', 1, { handedOver: true });
      const o = await store().ownership('r1');
      expect(o?.owner).toBeUndefined();
      expect(o?.handedOverBy).toBe('a');
      expect((await store().unfinished()).map((u) => u.handedOverBy)).toEqual(['a']);
      expect(await store().claim('r1', owner('b'), 1)).toBe(2);
      expect((await store().ownership('r1'))?.handedOverBy).toBeUndefined();
      // A release without the mark (a run let go while it waits) leaves none.
      await store().release('r1', 'b', 2);
      expect((await store().ownership('r1'))?.handedOverBy).toBeUndefined();
    });

    it('lists the runs that have not ended, oldest first, with owner and heartbeat age', async () => {
      await store().createRun({ runId: 'r2', goal: 'g', createdAt: '2024-06-30T09:00:00.000Z', owner: owner('a') });
      await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED });
      await store().createRun({ runId: 'r3', goal: 'g', createdAt: '2024-06-30T10:00:00.000Z', owner: owner('a') });
      await store().append('r3', [...started('r3'), ...ended('r3', 2)], { fence: 1 });
      const list = await store().unfinished();
      expect(list.map((o) => [o.runId, o.owner?.id ?? null, o.fence])).toEqual([
        ['r1', null, 0],
        ['r2', 'a', 1],
      ]);
    });

    it("retires an owner: its runs, running or awaiting approval, are left without an owner; other owners' runs keep theirs", async () => {
      await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') });
      await store().createRun({ runId: 'r2', goal: 'g', createdAt: CREATED, owner: owner('b') });
      await store().createRun({ runId: 'r3', goal: 'g', createdAt: CREATED, owner: owner('a') });
      await store().append('r3', stamp('r3', [{ type: 'approval.requested', kind: 'plan' }]), { fence: 1 });
      await store().heartbeat(owner('a'));
      await store().retire('a');
      expect((await store().ownership('r1'))?.owner).toBeUndefined();
      expect((await store().ownership('r3'))?.owner).toBeUndefined();
      expect((await store().ownership('r3'))?.status).toBe('awaiting-approval');
      expect((await store().ownership('r2'))?.owner?.id).toBe('b');
    });

    it('keeps the first cancel request for the owner to read, and says RUN_NOT_FOUND for an unknown run', async () => {
      await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') });
      await store().createRun({ runId: 'r2', goal: 'g', createdAt: CREATED, owner: owner('b') });
      await store().requestCancel('r1', 'first');
      await store().requestCancel('r1', 'second');
      expect(await store().requests('a')).toEqual([{ runId: 'r1', cancel: 'first' }]);
      expect(await store().requests('b')).toEqual([]);
      expect(await codeOf(store().requestCancel('nope', 'x'))).toBe('RUN_NOT_FOUND');
    });

    const decision = (runId: string, id: string, key = 'plan', requestedAt = CREATED): DecisionRequest => ({
      id,
      runId,
      key,
      requestedAt,
      decision: { decision: 'approved', by: `decider ${id}`, ...(key === 'plan' ? {} : { taskId: key.slice(5) }) },
    });
    const requested = (runId: string, seq: number, taskId?: string): RunEvent[] =>
      stamp(runId, [{ type: 'approval.requested', kind: taskId ? 'task' : 'plan', ...(taskId ? { taskId } : {}) }], seq);
    const decided = (runId: string, seq: number, waiting: number): RunEvent[] =>
      stamp(runId, [{ type: 'approval.decided', kind: 'plan', decision: 'approved', by: 'x', planEdited: false, waiting }], seq);

    it('keeps a run awaiting approval owned and claimable, listed as unfinished, until it ends', async () => {
      await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') });
      await store().append('r1', [...started('r1'), ...requested('r1', 2)], { fence: 1 });
      expect((await store().getRun('r1'))?.status).toBe('awaiting-approval');
      expect((await store().listRuns({ status: 'awaiting-approval' })).map((r) => r.runId)).toEqual(['r1']);
      expect((await store().ownership('r1'))?.owner?.id).toBe('a');
      expect((await store().unfinished()).map((o) => [o.runId, o.status])).toEqual([['r1', 'awaiting-approval']]);
      await store().requestCancel('r1', 'stop');
      expect(await store().requests('a')).toEqual([{ runId: 'r1', cancel: 'stop' }]);
      expect(await store().claim('r1', owner('b'), 1)).toBe(2);
      await store().append('r1', decided('r1', 3, 0), { fence: 2 });
      expect((await store().getRun('r1'))?.status).toBe('running');
    });

    it('refuses to delete a run awaiting approval: it has not ended', async () => {
      await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') });
      await store().append('r1', [...started('r1'), ...requested('r1', 2)], { fence: 1 });
      const retention = store() as unknown as RunStoreRetention;
      expect(await codeOf(retention.deleteRun('r1'))).toBe('RUN_RUNNING');
      expect((await store().getRun('r1'))?.status).toBe('awaiting-approval');
    });

    it('stays awaiting approval after a decision while others still wait', async () => {
      await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') });
      await store().append('r1', [...started('r1'), ...requested('r1', 2, 't1'), ...requested('r1', 3, 't2')], { fence: 1 });
      await store().append('r1', decided('r1', 4, 1), { fence: 1 });
      expect((await store().getRun('r1'))?.status).toBe('awaiting-approval');
    });

    it('keeps one decision request per run and key: of two racing requests exactly one is recorded', async () => {
      await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') });
      const wins = await Promise.all([store().requestDecision(decision('r1', 'd1')), store().requestDecision(decision('r1', 'd2'))]);
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(await store().requestDecision(decision('r1', 'd3', 'task:t1', '2024-06-30T08:00:01.000Z'))).toBe(true);
      const pending = await store().decisionRequests({ runId: 'r1' });
      expect(pending.map((d) => d.key)).toEqual(['plan', 'task:t1']);
      expect(pending[1]).toEqual(decision('r1', 'd3', 'task:t1', '2024-06-30T08:00:01.000Z'));
      expect((await store().decisionRequests({ ownerId: 'a' })).map((d) => d.id)).toEqual(pending.map((d) => d.id));
      expect(await store().decisionRequests({ ownerId: 'b' })).toEqual([]);
      await store().clearDecision('r1', pending[0]!.id);
      expect((await store().decisionRequests({ runId: 'r1' })).map((d) => d.id)).toEqual(['d3']);
      expect(await store().requestDecision(decision('r1', 'd4'))).toBe(true);
    });

    it('forgets the decision requests of a run that ended, refuses new ones, and says RUN_NOT_FOUND for an unknown run', async () => {
      await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') });
      await store().append('r1', started('r1'), { fence: 1 });
      expect(await store().requestDecision(decision('r1', 'd1'))).toBe(true);
      await store().append('r1', ended('r1', 2), { fence: 1 });
      expect(await store().decisionRequests({ runId: 'r1' })).toEqual([]);
      expect(await store().requestDecision(decision('r1', 'd2'))).toBe(false);
      expect(await codeOf(store().requestDecision(decision('nope', 'd3')))).toBe('RUN_NOT_FOUND');
    });

    if (another) {
      it('lets exactly one of two processes record a decision on the same approval', async () => {
        await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') });
        const other = await another();
        if (!supportsOwnership(other)) throw new Error('no ownership');
        const wins = await Promise.all([store().requestDecision(decision('r1', 'd1')), other.requestDecision(decision('r1', 'd2'))]);
        expect(wins.filter(Boolean)).toHaveLength(1);
        expect((await other.decisionRequests({ ownerId: 'a' })).map((d) => d.id)).toEqual([wins[0] ? 'd1' : 'd2']);
      });

      it('shares ownership between two stores on one journal (two processes)', async () => {
        await store().createRun({ runId: 'r1', goal: 'g', createdAt: CREATED, owner: owner('a') });
        const other = await another();
        if (!supportsOwnership(other)) throw new Error('no ownership');
        expect(await other.claim('r1', owner('b'), 1)).toBe(2);
        expect(await codeOf(store().append('r1', started('r1'), { fence: 1 }))).toBe('RUN_FENCED');
        expect((await store().ownership('r1'))?.owner?.id).toBe('b');
      });
    }
  });
}
