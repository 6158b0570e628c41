// One line per run event for the dashboard's event log. Every event type has its case, with no
// default: a test checks this list against the core's RUN_EVENT_TYPES.
import { fmtDuration } from './util.js';

export function summarize(e) {
  switch (e.type) {
    case 'run.started':
      return `goal: ${e.goal}`;
    case 'run.resumed':
      return `carried on${e.owner ? ` by process ${e.owner.pid} on ${e.owner.host}` : ''}${e.reason ? ` (${e.reason})` : ''}`;
    case 'plan.created':
    case 'plan.replaced':
      return `${e.planner} planner: ${e.plan.tasks.map((t) => t.id).join(', ')}`;
    case 'task.started':
      return `${e.taskId} → ${e.agent} (attempt ${e.attempt})`;
    case 'task.attempt.failed':
      return `${e.taskId} attempt ${e.attempt} ${e.status}: ${e.error}`;
    case 'task.retrying':
      return `${e.taskId} retrying with ${e.agent} in ${fmtDuration(e.delayMs)}`;
    case 'task.reassigned':
      return `${e.taskId}: ${e.from} → ${e.to} (${e.reason})`;
    case 'task.succeeded':
      return `${e.taskId} by ${e.agent} (attempt ${e.attempt})`;
    case 'task.failed':
    case 'task.skipped':
    case 'task.cancelled':
      return `${e.taskId}: ${e.reason}`;
    case 'usage':
      return `${e.usage.llmCalls} call(s), ${e.usage.inputTokens + e.usage.outputTokens} tokens`;
    case 'integration.started':
      return `integrating the deliverable (${e.integrator})`;
    case 'integration.ended':
      return e.ok ? `integrated in ${fmtDuration(e.durationMs)}` : `integration failed: ${e.error ?? ''}`;
    case 'run.ended':
      return `${e.status}${e.reason ? `: ${e.reason}` : ''}`;
  }
  return e.type;
}
