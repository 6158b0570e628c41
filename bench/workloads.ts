import { defineAgent } from '../packages/core/src/agents/define-agent.ts';
import type { Agent } from '../packages/core/src/core/contracts.ts';
import type { Plan, PlanTask } from '../packages/core/src/core/types.ts';

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

/** plan → 8 parallel branches → join. */
export function fanOut(width = 8): Workload {
  const agents = [noop('plan', [], ['p'])];
  const tasks = [task('t-plan', 'plan', [], [], ['p'])];
  const branches: string[] = [];
  for (let i = 0; i < width; i++) {
    agents.push(noop(`b${i}`, ['p'], [`b${i}`]));
    tasks.push(task(`t-b${i}`, `b${i}`, ['t-plan'], ['p'], [`b${i}`]));
    branches.push(`b${i}`);
  }
  agents.push(noop('join', branches, ['done']));
  tasks.push(task('t-join', 'join', branches.map((b) => `t-${b}`), branches, ['done']));
  return { agents, plan: { tasks, requested: ['done'] } };
}

/** t0 → t1 → ... → t(n-1). */
export function chain(n: number): Workload {
  const agents: Agent[] = [];
  const tasks: PlanTask[] = [];
  for (let i = 0; i < n; i++) {
    const consumes = i === 0 ? [] : [`a${i - 1}`];
    agents.push(noop(`s${i}`, consumes, [`a${i}`]));
    tasks.push(task(`t${i}`, `s${i}`, i === 0 ? [] : [`t${i - 1}`], consumes, [`a${i}`]));
  }
  return { agents, plan: { tasks, requested: [`a${n - 1}`] } };
}

/** n independent tasks. */
export function wide(n: number, delayMs = 0): Workload {
  const agents: Agent[] = [];
  const tasks: PlanTask[] = [];
  for (let i = 0; i < n; i++) {
    agents.push(noop(`w${i}`, [], [`w${i}`], delayMs));
    tasks.push(task(`t${i}`, `w${i}`, [], [], [`w${i}`]));
  }
  return { agents, plan: { tasks } };
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
