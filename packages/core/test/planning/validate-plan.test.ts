import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import type { Plan, PlanTask } from '../../src/core/types.ts';
import { assertValidPlan, validatePlan } from '../../src/planning/validate-plan.ts';
import { agent, manifest, salesManifest, task, validSalesPlan } from './fixtures.ts';

const sales = salesManifest();

/** The valid sales plan with one task changed. */
function withTask(id: string, change: (t: PlanTask) => PlanTask): Plan {
  const plan = validSalesPlan();
  return { ...plan, tasks: plan.tasks.map((t) => (t.id === id ? change(t) : t)) };
}

function messages(plan: Plan, m = sales, available?: string[]): string[] {
  return validatePlan(plan, m, available).map((p) => p.message);
}

describe('validatePlan', () => {
  it('accepts a valid plan', () => {
    expect(validatePlan(validSalesPlan(), sales)).toEqual([]);
  });

  it('rejects an empty plan, naming the subagents', () => {
    expect(messages({ tasks: [] })).toEqual([
      'the plan has no tasks; add at least one task for one of the subagents: "data", "analytics", "summary"',
    ]);
  });

  it('rejects ids that do not match the pattern', () => {
    const problems = validatePlan(withTask('t3-write-summary', (t) => ({ ...t, id: 'T3 Write' })), sales);
    expect(problems.find((p) => p.taskId === 'T3 Write')?.message).toMatch(/^task id "T3 Write" must match \^\[a-z0-9\]/);
  });

  it('rejects duplicate ids', () => {
    const plan = validSalesPlan();
    plan.tasks.push({ ...(plan.tasks[0] as PlanTask) });
    expect(messages(plan)).toContain('task id "t1-extract-sales-dataset" is used by 2 tasks (positions 1, 4); give each task its own id');
  });

  it('rejects an unknown agent and an agent that is not a subagent', () => {
    const m = salesManifest();
    m.agents['outsider'] = agent('outsider', { description: 'Does things', produces: ['summary'], consumes: ['metrics'] });
    const unknown = messages(withTask('t3-write-summary', (t) => ({ ...t, agent: 'ghost' })), m);
    expect(unknown).toEqual([
      'task "t3-write-summary" uses agent "ghost", which the manifest does not define; use one of the subagents: "data", "analytics", "summary"',
    ]);
    const outsider = messages(withTask('t3-write-summary', (t) => ({ ...t, agent: 'outsider' })), m);
    expect(outsider).toEqual([
      'task "t3-write-summary" uses agent "outsider", which is not one of orchestrator "reports"\'s subagents; use one of: "data", "analytics", "summary"',
    ]);
  });

  it('rejects a task that produces nothing', () => {
    expect(messages(withTask('t3-write-summary', (t) => ({ ...t, produces: [] })))).toContain(
      'task "t3-write-summary" produces nothing; list in "produces" what it makes, from agent "summary"\'s produces: "summary"',
    );
  });

  it('rejects produces outside the agent’s produces, naming who does produce it', () => {
    expect(messages(withTask('t1-extract-sales-dataset', (t) => ({ ...t, produces: ['sales-dataset', 'charts'] })))).toEqual([
      'task "t1-extract-sales-dataset" lists "charts" in produces, but agent "data" produces only: "sales-dataset"; "charts" is produced by: "analytics"',
    ]);
  });

  it('rejects consumes outside the agent’s consumes', () => {
    expect(
      messages(withTask('t3-write-summary', (t) => ({ ...t, consumes: ['metrics', 'charts'] }))),
    ).toContain('task "t3-write-summary" lists "charts" in consumes, but agent "summary" consumes only: "metrics"');
  });

  it('rejects unknown and repeated dependsOn ids', () => {
    const problems = messages(withTask('t3-write-summary', (t) => ({ ...t, dependsOn: ['t2-compute-metrics', 't2-compute-metrics', 't9-nope'] })));
    expect(problems).toContain('task "t3-write-summary" lists "t2-compute-metrics" more than once in dependsOn; list it once');
    expect(problems).toContain(
      'task "t3-write-summary" depends on "t9-nope", which is not a task of the plan; task ids are: "t1-extract-sales-dataset", "t2-compute-metrics", "t3-write-summary"',
    );
  });

  it('names a cycle', () => {
    const plan = withTask('t1-extract-sales-dataset', (t) => ({ ...t, dependsOn: ['t3-write-summary'] }));
    expect(messages(plan)).toEqual([
      'tasks depend on each other in a cycle: t1-extract-sales-dataset → t3-write-summary → t2-compute-metrics → t1-extract-sales-dataset (each depends on the next); remove one of these dependsOn links',
    ]);
  });

  it('reports a task that depends on itself', () => {
    const problems = validatePlan(withTask('t3-write-summary', (t) => ({ ...t, dependsOn: ['t2-compute-metrics', 't3-write-summary'] })), sales);
    expect(problems).toEqual([
      { taskId: 't3-write-summary', message: expect.stringContaining('cycle: t3-write-summary → t3-write-summary') as string },
    ]);
  });

  it('rejects an input no upstream task produces, and says which task to depend on', () => {
    expect(messages(withTask('t3-write-summary', (t) => ({ ...t, dependsOn: ['t1-extract-sales-dataset'] })))).toEqual([
      'task "t3-write-summary" consumes "metrics", but no task it depends on (directly or through other tasks) produces it; add "t2-compute-metrics" to its dependsOn',
    ]);
  });

  it('accepts an input produced further upstream (transitively)', () => {
    const m = salesManifest();
    const summary = m.agents['summary'];
    if (summary) summary.consumes = ['metrics', 'sales-dataset'];
    const plan = withTask('t3-write-summary', (t) => ({ ...t, consumes: ['metrics', 'sales-dataset'] }));
    expect(validatePlan(plan, m)).toEqual([]);
  });

  it('rejects an input no task of the plan produces, naming the agents that could', () => {
    const plan: Plan = { tasks: [task('t1-write-summary', { agent: 'summary', consumes: ['metrics'], produces: ['summary'] })] };
    expect(messages(plan)).toEqual([
      'task "t1-write-summary" consumes "metrics", but no task it depends on (directly or through other tasks) produces it; no task of the plan produces it: add a task for agent "analytics" and list it in dependsOn',
    ]);
  });

  it('rejects an ambiguous input: two upstream tasks produce what a third consumes', () => {
    const m = salesManifest();
    m.agents['analytics-b'] = agent('analytics-b', { description: 'Computes metrics too', consumes: ['sales-dataset'], produces: ['metrics'] });
    m.orchestrator.subagents.push('analytics-b');
    const plan = validSalesPlan();
    plan.tasks.splice(2, 0, task('t2b-compute-metrics', { agent: 'analytics-b', dependsOn: ['t1-extract-sales-dataset'], consumes: ['sales-dataset'], produces: ['metrics'] }));
    const summaryTask = plan.tasks[3] as PlanTask;
    summaryTask.dependsOn = ['t2-compute-metrics', 't2b-compute-metrics'];
    expect(messages(plan, m)).toEqual([
      'task "t3-write-summary" consumes "metrics", which "t2-compute-metrics" and "t2b-compute-metrics" both produce upstream of it, so its input is ambiguous; keep exactly one producer of "metrics" among the tasks it depends on',
    ]);
    // Depending on only one of the two producers is not ambiguous.
    summaryTask.dependsOn = ['t2b-compute-metrics'];
    expect(messages(plan, m)).toEqual([]);
  });

  it('reads inputs made by many producers the same way: one upstream is fine, two are ambiguous, none is named', () => {
    // 40 producers of one artifact take the path that reads each consumer's upstream at once.
    const tasks: PlanTask[] = [];
    for (let i = 0; i < 40; i++) {
      tasks.push(task(`d${i}`, { agent: 'data', produces: ['sales-dataset'] }));
      tasks.push(task(`m${i}`, { agent: 'analytics', dependsOn: [`d${i}`], consumes: ['sales-dataset'], produces: ['metrics'] }));
    }
    const plan: Plan = { tasks, requested: ['metrics'] };
    expect(messages(plan)).toEqual([]);
    // Through a chain: m0 depends on d0 through x, not directly.
    plan.tasks[1] = { ...plan.tasks[1]!, dependsOn: ['x'] };
    plan.tasks.push(task('x', { agent: 'data', dependsOn: ['d0'], produces: ['sales-dataset'] }));
    expect(messages(plan)).toEqual([
      'task "m0" consumes "sales-dataset", which "d0" and "x" both produce upstream of it, so its input is ambiguous; keep exactly one producer of "sales-dataset" among the tasks it depends on',
    ]);
    plan.tasks[3] = { ...plan.tasks[3]!, dependsOn: ['d7', 'd2', 'd1'] };
    plan.tasks[5] = { ...plan.tasks[5]!, dependsOn: [] };
    const found = messages(plan);
    expect(found[1]).toBe(
      'task "m1" consumes "sales-dataset", which "d1", "d2" and "d7" all produce upstream of it, so its input is ambiguous; keep exactly one producer of "sales-dataset" among the tasks it depends on',
    );
    expect(found[2]).toMatch(/^task "m2" consumes "sales-dataset", but no task it depends on \(directly or through other tasks\) produces it; add one of "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9" and 31 more to its dependsOn$/);
    expect(found).toHaveLength(3);
  });

  it('rejects a requested artifact no task produces', () => {
    const plan = { ...validSalesPlan(), requested: ['summary', 'forecast'] };
    expect(messages(plan)).toEqual(['the plan requests "forecast", but no task produces it; add a task that produces it or remove it from "requested"']);
  });

  it('counts artifacts that already exist (a re-plan) as inputs', () => {
    const plan: Plan = { tasks: [task('t1-write-summary', { agent: 'summary', consumes: ['metrics'], produces: ['summary'] })], requested: ['metrics', 'summary'] };
    expect(validatePlan(plan, sales, ['metrics'])).toEqual([]);
    expect(validatePlan(plan, sales)).toHaveLength(2);
  });

  it('reports every problem at once', () => {
    const m = manifest({ name: 'o', description: 'Does', deliverable: [] }, [agent('a', { description: 'Makes a', produces: ['a'] })]);
    const plan: Plan = {
      tasks: [
        task('Bad', { agent: 'a', produces: [] }),
        task('t2', { agent: 'ghost', produces: ['x'], dependsOn: ['nope'] }),
      ],
    };
    expect(validatePlan(plan, m).length).toBeGreaterThanOrEqual(4);
  });
});

describe('assertValidPlan', () => {
  it('throws PLAN_INVALID listing every problem, with the problems as details', () => {
    const plan = withTask('t3-write-summary', (t) => ({ ...t, agent: 'ghost', dependsOn: ['t9'] }));
    let error: unknown;
    try {
      assertValidPlan(plan, sales);
    } catch (e) {
      error = e;
    }
    if (!BatonError.isInstance(error)) throw new Error('expected a BatonError');
    expect(error.code).toBe('PLAN_INVALID');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/^invalid plan \(3 problems\):\n {2}t3-write-summary: task "t3-write-summary" uses agent "ghost"/);
    expect(error.details).toHaveLength(3);
  });

  it('keeps the error of a plan of thousands of bad tasks in proportion: 10 names a problem, 50 problems told, 100 kept', () => {
    const m = manifest({ name: 'o', description: 'Does', deliverable: [] }, [agent('a', { description: 'Makes a', produces: ['a'] })]);
    // Each task depended on an unknown task, and each problem listed every task id: 34.6 MB for 1,300 tasks.
    const plan: Plan = { tasks: Array.from({ length: 1_300 }, (_, i) => task(`t${i}`, { agent: 'a', produces: ['a'], dependsOn: ['z'] })) };
    let error: unknown;
    try {
      assertValidPlan(plan, m);
    } catch (e) {
      error = e;
    }
    if (!BatonError.isInstance(error)) throw new Error('expected a BatonError');
    expect(error.message).toMatch(/^invalid plan \(\d{4} problems\):/);
    expect(error.message).toContain('task "t0" depends on "z", which is not a task of the plan; task ids are: "t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9" and 1290 more');
    expect(error.message.split('\n')).toHaveLength(52);
    expect(error.message).toMatch(/\.\.\. and \d+ more problems$/);
    expect(error.details).toHaveLength(100);
    expect(JSON.stringify(error.details).length).toBeLessThan(50_000);
  });

  it('names 20 tasks of a long cycle, and how many it has', () => {
    const m = manifest({ name: 'o', description: 'Does', deliverable: [] }, [agent('a', { description: 'Makes a', produces: ['a'] })]);
    const plan: Plan = { tasks: Array.from({ length: 500 }, (_, i) => task(`t${i}`, { agent: 'a', produces: ['a'], dependsOn: [`t${(i + 1) % 500}`] })) };
    const cycle = validatePlan(plan, m).find((p) => p.message.includes('cycle'));
    expect(cycle?.message).toMatch(/^tasks depend on each other in a cycle: t0( → t\d+){19} → \.\.\. → t0 \(500 tasks in all\) \(each depends on the next\)/);
  });

  it('returns quietly for a valid plan', () => {
    expect(() => assertValidPlan(validSalesPlan(), sales)).not.toThrow();
  });
});
