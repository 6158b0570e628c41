/** `close({ runs: 'release' })`: the runs in flight are handed to another process instead of cancelled (a rolling deploy). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { defineAgent } from '../../src/agents/define-agent.ts';
import type { Planner } from '../../src/core/contracts.ts';
import type { Plan } from '../../src/core/types.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { SqliteRunStore } from '../../src/store/index.ts';

const journalFile = (): string => join(mkdtempSync(join(tmpdir(), 'baton-release-')), 'baton.db');

const plan: Plan = {
  tasks: [
    { id: 'fetch', title: 'fetch', instructions: '', agent: 'fetcher', dependsOn: [], consumes: [], produces: ['rows'] },
    { id: 'sum', title: 'sum', instructions: '', agent: 'summer', dependsOn: ['fetch'], consumes: ['rows'], produces: ['total'] },
  ],
  requested: ['total'],
};

/** The two agents of the plan; the fetcher's first call never answers and ignores its abort. */
function agents(calls: { fetch: number }) {
  return [
    defineAgent({
      name: 'fetcher',
      description: 'fetches rows',
      produces: ['rows'],
      run: () => (++calls.fetch === 1 ? new Promise<never>(() => undefined) : { rows: [1, 2, 3] }),
    }),
    defineAgent({ name: 'summer', description: 'sums rows', consumes: ['rows'], produces: ['total'], run: ({ inputs }) => ({ total: (inputs['rows'] as number[]).reduce((a, b) => a + b, 0) }) }),
  ];
}

describe("closing an orchestrator with runs: 'release'", () => {
  it('leaves a working run unfinished in the journal with no owner, and another orchestrator redoes its interrupted attempt to the end', async () => {
    const file = journalFile();
    const calls = { fetch: 0 };
    const first = createOrchestrator({ name: 'release', agents: agents(calls), deliverable: ['total'], store: new SqliteRunStore({ file }) });
    const handle = first.start('sum the rows', { plan });
    await vi.waitFor(async () => expect((await first.store.readEvents(handle.runId)).map((e) => e.type)).toContain('task.started'));

    await first.close({ runs: 'release' });
    expect((await handle.result).status).toBe('running');
    const store = new SqliteRunStore({ file });
    const journaled = await store.readEvents(handle.runId);
    // Nothing of the stop is journaled: the attempt stays open, for the next owner to redo.
    expect(journaled.map((e) => e.type)).toEqual(['run.started', 'plan.created', 'task.started']);
    expect((await store.ownership(handle.runId))?.owner).toBeUndefined();
    expect((await store.getRun(handle.runId))?.status).toBe('running');

    const second = createOrchestrator({ name: 'release', agents: agents(calls), deliverable: ['total'], store });
    const result = await (await second.resume(handle.runId)).result;
    expect(result.status).toBe('succeeded');
    expect(result.deliverable.artifacts['total']).toBe(6);
    const fetch = result.tasks.find((t) => t.id === 'fetch')!;
    expect(fetch.attempts.map((a) => [a.n, a.status])).toEqual([
      [1, 'failed'],
      [2, 'succeeded'],
    ]);
    expect(fetch.attempts[0]!.error).toMatch(/^interrupted/);
    expect(calls.fetch).toBe(2);
    await second.close();
  });

  it('hands over a run whose planner is still at work, which another orchestrator plans afresh', async () => {
    const file = journalFile();
    const calls = { fetch: 1 };
    const deafPlanner: Planner = { name: 'llm', plan: () => new Promise(() => undefined) };
    const first = createOrchestrator({ name: 'release', agents: agents(calls), deliverable: ['total'], store: new SqliteRunStore({ file }), planner: deafPlanner });
    const handle = first.start('sum the rows');
    await vi.waitFor(async () => expect((await first.store.readEvents(handle.runId)).map((e) => e.type)).toEqual(['run.started']));

    await first.close({ runs: 'release' });
    expect((await handle.result).status).toBe('running');
    const store = new SqliteRunStore({ file });
    expect((await store.readEvents(handle.runId)).map((e) => e.type)).toEqual(['run.started']);

    const planner: Planner = { name: 'builtin', plan: () => Promise.resolve({ plan, planner: 'builtin' }) };
    const second = createOrchestrator({ name: 'release', agents: agents(calls), deliverable: ['total'], store, planner });
    expect((await (await second.resume(handle.runId)).result).status).toBe('succeeded');
    await second.close();
  });

  it('cancels a run whose journal is a memory one it closes: nothing could carry it on', async () => {
    const o = createOrchestrator({ name: 'release', agents: agents({ fetch: 0 }), deliverable: ['total'] });
    const handle = o.start('sum the rows', { plan });
    await vi.waitFor(async () => expect((await o.store.readEvents(handle.runId)).map((e) => e.type)).toContain('task.started'));
    await o.close({ runs: 'release' });
    expect(await handle.result).toMatchObject({ status: 'cancelled', reason: 'the orchestrator is closing' });
  });
});
