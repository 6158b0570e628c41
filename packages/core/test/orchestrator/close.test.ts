/** Closing an orchestrator ends its runs in flight, then closes every agent and the journal, whatever one agent's close() does. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AGENT_CLOSE_MS, closeAgents } from '../../src/agents/agent-pool.ts';
import { defineAgent } from '../../src/agents/define-agent.ts';
import type { Agent } from '../../src/core/contracts.ts';
import type { Plan } from '../../src/core/types.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { BatonError } from '../../src/core/errors.ts';
import { MemoryRunStore, SqliteRunStore } from '../../src/store/index.ts';
import { scriptedAgent } from '../../src/testing/index.ts';

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

describe('closing an orchestrator with runs in flight', () => {
  const journalFile = (): string => join(mkdtempSync(join(tmpdir(), 'baton-close-')), 'baton.db');

  it('cancels them, journals their ends and settles their results before it closes the journal, then refuses new runs', async () => {
    const file = journalFile();
    // An agent that ignores its abort signal: the run still ends at once.
    const deaf = defineAgent({ name: 'deaf', description: 'never answers', produces: ['thing'], run: () => new Promise(() => undefined) });
    const o = createOrchestrator({ name: 'closing', agents: [deaf], deliverable: ['thing'], store: new SqliteRunStore({ file }) });
    const handles = [o.start('make a thing'), o.start('make a thing')];
    await vi.waitFor(() => expect(o.activeRuns()).toHaveLength(2));
    await new Promise((r) => setTimeout(r, 50));

    await o.close();
    const results = await Promise.all(handles.map((h) => h.result));
    expect(results.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    expect(o.activeRuns()).toEqual([]);
    const reopened = new SqliteRunStore({ file });
    for (const h of handles) {
      expect((await reopened.getRun(h.runId))?.status).toBe('cancelled');
      const ended = (await reopened.readEvents(h.runId)).at(-1);
      expect(ended).toMatchObject({ type: 'run.ended', status: 'cancelled' });
      expect(JSON.stringify(ended)).toContain('the orchestrator is closing');
    }
    await reopened.close();

    const refusal = (() => {
      try {
        o.start('make another');
        return 'started';
      } catch (e) {
        return BatonError.isInstance(e) ? `${e.code}: ${e.message}` : String(e);
      }
    })();
    expect(refusal).toMatch(/^BAD_REQUEST: this orchestrator is closed/);
    await expect(o.resume(handles[0]!.runId)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('lets go of a run that only waits for a decision, which another orchestrator on the journal carries on', async () => {
    const file = journalFile();
    const make = () => createOrchestrator({ name: 'closing', agents: [scriptedAgent({ name: 'maker', produces: ['thing'] })], deliverable: ['thing'], store: new SqliteRunStore({ file }), policy: { approval: 'plan' } });
    const first = make();
    const handle = first.start('make a thing');
    await vi.waitFor(async () => expect((await first.store.getRun(handle.runId))?.status).toBe('awaiting-approval'));
    await first.close();
    expect((await handle.result).status).toBe('awaiting-approval');

    const second = make();
    const outcome = await second.decide(handle.runId, { decision: 'approved', by: 'ana' });
    expect(outcome.kind).toBe('carried');
    expect(outcome.kind === 'carried' && (await outcome.handle.result).status).toBe('succeeded');
    await second.close();
  });

  it('refuses a resume that was claiming its run as close() began, and gives the claim back for another process', async () => {
    const file = journalFile();
    const make = (store = new SqliteRunStore({ file })) => createOrchestrator({ name: 'closing', agents: [scriptedAgent({ name: 'maker', produces: ['thing'] })], deliverable: ['thing'], store, policy: { approval: 'plan' } });
    const first = make();
    const handle = first.start('make a thing');
    await vi.waitFor(async () => expect((await first.store.getRun(handle.runId))?.status).toBe('awaiting-approval'));
    expect(first.letGo(handle.runId)).toBe(true);
    await handle.result;

    const slow = new SqliteRunStore({ file });
    const claim = slow.claim.bind(slow);
    slow.claim = async (...args) => {
      await new Promise((r) => setTimeout(r, 100));
      return claim(...args);
    };
    const second = make(slow);
    const resuming = second.resume(handle.runId);
    resuming.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 30));
    await second.close(false);
    await expect(resuming).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(second.activeRuns()).toEqual([]);
    await slow.close();

    const third = make();
    const outcome = await third.decide(handle.runId, { decision: 'approved', by: 'ana' });
    expect(outcome.kind === 'carried' && (await outcome.handle.result).status).toBe('succeeded');
    await Promise.all([first.close(), third.close()]);
  });

  it('cancels a run waiting for a decision when it closes the memory journal that holds it (nothing could carry it on)', async () => {
    const o = createOrchestrator({ name: 'closing', agents: [scriptedAgent({ name: 'maker', produces: ['thing'] })], deliverable: ['thing'], policy: { approval: 'plan' } });
    const handle = o.start('make a thing');
    await vi.waitFor(async () => expect((await o.store.getRun(handle.runId))?.status).toBe('awaiting-approval'));
    await o.close();
    expect(await handle.result).toMatchObject({ status: 'cancelled', reason: 'the orchestrator is closing' });
  });

  it('closes once however often it is called, at once or later', async () => {
    let closes = 0;
    const agent = agentClosing('once', async () => void closes++);
    const store = new MemoryRunStore();
    const closeStore = vi.spyOn(store, 'close');
    const o = createOrchestrator({ name: 'closing', agents: [agent], store });
    expect((await o.run('make once', { plan: planOf(['once']) })).status).toBe('succeeded');
    await Promise.all([o.close(), o.close()]);
    await o.close();
    expect(closes).toBe(1);
    expect(closeStore).toHaveBeenCalledOnce();
  });

  it('never leaves a resume running after close() resolves, whenever close() begins while it claims the run', async () => {
    const plan = planOf(['x']);
    const store = new MemoryRunStore();
    const make = () => createOrchestrator({ name: 'closing', agents: [agentClosing('x', async () => undefined)], store, policy: { approval: 'plan' } });
    const held = make().start('make x', { plan, detachWhenWaiting: true });
    await held.result;
    for (let hops = 0; hops < 12; hops++) {
      const o = make();
      const resuming = o.resume(held.runId);
      resuming.catch(() => undefined);
      for (let i = 0; i < hops; i++) await null;
      await o.close(false);
      expect(o.activeRuns(), `close() after ${hops} microtasks`).toEqual([]);
      const handle = await resuming.catch(() => undefined);
      // A resume that got through before close() began was cancelled by it: the run is let go again.
      if (handle) await handle.result;
    }
  });
});
