import type { Planner, PlanOutcome } from '../core/contracts.ts';
import type { Plan } from '../core/types.ts';

/**
 * A planner that always returns the same plan: for fixed workflows written ahead of time, and
 * for benchmarks that measure the scheduler alone. The plan is still validated before it runs.
 */
export class StaticPlanner implements Planner {
  readonly name = 'builtin' as const;

  constructor(private readonly fixed: Plan | ((goal: string) => Plan)) {}

  plan(goal: string): Promise<PlanOutcome> {
    const plan = typeof this.fixed === 'function' ? this.fixed(goal) : this.fixed;
    return Promise.resolve({ plan, planner: 'builtin', reason: 'fixed plan' });
  }
}
