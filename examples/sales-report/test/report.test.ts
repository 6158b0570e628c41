/**
 * The integrator called directly with a run's artifacts: what it writes, and how it copes with a
 * run that made only some of them.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import analyticsAgent from '../agents/analytics.ts';
import dataAgent from '../agents/data.ts';
import summaryAgent from '../agents/summary.ts';
import integrate from '../integrator.ts';
import type { IntegrationInput } from '../../../packages/core/src/core/contracts.ts';
import type { AgentInput, Manifest, Plan, Provenance, RunResult, TaskResult } from '../../../packages/core/src/core/types.ts';
import { loadManifest } from '../../../packages/core/src/manifest/index.ts';
import { sampleDatabase } from './support.ts';

const GOAL = 'Q1 2025 sales report by region';
const dir = mkdtempSync(join(tmpdir(), 'baton-sales-report-'));
let manifest: Manifest;
let artifacts: Record<string, unknown>;

const PLAN: Plan = {
  tasks: [
    { id: 't1-extract-sales-dataset', title: 'Extract sales-dataset', instructions: '', agent: 'data', dependsOn: [], consumes: [], produces: ['sales-dataset'] },
    { id: 't2-compute-metrics', title: 'Compute metrics and charts', instructions: '', agent: 'analytics', dependsOn: ['t1-extract-sales-dataset'], consumes: ['sales-dataset'], produces: ['metrics', 'charts'] },
    { id: 't3-write-summary', title: 'Write summary', instructions: '', agent: 'summary', dependsOn: ['t2-compute-metrics'], consumes: ['metrics'], produces: ['summary'] },
  ],
  requested: ['metrics', 'charts', 'summary'],
};

function task(id: string, agent: string, attempts: { status: 'succeeded' | 'invalid' | 'failed'; error?: string }[], status: TaskResult['status'] = 'succeeded'): TaskResult {
  return {
    id,
    agent,
    status,
    attempts: attempts.map((a, i) => ({
      n: i + 1,
      attemptId: `${id}:${i + 1}`,
      agent,
      agentVersion: '1.0.0',
      startedAt: `2026-11-25T10:00:0${i}.000Z`,
      endedAt: `2026-11-25T10:00:0${i}.250Z`,
      status: a.status,
      ...(a.error ? { error: a.error } : {}),
    })),
  };
}

function integrationInput(outDir: string, produced: Record<string, unknown>, tasks: TaskResult[], plan: Plan = PLAN): IntegrationInput {
  const provenance: Record<string, Provenance> = {};
  for (const type of Object.keys(produced)) {
    const t = plan.tasks.find((x) => x.produces.includes(type));
    if (t) provenance[type] = { task: t.id, agent: t.agent, agentVersion: '1.0.0', attempt: 1, attemptId: `${t.id}:1`, at: '2026-11-25T10:00:01.000Z' };
  }
  const result: RunResult = {
    runId: 'r_test',
    goal: GOAL,
    status: 'succeeded',
    planner: 'builtin',
    params: {},
    plan,
    tasks,
    deliverable: { artifacts: {}, files: [], provenance: {} },
    usage: { llmCalls: 0, inputTokens: 0, outputTokens: 0 },
    startedAt: '2026-11-25T10:00:00.000Z',
    approvals: [],
  };
  return { runId: 'r_test', goal: GOAL, manifest, plan, tasks, artifacts: produced, provenance, missing: [], outDir, result, signal: new AbortController().signal };
}

// The PDF is covered end to end (e2e.int.test.ts); here, as in every test, BATON_REPORT_PDF=0 (vitest.config.ts).
beforeAll(async () => {
  sampleDatabase();
  manifest = await loadManifest(join(import.meta.dirname, '../baton.yaml'));
  const ctx = { signal: new AbortController().signal };
  const input = (inputs: Record<string, unknown>): AgentInput => ({ runId: 'r_test', goal: GOAL, task: { id: 't', title: 't', instructions: '' }, inputs, params: {}, attempt: 1 });
  const dataset = (await dataAgent(input({}), ctx))['sales-dataset'];
  const analytics = await analyticsAgent(input({ 'sales-dataset': dataset }), ctx);
  const summary = (await summaryAgent(input({ metrics: analytics['metrics'] }), ctx))['summary'];
  artifacts = { 'sales-dataset': dataset, metrics: analytics['metrics'], charts: analytics['charts'], summary };
}, 120_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('report integrator', () => {
  it('writes report.html, report.md and the chart images, and lists them (run.json is written by Baton)', async () => {
    const out = join(dir, 'full');
    const tasks = [
      task('t1-extract-sales-dataset', 'data', [{ status: 'succeeded' }]),
      task('t2-compute-metrics', 'analytics', [{ status: 'invalid', error: 'metrics: /kpis must have required property revenue' }, { status: 'succeeded' }]),
      task('t3-write-summary', 'summary', [{ status: 'succeeded' }]),
    ];
    const deliverable = await integrate(integrationInput(out, artifacts, tasks));
    for (const f of ['report.html', 'report.md', 'charts/revenue-by-region.svg', 'charts/revenue-by-region.png']) {
      expect(deliverable.files, f).toContain(join(out, f));
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(Object.keys(deliverable.artifacts).sort()).toEqual(['charts', 'metrics', 'summary']);
    expect(deliverable.missing).toBeUndefined();
    expect(deliverable.provenance['charts']?.task).toBe('t2-compute-metrics');
    // Baton writes the run's run.json once the run has ended: a copy made here would be overwritten.
    expect(existsSync(join(out, 'run.json'))).toBe(false);
    expect(readFileSync(join(out, 'charts/revenue-by-region.png')).subarray(1, 4).toString()).toBe('PNG');

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<h1>Sales performance, Q1 2025</h1>');
    expect(html).toContain('compared with Q1 2024 (same quarter last year) and Q4 2024 (previous quarter)');
    // The rejected attempt and the reason the validator gave are in "How this report was made".
    expect(html).toContain('#1 analytics 1.0.0: <span class="status-invalid">invalid</span> in 250 ms<br>invalid: metrics: /kpis must have required property revenue');
    expect(html).toContain('#2 analytics 1.0.0: <span class="status-succeeded">succeeded</span>');
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('# Sales performance, Q1 2025');
    expect(md).toContain('![Revenue by region: Q1 2025 vs Q1 2024 vs Q4 2024](charts/revenue-by-region.png)');
    expect(md).toContain('| t2-compute-metrics: Compute metrics and charts | analytics v1.0.0 | succeeded | 2 |');
    expect(md).toContain('```sql');
  });

  it('says in "How this report was made" how the run was steered: its parameters and who approved what', async () => {
    const out = join(dir, 'steered');
    const tasks = PLAN.tasks.map((t) => task(t.id, t.agent, [{ status: 'succeeded' }]));
    const input = integrationInput(out, artifacts, tasks);
    input.result.params = { period: 'Q1 2025' };
    input.result.approvals = [{ kind: 'plan', decision: 'approved', by: 'cfo@example.com', at: '2026-11-25T10:00:00.500Z', planEdited: true, note: 'no charts by product' }];
    await integrate(input);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<p class="meta steering">Run parameters: period = &quot;Q1 2025&quot;.</p>');
    expect(html).toContain('<p class="meta steering">The plan, as edited, was approved by cfo@example.com at 2026-11-25T10:00:00.500Z (no charts by product).</p>');
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('Run parameters: period = "Q1 2025".');
    expect(md).toContain('The plan, as edited, was approved by cfo@example.com at 2026-11-25T10:00:00.500Z (no charts by product).');
  });

  it('reports what exists when a task failed, and says what is missing and why', async () => {
    const out = join(dir, 'partial');
    const { summary: _summary, ...withoutSummary } = artifacts;
    const tasks = [
      task('t1-extract-sales-dataset', 'data', [{ status: 'succeeded' }]),
      task('t2-compute-metrics', 'analytics', [{ status: 'succeeded' }]),
      { ...task('t3-write-summary', 'summary', [{ status: 'failed', error: 'boom' }], 'failed'), reason: 'summary failed after 3 attempts: boom' },
    ];
    const deliverable = await integrate(integrationInput(out, withoutSummary, tasks));
    expect(deliverable.missing).toEqual(['summary']);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).not.toContain('Executive summary');
    expect(html).toContain('Not included: summary (summary failed after 3 attempts: boom).');
    expect(html).toContain('Key figures');
    expect(html).toContain('id="charts"');
  });
});
