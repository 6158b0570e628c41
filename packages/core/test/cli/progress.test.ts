import { describe, expect, it } from 'vitest';
import { planLines, ProgressView } from '../../src/cli/progress.ts';
import type { RunEvent } from '../../src/core/events.ts';
import type { Plan } from '../../src/core/types.ts';

const plan: Plan = {
  tasks: [
    { id: 't1-extract-sales-dataset', title: 'Extract', instructions: '', agent: 'data', dependsOn: [], consumes: [], produces: ['sales-dataset'], reason: 'needed by t2-compute-metrics' },
    { id: 't2-compute-metrics', title: 'Compute', instructions: '', agent: 'analytics', dependsOn: ['t1-extract-sales-dataset'], consumes: ['sales-dataset'], produces: ['metrics', 'charts'], reason: "goal words 'revenue' are about it" },
  ],
  requested: ['metrics', 'charts'],
  excluded: ['summary'],
  notes: [`"summary" was excluded ('summary'): not planned, not delivered`],
};

/** A stream that keeps what is written to it. */
function capture(): { out: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const out = { write: (s: string) => ((text += s), true), columns: 120 } as unknown as NodeJS.WriteStream;
  return { out, text: () => text };
}

const at = '2026-01-01T00:00:00.000Z';

describe('planLines', () => {
  it('shows what was planned, why, what was excluded and the notes', () => {
    expect(planLines(plan, 'builtin')).toEqual([
      'plan (builtin): 2 tasks; requested: metrics, charts; excluded: summary',
      '  t1-extract-sales-dataset [data]: needed by t2-compute-metrics',
      "  t2-compute-metrics [analytics]: goal words 'revenue' are about it",
      `  note: "summary" was excluded ('summary'): not planned, not delivered`,
    ]);
  });

  it('says why a plan was replaced', () => {
    expect(planLines({ tasks: [] }, 'llm', 're-planned after t2 failed')[0]).toBe('new plan (llm): 0 tasks (re-planned after t2 failed)');
  });
});

describe('ProgressView', () => {
  it('prints the plan before the tasks in a log', () => {
    const { out, text } = capture();
    const view = new ProgressView(out, false);
    const events: RunEvent[] = [
      { type: 'run.started', runId: 'r_1', at, seq: 1, goal: 'Q2 revenue, no summary', orchestrator: 'reports' },
      { type: 'plan.created', runId: 'r_1', at, seq: 2, plan, planner: 'builtin' },
    ] as RunEvent[];
    for (const e of events) view.onEvent(e);
    view.finish();
    expect(text()).toBe(['run r_1 started: Q2 revenue, no summary', ...planLines(plan, 'builtin'), ''].join('\n'));
  });

  it('in a terminal, writes the plan above the live task list', () => {
    const { out, text } = capture();
    const view = new ProgressView(out, true);
    view.onEvent({ type: 'run.started', runId: 'r_1', at, seq: 1, goal: 'g', orchestrator: 'reports' } as RunEvent);
    view.onEvent({ type: 'plan.created', runId: 'r_1', at, seq: 2, plan, planner: 'builtin' } as RunEvent);
    view.finish();
    const written = text();
    expect(written).toContain(planLines(plan, 'builtin').join('\n'));
    expect(written.indexOf('excluded: summary')).toBeLessThan(written.lastIndexOf('t1-extract-sales-dataset'));
    expect(written.lastIndexOf('t2-compute-metrics')).toBeGreaterThan(written.indexOf(`note: "summary"`));
  });
});
