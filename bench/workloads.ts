import { defineAgent } from 'batonjs';
import type { Agent, Plan, PlanTask } from 'batonjs';

/** A no-op agent: returns its artifacts at once, so what is measured is Baton itself. */
export function noop(name: string, consumes: string[], produces: string[], delayMs = 0): Agent {
  const out: Record<string, unknown> = {};
  for (const p of produces) out[p] = 1;
  return defineAgent({
    name,
    description: `no-op ${name}`,
    consumes,
    produces,
    run: delayMs > 0 ? () => new Promise((r) => setTimeout(() => r(out), delayMs)) : () => out,
  });
}

const task = (id: string, agent: string, dependsOn: string[], consumes: string[], produces: string[]): PlanTask => ({
  id,
  title: id,
  instructions: '',
  agent,
  dependsOn,
  consumes,
  produces,
});

export interface Workload {
  agents: Agent[];
  plan: Plan;
}

/**
 * The harness's fan-out (../shared/bench-anchors, W1/W3/W4): `plan` → `width` parallel steps (each
 * consumes the plan) → `integrate`, a join consuming every step's artifact. Each step answers
 * asynchronously with a fresh small object, as the harness's shared step bodies do, and the join
 * checks it got every branch once.
 */
export function fanOutJoin(width: number): Workload {
  const steps = Array.from({ length: width }, (_, i) => `w${i}`);
  const agents: Agent[] = [
    defineAgent({ name: 'plan', description: 'plans the fan-out', produces: ['plan'], run: async () => ({ plan: { width } }) }),
    ...steps.map((w, i) => defineAgent({ name: w, description: `step ${w}`, consumes: ['plan'], produces: [w], run: async () => ({ [w]: { i, v: 1 } }) })),
    defineAgent({
      name: 'integrate',
      description: 'joins the steps',
      consumes: steps,
      produces: ['result'],
      run: async (input) => {
        const results = Object.values(input.inputs) as { i: number; v: number }[];
        if (results.length !== width) throw new Error(`integrate: expected ${width} results, got ${results.length}`);
        return { result: { count: results.length, sum: results.reduce((s, r) => s + r.i, 0) } };
      },
    }),
  ];
  const tasks = [
    task('plan', 'plan', [], [], ['plan']),
    ...steps.map((w) => task(w, w, ['plan'], ['plan'], [w])),
    task('integrate', 'integrate', steps, steps, ['result']),
  ];
  return { agents, plan: { tasks, requested: ['result'] } };
}

/** The harness's chain (W2): `n` steps, each adds one to the counter of the step before. */
export function counterChain(n: number): Workload {
  const agents: Agent[] = [];
  const tasks: PlanTask[] = [];
  for (let i = 0; i < n; i++) {
    const consumes = i === 0 ? [] : [`c${i - 1}`];
    const previous = i === 0 ? undefined : `c${i - 1}`;
    agents.push(
      defineAgent({
        name: `s${i}`,
        description: `step ${i}`,
        consumes,
        produces: [`c${i}`],
        run: async (input) => ({ [`c${i}`]: { counter: (previous ? (input.inputs[previous] as { counter: number }).counter : 0) + 1 } }),
      }),
    );
    tasks.push(task(`s${i}`, `s${i}`, i === 0 ? [] : [`s${i - 1}`], consumes, [`c${i}`]));
  }
  return { agents, plan: { tasks, requested: [`c${n - 1}`] } };
}

/** n tasks in layers of `width`, each depending on one task of the layer before. */
export function layered(n: number, width = 100): Workload {
  const agents: Agent[] = [];
  const tasks: PlanTask[] = [];
  for (let i = 0; i < n; i++) {
    const parent = i >= width ? i - width : -1;
    const consumes = parent >= 0 ? [`x${parent}`] : [];
    agents.push(noop(`x${i}`, consumes, [`x${i}`]));
    tasks.push(task(`t${i}`, `x${i}`, parent >= 0 ? [`t${parent}`] : [], consumes, [`x${i}`]));
  }
  return { agents, plan: { tasks } };
}

/**
 * n/2 tasks of one agent making the same artifact, each read by a task of another agent that
 * depends on just that one (a batch of identical jobs, each with its follow-up): which maker feeds
 * which reader is decided by dependsOn. Plan validation must find each reader's one maker among
 * thousands without asking about every maker for every reader (that was quadratic: 10,000 tasks
 * took seconds to validate).
 */
export function makerPairs(n: number): Workload {
  const agents: Agent[] = [noop('maker', [], ['part']), noop('reader', ['part'], ['done'])];
  const tasks: PlanTask[] = [];
  for (let i = 0; i < n / 2; i++) {
    tasks.push(task(`m${i}`, 'maker', [], [], ['part']));
    tasks.push(task(`r${i}`, 'reader', [`m${i}`], ['part'], ['done']));
  }
  return { agents, plan: { tasks } };
}
