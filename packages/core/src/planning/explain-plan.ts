import type { Plan } from '../core/types.ts';

/**
 * A human-readable, multi-line rendering of a plan (what `baton plan` prints): the requested
 * (and excluded) artifacts, then each task with its agent, inputs, outputs, dependencies and the reason it is
 * there, then the planner's notes.
 *
 * ```text
 * Plan: 3 tasks; requested: metrics, charts, summary
 *
 * t1-extract-sales-dataset  (agent data)
 *   Extract sales-dataset
 *   produces: sales-dataset
 *   why: needed by t2-compute-metrics
 * ...
 * Notes:
 *   - deliverable of the orchestrator (goal mentions 'report'): "metrics", "charts", "summary"
 * ```
 */
export function explainPlan(plan: Plan): string {
  const count = `${plan.tasks.length} task${plan.tasks.length === 1 ? '' : 's'}`;
  const requested = plan.requested && plan.requested.length > 0 ? `; requested: ${plan.requested.join(', ')}` : '';
  const excluded = plan.excluded && plan.excluded.length > 0 ? `; excluded: ${plan.excluded.join(', ')}` : '';
  const lines = [`Plan: ${count}${requested}${excluded}`];
  for (const task of plan.tasks) {
    lines.push('', `${task.id}  (agent ${task.agent})`, `  ${task.title}`);
    if (task.dependsOn.length > 0) lines.push(`  after: ${task.dependsOn.join(', ')}`);
    if (task.consumes.length > 0) lines.push(`  consumes: ${task.consumes.join(', ')}`);
    lines.push(`  produces: ${task.produces.join(', ')}`);
    if (task.reason !== undefined && task.reason !== '') lines.push(`  why: ${task.reason}`);
  }
  if (plan.notes && plan.notes.length > 0) {
    lines.push('', 'Notes:', ...plan.notes.map((n) => `  - ${n}`));
  }
  return lines.join('\n');
}
