/**
 * A run the takeover sweep cannot carry on for a reason other than the journal is tried again after
 * a wait that doubles, not at every sweep (each would fail and log the same); a journal that cannot
 * be reached is tried at the next sweep.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineAgent } from '../../src/agents/define-agent.ts';
import { BatonError } from '../../src/core/errors.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { RETRY_FIRST_MS, TakeoverSweeper } from '../../src/execution/takeover.ts';
import { MemoryRunStore } from '../../src/store/memory-store.ts';

/** A pid of this host that no process has any more. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
}

afterEach(() => {
  vi.useRealTimers();
});

/** A journal holding one run whose process is gone, whose events cannot be read for `failure`. */
async function orphanUnreadable(failure: () => BatonError): Promise<{ sweeper: TakeoverSweeper; errors: string[] }> {
  const store = new MemoryRunStore();
  const owner = { id: `${hostname()}:gone`, host: hostname(), pid: deadPid(), startedAt: Date.now() - 60_000 };
  await store.createRun({ runId: 'r_unreadable', goal: 'Summarise the quarter', createdAt: new Date().toISOString(), owner });
  store.readEvents = () => Promise.reject(failure());
  const errors: string[] = [];
  const orchestrator = createOrchestrator({ name: 'sweeping', agents: [defineAgent({ name: 'noop', description: 'does nothing', produces: ['nothing'], run: () => ({ nothing: 1 }) })], store });
  return { sweeper: new TakeoverSweeper(orchestrator, { onError: (m) => errors.push(m) }), errors };
}

describe('a run the takeover sweep cannot carry on', () => {
  it('is tried again after a wait that doubles, not at every sweep', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { sweeper, errors } = await orphanUnreadable(() => new BatonError('INTERNAL', 'readEvents(r_unreadable): the journal database failed: invalid input syntax for type json'));
    for (let i = 0; i < 3; i++) await sweeper.sweep();
    expect(errors).toEqual([expect.stringMatching(/^run r_unreadable: .*invalid input syntax.* \(tried again in 10 s\)$/)]);

    vi.setSystemTime(Date.now() + RETRY_FIRST_MS + 1);
    for (let i = 0; i < 3; i++) await sweeper.sweep();
    expect(errors).toHaveLength(2);
    expect(errors[1]).toMatch(/\(tried again in 20 s\)$/);
  });

  it('is tried at every sweep while the journal cannot be reached', async () => {
    const { sweeper, errors } = await orphanUnreadable(() => new BatonError('JOURNAL_UNAVAILABLE', 'readEvents(r_unreadable): the journal database cannot be reached'));
    for (let i = 0; i < 3; i++) await sweeper.sweep();
    expect(errors).toEqual(Array(3).fill('run r_unreadable: readEvents(r_unreadable): the journal database cannot be reached'));
  });
});
