/**
 * Runs that ended in this process without their end journaled (the journal could not be reached)
 * are carried on by the takeover sweep; what was stopped here is not run again, and a run whose
 * journal keeps refusing its writes is not run again and again.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/define-agent.ts';
import { BatonError } from '../../src/core/errors.ts';
import type { RunEvent } from '../../src/core/events.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { TakeoverSweeper } from '../../src/execution/takeover.ts';
import { MemoryRunStore } from '../../src/store/memory-store.ts';
import type { NewRunRecord } from '../../src/store/journal-rules.ts';

const unreachable = (): BatonError => new BatonError('JOURNAL_UNAVAILABLE', 'the journal database cannot be reached or did not answer in time');

function counted(): { agent: ReturnType<typeof defineAgent>; runs: { n: number } } {
  const runs = { n: 0 };
  const agent = defineAgent({
    name: 'mailer',
    description: 'sends the report by mail',
    produces: ['sent'],
    run: () => {
      runs.n++;
      return { sent: true };
    },
  });
  return { agent, runs };
}

/** A journal that takes reads, and refuses every write while `refusing` (as if it could not be reached). */
class RefusesAppends extends MemoryRunStore {
  refusing = false;
  override append(runId: string, events: RunEvent[], options?: Parameters<MemoryRunStore['append']>[2]): Promise<void> {
    return this.refusing ? Promise.reject(unreachable()) : super.append(runId, events, options);
  }
}

/**
 * research (slow: ends at its abort) and figures (quick: makes `store` refuse writes as it works),
 * then writer, which needs both: the figures' success is the first write that fails.
 */
function reportTeam(store: RefusesAppends) {
  const ran: string[] = [];
  const seen = { researchAborted: false };
  const research = defineAgent({
    name: 'research',
    description: 'gathers the facts',
    produces: ['facts'],
    run: (_input, ctx) =>
      new Promise((resolve) => {
        ran.push('research');
        const timer = setTimeout(() => resolve({ facts: ['f'] }), 5_000);
        ctx.signal.addEventListener('abort', () => {
          seen.researchAborted = true;
          clearTimeout(timer);
          resolve({ facts: [] });
        });
      }),
  });
  const figures = defineAgent({
    name: 'figures',
    description: 'computes the figures',
    produces: ['figures'],
    run: async () => {
      ran.push('figures');
      store.refusing = true;
      await new Promise((r) => setTimeout(r, 20));
      return { figures: [1] };
    },
  });
  const writer = defineAgent({ name: 'writer', description: 'writes the report', consumes: ['facts', 'figures'], produces: ['report'], run: () => (ran.push('writer'), { report: 'r' }) });
  return { agents: [research, figures, writer], ran, seen };
}

describe('a run whose end this process could not journal', () => {
  it('whose start was stored but not confirmed to its caller (told it failed) is ended cancelled by the sweep, its work not run', async () => {
    class LateAnswer extends MemoryRunStore {
      override async createRunWithEvents(record: NewRunRecord, events: RunEvent[]): Promise<void> {
        await super.createRunWithEvents(record, events);
        throw unreachable();
      }
    }
    const store = new LateAnswer();
    const { agent, runs } = counted();
    const orchestrator = createOrchestrator({ name: 'mail', agents: [agent], store });
    await expect(orchestrator.run('mail the report')).rejects.toMatchObject({ code: 'JOURNAL_UNAVAILABLE' });
    const [runId] = orchestrator.endedUnjournaled();
    expect(runId).toBeDefined();

    const [handle] = await new TakeoverSweeper(orchestrator).sweep();
    const result = await handle!.result;
    expect(result.status).toBe('cancelled');
    expect(result.reason).toMatch(/its start was not confirmed to whoever asked for it/);
    expect(runs.n).toBe(0);
    expect((await store.getRun(runId!))?.status).toBe('cancelled');
    expect(orchestrator.endedUnjournaled()).toEqual([]);
    await orchestrator.close();
  });

  it('whose journal takes reads but refuses its writes is carried on once, then only after a wait', async () => {
    const store = new RefusesAppends();
    store.refusing = true;
    const { agent, runs } = counted();
    const orchestrator = createOrchestrator({ name: 'mail', agents: [agent], store });
    await expect(orchestrator.run('mail the report')).rejects.toMatchObject({ code: 'JOURNAL_UNAVAILABLE' });
    expect(runs.n).toBe(1);
    expect(orchestrator.endedUnjournaled()).toHaveLength(1);

    const sweeper = new TakeoverSweeper(orchestrator);
    const [handle] = await sweeper.sweep();
    await expect(handle!.result).rejects.toMatchObject({ code: 'JOURNAL_UNAVAILABLE' });
    expect(runs.n).toBe(2);
    // Ended unjournaled again: not carried on at every sweep, each running the agent once more.
    expect(orchestrator.endedUnjournaled()).toEqual([]);
    for (let i = 0; i < 3; i++) expect(await sweeper.sweep()).toEqual([]);
    expect(runs.n).toBe(2);
    await orchestrator.close();
  });

  it('stops at its first write that cannot reach the journal: the attempt in flight is aborted and nothing after it runs', async () => {
    const store = new RefusesAppends();
    const { agents, ran, seen } = reportTeam(store);
    const outDir = mkdtempSync(path.join(tmpdir(), 'baton-unjournaled-'));
    let integrated = 0;
    const orchestrator = createOrchestrator({ name: 'reports', agents, store, outDir, integrator: () => (integrated++, { summary: 's', artifacts: {}, provenance: {}, files: [] }) });
    const began = Date.now();
    await expect(orchestrator.run('write the report')).rejects.toMatchObject({ code: 'JOURNAL_UNAVAILABLE' });
    expect(Date.now() - began).toBeLessThan(4_000);
    expect(seen.researchAborted).toBe(true);
    expect(ran.sort()).toEqual(['figures', 'research']);
    // Not delivered: its end is not this one, and whoever carries it on delivers it.
    expect(integrated).toBe(0);
    expect(readdirSync(outDir)).toEqual([]);
    rmSync(outDir, { recursive: true, force: true });
    expect(orchestrator.endedUnjournaled()).toHaveLength(1);
    await orchestrator.close();
  });

  it('ends cancelled when carried on, if cancelled after its journal failed and before it ended here', async () => {
    const store = new RefusesAppends();
    const { agents, ran } = reportTeam(store);
    const orchestrator = createOrchestrator({ name: 'reports', agents, store });
    let cancelled: boolean | undefined;
    // Told at once (not once stored): the research's attempt, aborted by the stop, while the run has not ended.
    orchestrator.on((e) => {
      if (cancelled === undefined && e.type === 'task.attempt.failed') cancelled = orchestrator.cancel(e.runId, 'not wanted any more');
    });
    await expect(orchestrator.run('write the report')).rejects.toMatchObject({ code: 'JOURNAL_UNAVAILABLE' });
    expect(cancelled).toBe(true);

    store.refusing = false;
    const [carried] = await new TakeoverSweeper(orchestrator).sweep();
    const result = await carried!.result;
    expect(result.status).toBe('cancelled');
    expect(result.reason).toMatch(/not wanted any more/);
    expect(ran.sort()).toEqual(['figures', 'research']);
    await orchestrator.close();
  });

  describe('while it waits, after its journal kept refusing writes, for the sweep to try again', () => {

    /** Ended unjournaled twice (its own run, then the sweep's try): the sweep waits 10 s before the next try. */
    async function waitingForTheSweep(store: RefusesAppends, orchestrator: ReturnType<typeof createOrchestrator>, ended: Promise<unknown>): Promise<string> {
      await expect(ended).rejects.toMatchObject({ code: 'JOURNAL_UNAVAILABLE' });
      const [runId] = orchestrator.endedUnjournaled();
      const sweeper = new TakeoverSweeper(orchestrator);
      const [again] = await sweeper.sweep();
      await expect(again!.result).rejects.toMatchObject({ code: 'JOURNAL_UNAVAILABLE' });
      expect(await sweeper.sweep()).toEqual([]);
      store.refusing = false;
      return runId!;
    }

    it('is cancelled at once by a cancel, its work not run again, rather than left to the sweep', async () => {
      const store = new RefusesAppends();
      store.refusing = true;
      const { agent, runs } = counted();
      const orchestrator = createOrchestrator({ name: 'mail', agents: [agent], store });
      const runId = await waitingForTheSweep(store, orchestrator, orchestrator.run('mail the report'));
      expect(runs.n).toBe(2);

      const outcome = await orchestrator.requestCancel(runId, 'not needed any more');
      expect(outcome.kind).toBe('cancelled');
      if (outcome.kind !== 'cancelled') return;
      expect(outcome.result.status).toBe('cancelled');
      expect(outcome.result.reason).toMatch(/not needed any more/);
      expect((await store.getRun(runId))?.status).toBe('cancelled');
      expect(runs.n).toBe(2);
      expect(orchestrator.endedUnjournaled()).toEqual([]);
      await orchestrator.close();
    });

    it('is carried on at once by a decision, rather than left to the sweep', async () => {
      const store = new RefusesAppends();
      const { agent, runs } = counted();
      const orchestrator = createOrchestrator({ name: 'mail', agents: [agent], store, policy: { approval: 'plan' } });
      const handle = orchestrator.start('mail the report');
      for (let i = 0; i < 500 && (await store.getRun(handle.runId))?.status !== 'awaiting-approval'; i++) await new Promise((r) => setTimeout(r, 5));
      expect((await store.getRun(handle.runId))?.status).toBe('awaiting-approval');
      store.refusing = true;
      // The approval cannot be journaled: its caller is told so, and the run ends here unjournaled.
      await expect(orchestrator.decide(handle.runId, { decision: 'approved', by: 'ana' })).rejects.toMatchObject({ code: 'JOURNAL_UNAVAILABLE' });
      const runId = await waitingForTheSweep(store, orchestrator, handle.result);
      expect(runId).toBe(handle.runId);
      expect(runs.n).toBe(0);

      const outcome = await orchestrator.decide(runId, { decision: 'approved', by: 'ana' });
      expect(outcome.kind).toBe('carried');
      if (outcome.kind !== 'carried') return;
      expect((await outcome.handle.result).status).toBe('succeeded');
      expect(runs.n).toBe(1);
      await orchestrator.close();
    });

    it('is carried on at the next sweep when another process left a cancel or a decision for it', async () => {
      const store = new RefusesAppends();
      const { agent, runs } = counted();
      const orchestrator = createOrchestrator({ name: 'mail', agents: [agent], store, policy: { approval: 'plan' } });
      const sweeper = new TakeoverSweeper(orchestrator);
      // Another process: it sees the run owned by the live one that waits to carry it on.
      const elsewhere = createOrchestrator({ name: 'mail', agents: [agent], store });

      store.refusing = true;
      const cancelled = await waitingForTheSweep(store, orchestrator, orchestrator.run('mail the report'));
      expect(await elsewhere.requestCancel(cancelled, 'asked from the CLI')).toMatchObject({ kind: 'requested' });
      const [carried] = await sweeper.sweep();
      expect(carried?.runId).toBe(cancelled);
      expect((await carried!.result).status).toBe('cancelled');

      const handle = orchestrator.start('mail the report');
      for (let i = 0; i < 500 && (await store.getRun(handle.runId))?.status !== 'awaiting-approval'; i++) await new Promise((r) => setTimeout(r, 5));
      store.refusing = true;
      await expect(orchestrator.decide(handle.runId, { decision: 'approved', by: 'ana' })).rejects.toMatchObject({ code: 'JOURNAL_UNAVAILABLE' });
      const decided = await waitingForTheSweep(store, orchestrator, handle.result);
      expect(await elsewhere.decide(decided, { decision: 'approved', by: 'ana' })).toMatchObject({ kind: 'requested' });
      const [resumed] = await sweeper.sweep();
      expect(resumed?.runId).toBe(decided);
      expect((await resumed!.result).status).toBe('succeeded');
      expect(runs.n).toBe(1);
      await Promise.all([orchestrator.close(), elsewhere.close()]);
    });

    it('is carried on once for a request left by another process, not at every sweep while its journal still refuses writes', async () => {
      const store = new RefusesAppends();
      const { agent } = counted();
      const orchestrator = createOrchestrator({ name: 'mail', agents: [agent], store });
      const sweeper = new TakeoverSweeper(orchestrator);
      const elsewhere = createOrchestrator({ name: 'mail', agents: [agent], store });
      store.refusing = true;
      const runId = await waitingForTheSweep(store, orchestrator, orchestrator.run('mail the report'));
      store.refusing = true;

      expect(await elsewhere.requestCancel(runId, 'asked from the CLI')).toMatchObject({ kind: 'requested' });
      const [carried] = await sweeper.sweep();
      expect(carried?.runId).toBe(runId);
      await expect(carried!.result).rejects.toMatchObject({ code: 'JOURNAL_UNAVAILABLE' });
      // The request is still in the journal: the run waits for its next try, as without one.
      for (let i = 0; i < 3; i++) expect(await sweeper.sweep()).toEqual([]);
      await Promise.all([orchestrator.close(), elsewhere.close()]);
    });
  });
});
