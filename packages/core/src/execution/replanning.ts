import type { Planner, PlanOutcome } from '../core/contracts.ts';
import { RunStopped } from './run-control.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import type { Manifest, Plan, Usage } from '../core/types.ts';
import { checkedUsage } from '../core/usage-check.ts';
import { assertValidPlan } from '../planning/validate-plan.ts';
import type { RunJournal } from './journal.ts';
import type { RunLoop } from './run-loop.ts';

/**
 * After tasks failed for good, asks a planner that can re-plan for a new plan of the remaining
 * work, at most `policy.maxReplans` times (default 1). Stops when the new plan would repeat the one
 * that failed: no progress is no reason to loop. Returns the new plan (journaled as
 * `plan.replaced`), or a note saying why there is none.
 */
export async function replanIfUseful(
  planner: Planner,
  manifest: Manifest,
  journal: RunJournal,
  loop: RunLoop,
  done: number,
  /** The run's control: its signal is made only if a re-plan is asked for. */
  run: { readonly signal: AbortSignal; whileRunning<T>(work: T | PromiseLike<T>): Promise<T> },
  versionRefusal: (plan: Plan) => Promise<string | undefined>,
): Promise<{ plan?: Plan; note?: string } | undefined> {
  if (!planner.replan || loop.stopReason) return undefined;
  if (done >= (manifest.orchestrator.policy.maxReplans ?? 1)) return undefined;
  const r = journal.builder.current()!;
  const planned = new Set(r.plan.tasks.map((t) => t.id));
  const failed = r.tasks.filter((t) => planned.has(t.id) && t.status === 'failed');
  if (failed.length === 0) return undefined;
  let outcome: PlanOutcome | undefined;
  try {
    // A planner that ignores its signal cannot keep the run from ending.
    outcome = await run.whileRunning(planner.replan(
      {
        goal: r.goal,
        manifest,
        previous: r.plan,
        failed: failed.map((t) => ({ taskId: t.id, agent: t.agent, reason: t.reason ?? 'failed' })),
        produced: Object.keys(loop.artifacts),
        succeeded: r.tasks.filter((t) => t.status === 'succeeded').map((t) => t.id),
      },
      { signal: run.signal },
    ));
    if (!outcome) return undefined;
    if (outcome.usage) journal.emit({ type: 'usage', usage: outcome.usage });
    assertValidPlan(outcome.plan, manifest, Object.keys(loop.artifacts));
  } catch (e) {
    const used = usageSpentBy(e);
    if (used) journal.emit({ type: 'usage', usage: used });
    // Stopped meanwhile: the run ends as its stop says.
    if (e instanceof RunStopped || loop.stopReason) return undefined;
    return { note: `re-planning failed: ${errorMessage(e)}` };
  }
  const refused = await versionRefusal(outcome.plan);
  if (refused) return { note: `the new plan was not run: ${refused}` };
  if (samePlanShape(outcome.plan, r.plan)) {
    return { note: 'stopped re-planning: no progress (the new plan repeats the plan that failed)' };
  }
  journal.emit({ type: 'plan.replaced', plan: outcome.plan, planner: outcome.planner, reason: outcome.reason ?? `re-planned after ${failed.map((t) => t.id).join(', ')} failed` });
  return { plan: outcome.plan };
}

/** Two plans give the same work to the same agents (ids aside). */
function samePlanShape(a: Plan, b: Plan): boolean {
  const shape = (p: Plan): string =>
    p.tasks
      .map((t) => `${t.agent}:${[...t.produces].sort().join(',')}`)
      .sort()
      .join('|');
  return shape(a) === shape(b);
}

/**
 * What a planner that failed had used, when its error says so (`details.usage`, as the LLM
 * re-planner's does): its model calls count though no plan came of them.
 */
export function usageSpentBy(e: unknown): Usage | undefined {
  if (!BatonError.isInstance(e)) return undefined;
  const usage = (e.details as { usage?: unknown } | undefined)?.usage;
  if (usage === undefined) return undefined;
  try {
    return checkedUsage(usage);
  } catch {
    return undefined;
  }
}
