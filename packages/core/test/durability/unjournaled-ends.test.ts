/**
 * Runs that ended in this process without their end journaled (the journal could not be reached)
 * are carried on by the takeover sweep; what was stopped here is not run again, and a run whose
 * journal keeps refusing its writes is not run again and again.
 */
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
    class RefusesAppends extends MemoryRunStore {
      refusing = false;
      override append(runId: string, events: RunEvent[], options?: Parameters<MemoryRunStore['append']>[2]): Promise<void> {
        return this.refusing ? Promise.reject(unreachable()) : super.append(runId, events, options);
      }
    }
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
});
