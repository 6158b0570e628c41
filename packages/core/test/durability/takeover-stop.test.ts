/** A takeover sweeper stopped while it sweeps takes no further run, and says when it has stopped. */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/define-agent.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { TakeoverSweeper } from '../../src/execution/takeover.ts';
import { MemoryRunStore } from '../../src/store/memory-store.ts';

/** A pid of this host that no process has any more. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
}

describe('stopping a takeover sweeper', () => {
  it('takes no run after the sweep under way has been told to stop, and resolves once that sweep has ended', async () => {
    const store = new MemoryRunStore();
    const owner = { id: `${hostname()}:gone`, host: hostname(), pid: deadPid(), startedAt: Date.now() - 60_000 };
    for (let i = 0; i < 6; i++) await store.createRun({ runId: `r_orphan${i}`, goal: 'Summarise the quarter', createdAt: new Date().toISOString(), owner });
    // A journal slow to answer (a busy database): each claim takes a while.
    let claims = 0;
    let firstClaim!: () => void;
    const claiming = new Promise<void>((resolve) => (firstClaim = resolve));
    const claim = store.claim.bind(store);
    store.claim = async (...args) => {
      claims++;
      firstClaim();
      await new Promise((r) => setTimeout(r, 30));
      return claim(...args);
    };
    const sweeper = new TakeoverSweeper(createOrchestrator({ name: 'sweeping', agents: [defineAgent({ name: 'noop', description: 'does nothing', produces: ['nothing'], run: () => ({ nothing: 1 }) })], store }));
    const sweeping = sweeper.sweep();
    await claiming;
    await sweeper.stop();
    const claimedByStop = claims;
    const taken = await sweeping;
    await new Promise((r) => setTimeout(r, 100));
    expect(claims).toBe(claimedByStop);
    expect(claimedByStop).toBeLessThan(6);
    expect(taken.length).toBe(claimedByStop);
    await Promise.all(taken.map((h) => h.result));
  });
});
