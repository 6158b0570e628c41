/** `close({ runs: 'release' })`: the runs in flight are handed to another process instead of cancelled (a rolling deploy). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { defineAgent } from '../../src/agents/define-agent.ts';
import { existsSync } from 'node:fs';
import type { Integrator, Planner } from '../../src/core/contracts.ts';
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

/** The two agents of the plan; the fetcher's calls up to the first never answer, and ignore their abort. */
function agents(calls: { fetch: number }) {
  return [
    defineAgent({
      name: 'fetcher',
      description: 'fetches rows',
      produces: ['rows'],
      run: () => (++calls.fetch <= 1 ? new Promise<never>(() => undefined) : { rows: [1, 2, 3] }),
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

  it('hands over runs still waiting to begin: each is journaled as started and left for the next owner, none cancelled', async () => {
    const file = journalFile();
    // No fetch ever answers: a run that got going would be handed over with its attempt in flight.
    const o = createOrchestrator({ name: 'release', agents: agents({ fetch: -Infinity }), deliverable: ['total'], store: new SqliteRunStore({ file }) });
    const handles = Array.from({ length: 200 }, () => o.start('sum the rows', { plan }));
    await new Promise((r) => setImmediate(r));
    await o.close({ runs: 'release' });
    const statuses = new Set((await Promise.all(handles.map((h) => h.result))).map((r) => r.status));
    expect([...statuses]).toEqual(['running']);
    const store = new SqliteRunStore({ file });
    for (const h of handles.slice(-3)) {
      expect((await store.readEvents(h.runId)).map((e) => e.type).slice(0, 2)).toEqual(['run.started', 'plan.created']);
      expect((await store.ownership(h.runId))?.owner).toBeUndefined();
    }
    await store.close();
  });

  it('journals what the cut-short attempts reported using, so the next owner counts it', async () => {
    const file = journalFile();
    let calls = 0;
    const spender = () => [
      defineAgent({
        name: 'fetcher',
        description: 'asks a model',
        produces: ['rows'],
        run: (_input, ctx) => {
          ctx.reportUsage?.({ llmCalls: 1, inputTokens: 1000, outputTokens: 500 });
          return ++calls === 1 ? new Promise<never>(() => undefined) : { rows: [1] };
        },
      }),
      agents({ fetch: 0 })[1]!,
    ];
    const first = createOrchestrator({ name: 'release', agents: spender(), deliverable: ['total'], store: new SqliteRunStore({ file }) });
    const handle = first.start('sum the rows', { plan });
    await vi.waitFor(() => expect(calls).toBe(1));
    await first.close({ runs: 'release' });
    await handle.result;
    const second = createOrchestrator({ name: 'release', agents: spender(), deliverable: ['total'], store: new SqliteRunStore({ file }) });
    const result = await (await second.resume(handle.runId)).result;
    expect(result.status).toBe('succeeded');
    expect(result.usage).toEqual({ llmCalls: 2, inputTokens: 2000, outputTokens: 1000 });
    await second.close();
  });

  it('leaves a cancel asked for after the hand-over in the journal, and the next owner ends the run cancelled', async () => {
    const file = journalFile();
    const calls = { fetch: 0 };
    const first = createOrchestrator({ name: 'release', agents: agents(calls), deliverable: ['total'], store: new SqliteRunStore({ file }) });
    const handle = first.start('sum the rows', { plan });
    await vi.waitFor(() => expect(calls.fetch).toBe(1));
    expect(first.handOver(handle.runId)).toBe(true);
    expect((await first.requestCancel(handle.runId, 'not needed any more')).kind).toBe('requested');
    await handle.result;
    await first.close();
    const second = createOrchestrator({ name: 'release', agents: agents(calls), deliverable: ['total'], store: new SqliteRunStore({ file }) });
    expect(await (await second.resume(handle.runId)).result).toMatchObject({ status: 'cancelled' });
    expect(calls.fetch).toBe(1);
    await second.close();
  });

  it('hands over a run in its integration: it is not ended here, no run.json is written, and the next owner integrates it', async () => {
    const file = journalFile();
    const outDir = join(mkdtempSync(join(tmpdir(), 'baton-release-out-')), 'out');
    let integrations = 0;
    const integrator: Integrator = async ({ artifacts, provenance, signal }) => {
      if (++integrations === 1) await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
      return { artifacts, provenance, files: [] };
    };
    const make = (store: SqliteRunStore) => createOrchestrator({ name: 'release', agents: agents({ fetch: 1 }), deliverable: ['total'], store, integrator });
    const first = make(new SqliteRunStore({ file }));
    const handle = first.start('sum the rows', { plan, outDir });
    await vi.waitFor(() => expect(integrations).toBe(1));
    await first.close({ runs: 'release' });
    expect((await handle.result).status).toBe('running');
    expect(existsSync(join(outDir, 'run.json'))).toBe(false);
    const store = new SqliteRunStore({ file });
    expect((await store.readEvents(handle.runId)).map((e) => e.type)).not.toContain('run.ended');
    const second = make(store);
    const result = await (await second.resume(handle.runId)).result;
    expect(result.status).toBe('succeeded');
    expect(integrations).toBe(2);
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
