/**
 * The three mis-plans of issue 13, through the real CLI on the sample manifest: an exclusion read
 * as a request, an unrelated goal run anyway, and the whole deliverable added to a specific ask;
 * and `baton run` showing what was planned and why before the tasks start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Plan, RunResult } from '../../src/core/types.ts';
import { baton as runBaton } from './run-cli.ts';
import type { CliResult } from './run-cli.ts';

const root = path.resolve(import.meta.dirname, '../..');
const manifest = path.resolve(root, '../../examples/sales-report/baton.yaml');
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-honesty-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function baton(args: string[]): Promise<CliResult> {
  return runBaton(args, { cwd: root, env: { BATON_REPORT_PDF: '0' } });
}

const plan = async (goal: string): Promise<Plan> => {
  const r = await baton(['plan', '-m', manifest, '--json', goal]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { plan: Plan }).plan;
};
const agents = (p: Plan): string[] => p.tasks.map((t) => t.agent);

describe('planner honesty through the CLI (examples/sales-report)', () => {
  it('reads "no summary" as an exclusion: no summary planned or delivered', async () => {
    const p = await plan('Q2 revenue by region, no summary');
    expect(agents(p)).toEqual(['data', 'analytics']);
    expect(p.requested).not.toContain('summary');
    expect(p.excluded).toEqual(['summary']);
  });

  it('reads "without charts" as an exclusion: the report is planned without its charts', async () => {
    const p = await plan('Q2 sales report without charts');
    expect(agents(p)).toEqual(['data', 'analytics', 'summary']);
    expect(p.requested).toEqual(['metrics', 'summary']);
    expect(p.excluded).toEqual(['charts']);
    expect(p.tasks.find((t) => t.agent === 'analytics')?.produces).toEqual(['metrics']);
  });

  it('plans one specific thing without adding the whole deliverable', async () => {
    for (const goal of ['the top products last quarter', 'Q2 revenue by region']) {
      const p = await plan(goal);
      expect(agents(p), goal).toEqual(['data', 'analytics']);
      expect(p.requested, goal).not.toContain('summary');
    }
  });

  it('still plans the deliverable for a goal with no meaningful word', async () => {
    expect(agents(await plan('run it'))).toEqual(['data', 'analytics', 'summary']);
  });

  it('refuses an unrelated goal: `baton plan` exits 1 naming what the orchestrator can produce', async () => {
    const r = await baton(['plan', '-m', manifest, 'write me a poem about cats']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("baton: goal refused: it asks for 'poem', which none of its sub-agents makes.");
    expect(r.stderr).toContain('can produce: metrics, charts, summary and sales dataset');
  });

  it('refuses an unrelated goal: `baton run` exits 1 and no agent runs', async () => {
    const r = await baton(['run', '-m', manifest, '--store', 'memory', '--out', path.join(tmp, 'poem'), '--json', 'write me a poem about cats']);
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout) as RunResult;
    expect(result.status).toBe('failed');
    expect(result.tasks).toEqual([]);
    expect(result.reason).toContain('goal refused');
    expect(r.stderr).not.toContain('▶');
    expect(r.stderr).toContain('can produce: metrics, charts, summary and sales dataset');
  });

  it('`baton run` prints the plan, each task\'s reason and the notes before the tasks start, and delivers no excluded artifact', async () => {
    const r = await baton(['run', '-m', manifest, '--store', 'memory', '--out', path.join(tmp, 'region'), '--json', 'Q2 revenue by region, no summary']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as RunResult;
    expect(Object.keys(result.deliverable.artifacts).sort()).toEqual(['charts', 'metrics']);
    expect(result.plan.excluded).toEqual(['summary']);
    const planAt = r.stderr.indexOf('plan (builtin): 2 tasks; requested: metrics, charts; excluded: summary');
    const firstTask = r.stderr.indexOf('▶ ');
    expect(planAt).toBeGreaterThanOrEqual(0);
    expect(planAt).toBeLessThan(firstTask);
    expect(r.stderr).toContain("  t2-compute-metrics [analytics]: goal words 'revenue', 'region' are about it");
    expect(r.stderr).toContain(`  note: "summary" was excluded ('summary'): not planned, not delivered`);
  });
});
