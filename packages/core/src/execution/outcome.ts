import type { FinalRunStatus, Plan, TaskResult } from '../core/types.ts';
import type { StopReason } from './run-loop.ts';

/** The artifacts a run is judged by: what the goal asked for, else what the last tasks make. */
export function requestedArtifacts(plan: Plan): string[] {
  if (plan.requested && plan.requested.length > 0) return plan.requested;
  const consumed = new Set(plan.tasks.flatMap((t) => t.dependsOn));
  return [...new Set(plan.tasks.filter((t) => !consumed.has(t.id)).flatMap((t) => t.produces))];
}

/**
 * How a run ends: cancelled when stopped by the user; succeeded when every task succeeded;
 * partial when some asked-for artifact was still delivered; failed when nothing useful was.
 */
export function decideRunStatus(
  plan: Plan,
  tasks: readonly TaskResult[],
  produced: Readonly<Record<string, unknown>>,
  stop: StopReason | undefined,
): { status: FinalRunStatus; reason?: string } {
  if (stop?.kind === 'cancelled') return { status: 'cancelled', reason: stop.message };
  // The common end, without building sets: the results are the planned tasks, in plan order, all succeeded.
  if (!stop && tasks.length === plan.tasks.length && tasks.every((t, i) => t.status === 'succeeded' && t.id === plan.tasks[i]!.id)) return { status: 'succeeded' };
  const planned = new Set(plan.tasks.map((t) => t.id));
  const relevant = tasks.filter((t) => planned.has(t.id));
  const failed = relevant.filter((t) => t.status !== 'succeeded');
  if (!stop && failed.length === 0) return { status: 'succeeded' };
  const requested = requestedArtifacts(plan);
  const delivered = requested.filter((a) => Object.hasOwn(produced, a));
  const missing = requested.filter((a) => !Object.hasOwn(produced, a));
  const why = stop
    ? stop.message
    : failed
        .filter((t) => t.status === 'failed')
        .map((t) => `${t.id} failed: ${t.reason ?? 'unknown reason'}`)
        .join('; ');
  if (delivered.length === 0) return { status: 'failed', reason: why || 'nothing was delivered' };
  return { status: 'partial', reason: `${why}${missing.length ? ` (missing: ${missing.join(', ')})` : ''}` };
}
