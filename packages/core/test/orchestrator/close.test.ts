/** Closing an orchestrator closes every agent and the journal, whatever one agent's close() does. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AGENT_CLOSE_MS, closeAgents } from '../../src/agents/agent-pool.ts';
import { defineAgent } from '../../src/agents/define-agent.ts';
import type { Agent } from '../../src/core/contracts.ts';
import type { Plan } from '../../src/core/types.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { MemoryRunStore } from '../../src/store/index.ts';

afterEach(() => {
  vi.useRealTimers();
});

/** An agent producing `name`, whose close() does `close`. */
function agentClosing(name: string, close: () => Promise<void>): Agent {
  return { ...defineAgent({ name, description: name, produces: [name], run: () => ({ [name]: 1 }) }), close };
}

const planOf = (names: string[]): Plan => ({
  tasks: names.map((n) => ({ id: n, title: n, instructions: '', agent: n, dependsOn: [], consumes: [], produces: [n] })),
  requested: names,
});

describe('closing an orchestrator', () => {
  it("closes the other agents and the journal when one agent's close() throws or never ends, then says which", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const closed: string[] = [];
    const agents = [
      agentClosing('throws', () => Promise.reject(new Error('the pool was already gone'))),
      agentClosing('hangs', () => new Promise<void>(() => undefined)),
      agentClosing('fine', async () => void closed.push('fine')),
    ];
    const store = new MemoryRunStore();
    const closeStore = vi.spyOn(store, 'close');
    const o = createOrchestrator({ name: 'closing', agents, store });
    expect((await o.run('make all', { plan: planOf(['throws', 'hangs', 'fine']) })).status).toBe('succeeded');

    const closing = o.close();
    closing.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(AGENT_CLOSE_MS + 1);
    const message = await closing.then(
      () => 'closed without a word',
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    expect(message).toContain("agent 'throws': its close() failed: the pool was already gone");
    expect(message).toContain(`agent 'hangs': its close() did not finish within ${AGENT_CLOSE_MS} ms`);
    expect(closed).toEqual(['fine']);
    expect(closeStore).toHaveBeenCalledOnce();
  });

  it('closes an agent given in code once, though the pools of several manifest snapshots hold it', async () => {
    let running = 0;
    let calls = 0;
    const shared = agentClosing('shared', async () => {
      calls++;
      running++;
      await new Promise((r) => setTimeout(r, 10));
      running--;
    });
    await closeAgents([shared, shared]);
    expect(calls).toBe(1);
    expect(running).toBe(0);
  });
});
