/**
 * Rules a re-plan must follow beyond plan validity: tasks that must run get fresh ids, and the
 * work of a task that failed for good does not go back to the agent that failed at it (that would
 * fail the same way: no progress).
 */
import type { ReplanRequest } from '../core/contracts.ts';
import type { Plan } from '../core/types.ts';
import type { PlanProblem } from './validate-plan.ts';

/**
 * Renames tasks of a new plan that reuse the id of a task that did not succeed (failed or
 * skipped tasks keep their state under their id, so they would never run), and updates
 * `dependsOn` to match. `t3-write-summary` becomes `t3-write-summary-r1`.
 */
export function renameReusedIds(plan: Plan, request: Pick<ReplanRequest, 'previous' | 'succeeded'>): Plan {
  const succeeded = new Set(request.succeeded);
  const stale = new Set(request.previous.tasks.map((t) => t.id).filter((id) => !succeeded.has(id)));
  const taken = new Set([...request.previous.tasks.map((t) => t.id), ...plan.tasks.map((t) => t.id)]);
  const renamed = new Map<string, string>();
  for (const task of plan.tasks) {
    if (!stale.has(task.id) || renamed.has(task.id)) continue;
    let n = 1;
    while (taken.has(`${task.id}-r${n}`)) n++;
    const fresh = `${task.id}-r${n}`;
    taken.add(fresh);
    renamed.set(task.id, fresh);
  }
  if (renamed.size === 0) return plan;
  return {
    ...plan,
    tasks: plan.tasks.map((t) => ({
      ...t,
      id: renamed.get(t.id) ?? t.id,
      dependsOn: t.dependsOn.map((d) => renamed.get(d) ?? d),
    })),
  };
}

/** Tasks of a new plan that give failed work back to the agent that failed at it. */
export function checkReplanProgress(plan: Plan, request: Pick<ReplanRequest, 'previous' | 'failed' | 'succeeded'>): PlanProblem[] {
  const succeeded = new Set(request.succeeded);
  const failedWork = request.failed.map((f) => {
    const before = request.previous.tasks.find((t) => t.id === f.taskId);
    return { ...f, produces: before?.produces ?? [] };
  });
  const problems: PlanProblem[] = [];
  for (const task of plan.tasks) {
    if (succeeded.has(task.id)) continue;
    for (const f of failedWork) {
      const again = task.produces.filter((p) => f.produces.includes(p));
      if (task.agent !== f.agent || again.length === 0) continue;
      problems.push({
        taskId: task.id,
        message: `agent '${f.agent}' already failed for good at ${f.taskId} making ${again.join(', ')}; giving it the same work again makes no progress: choose another agent of the catalogue that produces it, or leave it out`,
      });
    }
  }
  return problems;
}
