import type { PlanOutcome, Planner } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';

/** What a planner did with a goal: its first plan, or what it threw. */
export interface PlanningRecord {
  outcome?: PlanOutcome;
  error?: unknown;
}

/**
 * Wraps a planner to keep what it planned (or threw) for a goal, so a case that runs still knows
 * the planner's own decision: a refusal, or the plan before validation and re-planning.
 */
export function recordingPlanner(inner: Planner): { planner: Planner; record: PlanningRecord } {
  const record: PlanningRecord = {};
  const planner: Planner = {
    name: inner.name,
    async plan(goal, manifest, options) {
      try {
        const outcome = await inner.plan(goal, manifest, options);
        record.outcome ??= outcome;
        return outcome;
      } catch (e) {
        record.error ??= e;
        throw e;
      }
    },
    ...(inner.replan ? { replan: inner.replan.bind(inner) } : {}),
  };
  return { planner, record };
}

/** The planner refused the goal: it asks for nothing this orchestrator's sub-agents make. */
export function isRefusal(e: unknown): e is BatonError {
  return BatonError.isInstance(e) && e.code === 'GOAL_REFUSED';
}
