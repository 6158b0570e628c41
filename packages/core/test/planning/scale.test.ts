import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import type { AgentSpec, Manifest } from '../../src/core/types.ts';
import { planGoal } from '../../src/planning/builtin-planner.ts';
import { validatePlan } from '../../src/planning/validate-plan.ts';
import { agent, manifest } from './fixtures.ts';

/**
 * A layered manifest: agent i produces `part-<i>` and consumes the parts of up to two agents
 * declared before it, so consumes/produces form a DAG.
 */
function layered(size: number, inputsOf: (i: number) => number[]): Manifest {
  const agents: AgentSpec[] = [];
  for (let i = 0; i < size; i++) {
    agents.push(
      agent(`agent-${i}`, {
        description: `Builds part ${i} of the product`,
        capabilities: [`skill${i}`],
        consumes: inputsOf(i).map((j) => `part-${j}`),
        produces: [`part-${i}`],
      }),
    );
  }
  return manifest({ name: 'factory', description: 'Assembles products', deliverable: [`part-${size - 1}`] }, agents);
}

describe('planning a large manifest', () => {
  it('plans the whole chain of a 1,000-agent manifest, validly and in order', () => {
    const m = layered(1000, (i) => (i === 0 ? [] : [i - 1]));
    const plan = planGoal('the product please', m);
    expect(plan.tasks).toHaveLength(1000);
    expect(plan.tasks[0]?.id).toBe('t1-build-part-0');
    expect(plan.tasks[999]?.id).toBe('t1000-build-part-999');
    expect(validatePlan(plan, m)).toEqual([]);
  });

  it('plans only what one named artifact needs in a wide 1,000-agent manifest', () => {
    const m = layered(1000, (i) => (i >= 500 ? [i - 500] : []));
    const plan = planGoal('part 742 and skill3', m);
    expect(plan.tasks.map((t) => t.agent)).toEqual(['agent-3', 'agent-242', 'agent-742']);
    expect(plan.requested).toEqual(['part-3', 'part-742']);
  });
});

describe('any manifest and goal', () => {
  const arbitraryCase = fc.record({
    size: fc.integer({ min: 1, max: 12 }),
    edges: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 20 }),
    goalWords: fc.array(fc.oneof(fc.constantFrom('part', 'product', 'skill1', 'skill4', 'assembles', 'of'), fc.nat(12).map(String)), {
      maxLength: 6,
    }),
  });

  it('gives a valid plan, or a GOAL_UNSATISFIABLE or GOAL_REFUSED error, and the same answer twice', () => {
    fc.assert(
      fc.property(arbitraryCase, ({ size, edges, goalWords }) => {
        const m = layered(size, (i) => [...new Set(edges.filter(([to]) => to % size === i).map(([, from]) => from % Math.max(i, 1)))].filter((j) => j < i));
        const goal = goalWords.join(' ');
        let plan;
        try {
          plan = planGoal(goal, m);
        } catch (e) {
          expect(BatonError.isInstance(e) && e.code).toMatch(/^GOAL_(UNSATISFIABLE|REFUSED)$/);
          return;
        }
        expect(validatePlan(plan, m)).toEqual([]);
        expect(planGoal(goal, m)).toEqual(plan);
      }),
      { numRuns: 200, seed: 20260101 },
    );
  });
});
