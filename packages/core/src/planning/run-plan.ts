import { ownValue } from '../core/artifact-names.ts';
import { BatonError } from '../core/errors.ts';
import type { Manifest, Plan } from '../core/types.ts';
import { didYouMean } from '../manifest/describe.ts';
import { fixedPlanOf } from './fixed-plan.ts';

/** The plan a run was given instead of a planner, with what to journal about it. */
export interface FixedRunPlan {
  plan: Plan;
  planner: 'fixed' | 'workflow';
  reason: string;
  /** The goal to record when the run was given none. */
  goal: string;
}

/** Why a `workflow` that is not a string is refused, in the library and over HTTP and A2A alike. */
export const WORKFLOW_NOT_A_NAME = "workflow must be a string: the name of one of the manifest's workflows";

/**
 * The fixed plan of a run started with `plan` or `workflow` (undefined with neither): checked
 * before anything is journaled.
 * @throws BatonError `BAD_REQUEST`: both given, a workflow that is not a name or is unknown, a plan that cannot run.
 */
export function fixedPlanFor(manifest: Manifest, options: { plan?: object; workflow?: string }): FixedRunPlan | undefined {
  if (options.plan !== undefined && options.workflow !== undefined) {
    throw new BatonError('BAD_REQUEST', 'give a run a plan or a workflow, not both', { retryable: false });
  }
  if (options.workflow !== undefined) {
    if (typeof options.workflow !== 'string') throw new BatonError('BAD_REQUEST', `workflow: ${WORKFLOW_NOT_A_NAME}`, { retryable: false });
    const workflows = manifest.workflows ?? {};
    const w = ownValue(workflows, options.workflow);
    if (!w) {
      const known = Object.keys(workflows);
      const list = known.length > 0 ? `; its workflows are: ${known.join(', ')}` : ' (it declares none under workflows:)';
      throw new BatonError('BAD_REQUEST', `workflow: no workflow named "${options.workflow}" in the manifest${didYouMean(options.workflow, known)}${list}`, { retryable: false });
    }
    return { plan: w.plan, planner: 'workflow', reason: `workflow "${w.name}" of the manifest`, goal: w.description ? `${w.name}: ${w.description}` : `workflow ${w.name}` };
  }
  if (options.plan !== undefined) {
    if (typeof options.plan !== 'object' || options.plan === null) throw new BatonError('BAD_REQUEST', 'plan: expected a plan object { tasks: [...] }', { retryable: false });
    const plan = fixedPlanOf(options.plan, manifest);
    return { plan, planner: 'fixed', reason: 'the plan given with the run', goal: fixedPlanGoal(plan.tasks.map((t) => t.id)) };
  }
  return undefined;
}

/** Task ids a fixed plan's goal names: the goal goes to every agent of the run, a plan may have 100 000 tasks. */
const GOAL_IDS_NAMED = 10;

/** The goal of a run given a plan and no goal: `the plan given: f, h, it`, past 10 tasks the first 10 and how many more. */
function fixedPlanGoal(ids: readonly string[]): string {
  const more = ids.length - GOAL_IDS_NAMED;
  return `the plan given: ${ids.slice(0, GOAL_IDS_NAMED).join(', ')}${more > 0 ? ` and ${more} more task${more === 1 ? '' : 's'}` : ''}`;
}
