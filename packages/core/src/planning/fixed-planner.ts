import type { Planner, PlanOutcome } from '../core/contracts.ts';
import type { Manifest, Plan } from '../core/types.ts';
import { fixedPlanOf } from './fixed-plan.ts';
import type { PlanInput } from './fixed-plan.ts';

/**
 * A planner that plans nothing: it returns the plan it was given, for every goal, as `fixed` (or
 * `workflow`). Tasks may leave out what their agent implies (consumes, produces, dependsOn); the
 * plan is completed and checked like any planner's plan, once per manifest, and it never re-plans.
 * `new Orchestrator({ manifest, planner: new FixedPlanner({ tasks: [{ id: 'f', agent: 'flights' }] }) })`.
 */
export class FixedPlanner implements Planner {
  readonly name: 'fixed' | 'workflow';

  constructor(
    private readonly fixed: Plan | PlanInput,
    private readonly options: { name?: 'fixed' | 'workflow'; reason?: string } = {},
  ) {
    this.name = options.name ?? 'fixed';
  }

  plan(_goal: string, manifest: Manifest): Promise<PlanOutcome> {
    try {
      const plan = fixedPlanOf(this.fixed, manifest);
      return Promise.resolve({ plan, planner: this.name, reason: this.options.reason ?? 'a fixed plan: no planner involved' });
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }
}
