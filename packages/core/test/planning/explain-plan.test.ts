import { describe, expect, it } from 'vitest';
import { explainPlan } from '../../src/planning/explain-plan.ts';
import { planGoal } from '../../src/planning/builtin-planner.ts';
import { salesManifest, task } from './fixtures.ts';

describe('explainPlan', () => {
  it('renders tasks, dependencies, reasons and notes', () => {
    const text = explainPlan(planGoal('Create a Q2 sales performance report with charts and an executive summary', salesManifest()));
    expect(text).toBe(
      [
        'Plan: 3 tasks; requested: metrics, charts, summary',
        '',
        't1-extract-sales-dataset  (agent data)',
        '  Extract sales-dataset',
        '  produces: sales-dataset',
        "  why: capability 'sales' matches; needed by t2-compute-metrics",
        '',
        't2-compute-metrics  (agent analytics)',
        '  Compute metrics and charts',
        '  after: t1-extract-sales-dataset',
        '  consumes: sales-dataset',
        '  produces: metrics, charts',
        "  why: goal mentions 'charts'; deliverable of the orchestrator (goal asks for a 'report' with 'charts', 'summary'); needed by t3-write-summary",
        '',
        't3-write-summary  (agent summary)',
        '  Write summary',
        '  after: t2-compute-metrics',
        '  consumes: metrics',
        '  produces: summary',
        "  why: goal mentions 'summary'; deliverable of the orchestrator (goal asks for a 'report' with 'charts', 'summary')",
        '',
        'Notes:',
        `  - deliverable of the orchestrator (goal asks for a 'report' with 'charts', 'summary'): "metrics", "charts", "summary"`,
        `  - capability 'sales' of "data" matches, but "data" already works for "analytics", so it adds no request of its own`,
        `  - ignored 'performance': not a word of this orchestrator's agents or artifacts`,
      ].join('\n'),
    );
  });

  it('names the excluded artifacts next to the requested ones', () => {
    const text = explainPlan(planGoal('Q2 sales report without the summary', salesManifest()));
    expect(text.split('\n')[0]).toBe('Plan: 2 tasks; requested: metrics, charts; excluded: summary');
    expect(text).toContain('  - "summary" was excluded (\'summary\'): not planned, not delivered');
  });

  it('renders a plan from another planner, without reasons or notes', () => {
    const text = explainPlan({ tasks: [task('only', { agent: 'a', produces: ['x'] })] });
    expect(text).toBe(['Plan: 1 task', '', 'only  (agent a)', '  only', '  produces: x'].join('\n'));
  });
});
