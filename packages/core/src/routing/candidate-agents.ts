import { ownValue } from '../core/artifact-names.ts';
import type { AgentSpec, Manifest, PlanTask } from '../core/types.ts';

/**
 * The agents to try for a task, in order; the scheduler moves to the next one when an agent has
 * used up its retries.
 *
 * 1. the agent the plan chose (`task.agent`), always first, even if the manifest no longer has it
 *    (the attempt then fails with a clear error rather than silently running someone else);
 * 2. that agent's `fallback` list, in the order written (names the manifest does not define are
 *    skipped: the manifest loader reports them);
 * 3. every other sub-agent of the orchestrator that is capable of the task: it produces every
 *    artifact of `task.produces` and consumes only artifacts in `task.consumes`, so it can run on
 *    the same inputs and give the same outputs. These keep the order of `orchestrator.subagents`.
 *
 * No agent appears twice. The result depends only on the task and the manifest.
 */
export function candidateAgents(task: PlanTask, manifest: Manifest): string[] {
  const order = [task.agent];
  const seen = new Set(order);
  const add = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    order.push(name);
  };
  for (const name of ownValue(manifest.agents, task.agent)?.fallback ?? []) {
    if (ownValue(manifest.agents, name)) add(name);
  }
  for (const name of capableAgents(task, manifest)) add(name);
  return order;
}

/**
 * The orchestrator's sub-agents, in declared order, that can stand in for the task's agent: each
 * produces all of `task.produces` and consumes nothing outside `task.consumes`. Includes the task's
 * own agent when it qualifies.
 */
export function capableAgents(task: PlanTask, manifest: Manifest): string[] {
  return manifest.orchestrator.subagents.filter((name) => {
    const spec = ownValue(manifest.agents, name);
    return spec !== undefined && isCapable(spec, task);
  });
}

function isCapable(spec: AgentSpec, task: PlanTask): boolean {
  return task.produces.every((a) => spec.produces.includes(a)) && spec.consumes.every((a) => task.consumes.includes(a));
}
