import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/core/events.ts';
import { reduceEvents } from '../../src/core/reduce.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { renderDeliverable } from '../../src/integration/default-deliverable.ts';
import { valueToMarkdown } from '../../src/integration/markdown.ts';
import { SqliteRunStore } from '../../src/store/index.ts';
import { scriptedAgent } from '../../src/testing/index.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'baton-deliverable-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const rows = Array.from({ length: 3 }, (_, i) => ({ region: `R${i}`, revenue: 1000 * (i + 1), growth: 0.12345 }));

function agents() {
  return [
    scriptedAgent({ name: 'data', version: '2.1.0', description: 'Extracts the rows', produces: ['rows'], script: [{ output: { rows } }] }),
    scriptedAgent({
      name: 'summary',
      description: 'Summarises the sales',
      produces: ['summary', 'kpis'],
      script: [{ output: { summary: 'Revenue grew in **every** region.', kpis: { total: 6000, best: 'R2', byQuarter: [{ q: 'Q1', v: 1 }] } } }],
    }),
  ];
}

describe('the default deliverable', () => {
  it('is written as deliverable.md and deliverable.json in the out folder, with provenance', async () => {
    const outDir = path.join(tmp, 'run-a');
    const orchestrator = createOrchestrator({ name: 'sales', agents: agents(), deliverable: ['summary', 'kpis', 'rows'], outDir });
    const result = await orchestrator.run('sales summary with kpis and rows');
    expect(result.status).toBe('succeeded');
    expect(result.deliverable.files.map((f) => path.basename(f))).toEqual(['deliverable.md', 'deliverable.json', 'run.json']);

    const md = readFileSync(path.join(outDir, 'deliverable.md'), 'utf8');
    expect(md).toContain('# sales summary with kpis and rows');
    expect(md).toContain(`Run \`${result.runId}\` **succeeded**`);
    expect(md).toMatch(/## summary\n\n_task t\d-/);
    expect(md).toContain('Revenue grew in **every** region.');
    // Provenance: task, agent@version, attempt, time.
    expect(md).toMatch(/_task t1-[\w-]+ · agent data@2\.1\.0 · attempt 1 · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC_/);
    // An array of objects is a table; an object of scalars and nested values a list and sections.
    expect(md).toContain('| region | revenue | growth |\n| --- | --- | --- |\n| R0 | 1000 | 0.1235 |');
    expect(md).toContain('- **total**: 6000\n- **best**: R2\n\n### byQuarter\n\n| q | v |');

    const json = JSON.parse(readFileSync(path.join(outDir, 'deliverable.json'), 'utf8')) as Record<string, unknown>;
    expect(json).toEqual({
      runId: result.runId,
      goal: 'sales summary with kpis and rows',
      status: 'succeeded',
      artifacts: result.deliverable.artifacts,
      provenance: result.deliverable.provenance,
    });
  });

  it('is not written when the run has a custom integrator', async () => {
    const outDir = path.join(tmp, 'run-b');
    const orchestrator = createOrchestrator({
      name: 'sales',
      agents: agents(),
      outDir,
      integrator: (input) => ({ artifacts: input.artifacts, files: [], provenance: input.provenance }),
    });
    await orchestrator.run('the summary');
    expect(existsSync(path.join(outDir, 'run.json'))).toBe(true);
    expect(existsSync(path.join(outDir, 'deliverable.md'))).toBe(false);
  });

  it('says what was missing and why the run did not succeed', () => {
    const md = renderDeliverable({ runId: 'r_1', goal: 'g', status: 'partial', reason: 'task t2 failed', endedAt: '2026-01-02T03:04:05.678Z' }, { artifacts: {}, files: [], provenance: {}, missing: ['kpis'] });
    expect(md).toBe('# g\n\nRun `r_1` **partial** · 2026-01-02 03:04:05 UTC\n\n> task t2 failed\n\n_This run delivered no artifacts._\n\n**Missing** (asked for, not made): kpis\n');
  });

  it('renders values readably: text, tables, lists, escaped cells, cut long tables', () => {
    expect(valueToMarkdown('plain words')).toBe('plain words');
    expect(valueToMarkdown(42)).toBe('42');
    expect(valueToMarkdown(['a', 'b'])).toBe('- a\n- b');
    expect(valueToMarkdown({ a: 1, b: 'x|y' })).toBe('| field | value |\n| --- | --- |\n| a | 1 |\n| b | x\\|y |');
    expect(valueToMarkdown([{ a: 1 }, { b: { c: 2 } }])).toBe('| a | b |\n| --- | --- |\n| 1 | – |\n| – | {"c":2} |');
    // A column a row lacks is empty, even when it is named like a member of every object.
    expect(valueToMarkdown(JSON.parse('[{"a":1},{"constructor":2}]'))).toBe('| a | constructor |\n| --- | --- |\n| 1 | – |\n| – | 2 |');
    const long = valueToMarkdown(Array.from({ length: 60 }, (_, i) => ({ i })));
    expect(long.split('\n').filter((l) => l.startsWith('| ')).length).toBe(2 + 50);
    expect(long).toContain('… and 10 more rows (see deliverable.json)');
  });
});

describe('the journal holds each artifact once', () => {
  it('references task outputs from run.ended, and replays to the same RunResult', async () => {
    const file = path.join(tmp, 'journal.db');
    const store = new SqliteRunStore({ file });
    const big = Array.from({ length: 2000 }, (_, i) => ({ id: i, text: `row ${i} ${'x'.repeat(100)}` }));
    const data = scriptedAgent({ name: 'data', description: 'Extracts the rows', produces: ['rows'], script: [{ output: { rows: big } }] });
    const orchestrator = createOrchestrator({ name: 'rows', agents: [data], store });
    const heard: RunEvent[] = [];
    const result = await orchestrator.run('the rows', { onEvent: (e) => heard.push(e) });
    // Listeners get run.ended whole: only the journal's copy references the task's output.
    const endedHeard = heard.find((e) => e.type === 'run.ended');
    expect(endedHeard && 'artifactRefs' in endedHeard).toBe(false);
    expect(endedHeard?.type === 'run.ended' && endedHeard.deliverable.artifacts['rows']).toEqual(big);
    const events: RunEvent[] = await store.readEvents(result.runId);
    const ended = events.find((e) => e.type === 'run.ended');
    expect(ended?.type === 'run.ended' && ended.artifactRefs).toEqual({ rows: 't1-extract-rows' });
    expect(ended?.type === 'run.ended' && ended.deliverable.artifacts).toEqual({ rows: null });
    // The big output is journaled once (task.succeeded), not again in run.ended.
    const sizes = events.map((e) => JSON.stringify(e).length);
    expect(sizes.filter((n) => n > 200_000)).toHaveLength(1);
    // The RunResult is byte for byte what it was when run.ended carried the artifacts.
    expect(JSON.stringify(reduceEvents(events))).toBe(JSON.stringify(result));
    expect(result.deliverable.artifacts['rows']).toEqual(big);
    await orchestrator.close();
  });

  it('keeps artifacts an integrator changed inline', async () => {
    const data = scriptedAgent({ name: 'data', description: 'Extracts the rows', produces: ['rows', 'count'], script: [{ output: { rows: [1, 2], count: 2 } }] });
    const orchestrator = createOrchestrator({
      name: 'rows',
      agents: [data],
      deliverable: ['rows', 'count'],
      integrator: (input) => ({ artifacts: { ...input.artifacts, rows: [2, 1] }, files: [], provenance: input.provenance }),
    });
    const result = await orchestrator.run('the rows and the count');
    const events = await orchestrator.store.readEvents(result.runId);
    const ended = events.find((e) => e.type === 'run.ended');
    expect(ended?.type === 'run.ended' && ended.artifactRefs).toEqual({ count: 't1-extract-rows' });
    expect(ended?.type === 'run.ended' && ended.deliverable.artifacts).toEqual({ rows: [2, 1], count: null });
    expect(JSON.stringify(reduceEvents(events)?.deliverable)).toBe(JSON.stringify(result.deliverable));
    expect(result.deliverable.artifacts).toEqual({ rows: [2, 1], count: 2 });
  });

  it("hands an integrator a copy of the run's result as the journal reads it back, which it may change", async () => {
    const data = scriptedAgent({ name: 'data', description: 'Extracts the rows', produces: ['rows'], script: [{ output: { rows: [{ region: 'R1', revenue: 1 }] } }] });
    let seen: unknown;
    const orchestrator = createOrchestrator({
      name: 'rows',
      agents: [data],
      deliverable: ['rows'],
      integrator: (input) => {
        seen = structuredClone(input.result);
        const task = input.result.tasks[0]!;
        (task.output!['rows'] as { revenue: number }[])[0]!.revenue = -1;
        task.attempts.length = 0;
        (input.plan.tasks[0] as { title: string }).title = 'changed by the integrator';
        input.result.plan.tasks.length = 0;
        return { artifacts: input.artifacts, files: [], provenance: input.provenance };
      },
    });
    const result = await orchestrator.run('the rows');
    expect(result.status).toBe('succeeded');
    const events = await orchestrator.store.readEvents(result.runId);
    const upToIntegration = events.slice(0, events.findIndex((e) => e.type === 'integration.started') + 1);
    // What it got is the run so far as the journal reads it back (plain JSON), with the run's status.
    expect(seen).toStrictEqual({ ...reduceEvents(upToIntegration), status: 'succeeded' });
    // What it changed is its own: the run's result and the journal hold the tasks as they ran.
    expect(result.tasks[0]!.output).toEqual({ rows: [{ region: 'R1', revenue: 1 }] });
    expect(result.tasks[0]!.attempts).toHaveLength(1);
    expect(result.plan.tasks).toHaveLength(1);
    expect(result.plan.tasks[0]!.title).not.toBe('changed by the integrator');
    expect(JSON.stringify(reduceEvents(events))).toBe(JSON.stringify(result));
  });

  it('copies what a planner of the user\'s put in its plan that JSON cannot hold, for the integrator', async () => {
    const data = scriptedAgent({ name: 'data', description: 'Extracts the rows', produces: ['rows'], script: [{ output: { rows: [1] } }] });
    const task = { id: 't1', title: 'rows', instructions: '', agent: 'data', dependsOn: [], consumes: [], produces: ['rows'], cost: 10n, due: new Date(0) };
    let cost: unknown;
    const orchestrator = createOrchestrator({
      name: 'rows',
      agents: [data],
      planner: { name: 'builtin', plan: async () => ({ plan: { tasks: [task], requested: ['rows'] }, planner: 'builtin' }) },
      integrator: (input) => {
        cost = (input.result.plan.tasks[0] as unknown as typeof task).cost;
        return { artifacts: input.artifacts, files: [], provenance: input.provenance };
      },
    });
    const result = await orchestrator.run('the rows');
    expect(result.status, result.reason).toBe('succeeded');
    expect(cost).toBe(10n);
  });
});

describe('what an integrator returns', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic['self'] = cyclic;
  const shape = 'expected a deliverable { artifacts, files?, provenance?, missing? }';
  const returns: [string, unknown, string][] = [
    ['nothing', undefined, `the integrator returned undefined; ${shape} (a missing return?)`],
    ['a number', 42, `the integrator returned a number; ${shape}`],
    ['artifacts: null', { artifacts: null, files: [] }, 'the integrator: deliverable.artifacts: expected an object with one entry per artifact type, got null'],
    ['files as one string', { artifacts: {}, files: 'report.html' }, 'the integrator: deliverable.files: expected an array of file paths (strings)'],
    ['files with a hole', { artifacts: {}, files: [, 'report.html'] }, 'the integrator: deliverable.files: expected an array of file paths (strings)'],
    ['missing as a number', { artifacts: {}, missing: 1 }, 'the integrator: deliverable.missing: expected an array of artifact types (strings)'],
    ['provenance: null', { artifacts: {}, provenance: null }, 'the integrator: deliverable.provenance: expected an object by artifact type, got null'],
    ['a BigInt', { artifacts: { total: 10n } }, 'the integrator: deliverable.artifacts.total: not JSON data (Do not know how to serialize a BigInt)'],
    ['a cycle', { artifacts: { graph: cyclic } }, 'the integrator: deliverable.artifacts.graph: not JSON data (Converting circular structure to JSON'],
    ['a getter that throws', { artifacts: { get rows(): never { throw new Error('the rows are gone'); } } }, 'the integrator: deliverable.artifacts.rows: not JSON data (the rows are gone)'],
  ];

  it.each(returns)('ends the run partial with what its tasks made, in the journal too, when it is %s', async (_, returned, message) => {
    const store = new SqliteRunStore({ file: path.join(tmp, `bad-integrator-${Math.random().toString(36).slice(2)}.db`) });
    const data = scriptedAgent({ name: 'data', description: 'Extracts the rows', produces: ['rows'], script: [{ output: { rows: [1, 2] } }] });
    const orchestrator = createOrchestrator({ name: 'rows', agents: [data], deliverable: ['rows'], store, integrator: () => returned as never });
    try {
      const result = await orchestrator.run('the rows');
      expect(result.status).toBe('partial');
      expect(result.reason).toContain(`integration failed: ${message}`);
      expect(result.integration).toMatchObject({ ok: false, error: expect.stringContaining(message) });
      expect(result.deliverable.artifacts).toEqual({ rows: [1, 2] });
      const events = await store.readEvents(result.runId);
      expect(events.at(-1)).toMatchObject({ type: 'run.ended', status: 'partial' });
      expect(reduceEvents(events)).toStrictEqual(result);
    } finally {
      await orchestrator.close();
    }
  });

  it("is taken without files or provenance, with fields of the integrator's own, as its own JSON copy", async () => {
    const store = new SqliteRunStore({ file: path.join(tmp, `own-fields-${Math.random().toString(36).slice(2)}.db`) });
    const data = scriptedAgent({ name: 'data', description: 'Extracts the rows', produces: ['rows'], script: [{ output: { rows: [1, 2] } }] });
    const missing = ['chart'];
    const made = { artifacts: { rows: [2, 1], when: new Date('2026-12-02T00:00:00Z'), none: undefined }, provenance: { chart: undefined }, missing, reportUrl: 'https://reports.example/r1' };
    const orchestrator = createOrchestrator({ name: 'rows', agents: [data], deliverable: ['rows'], store, integrator: () => made as never });
    try {
      const result = await orchestrator.run('the rows');
      made.artifacts.rows.push(0);
      missing.push('table');
      expect(result.status).toBe('succeeded');
      expect(result.deliverable).toStrictEqual({ artifacts: { rows: [2, 1], when: '2026-12-02T00:00:00.000Z' }, files: [], provenance: {}, missing: ['chart'], reportUrl: 'https://reports.example/r1' });
      expect(reduceEvents(await store.readEvents(result.runId))).toStrictEqual(result);
    } finally {
      await orchestrator.close();
    }
  });
});
