import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import type { AgentSpec, Manifest, Plan } from '../../src/core/types.ts';
import { planGoal } from '../../src/planning/builtin-planner.ts';
import { validatePlan } from '../../src/planning/validate-plan.ts';
import { agent, manifest, task } from './fixtures.ts';

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

describe('validating a wide join', () => {
  const width = 2000;
  const parts = Array.from({ length: width }, (_, i) => `part-${i}`);

  function joinCase(): { m: Manifest; plan: Plan } {
    const makers = parts.map((p, i) => agent(`maker-${i}`, { description: `Makes ${p}`, produces: [p] }));
    const join = agent('join', { description: 'Joins every part', consumes: [...parts], produces: ['whole'] });
    const m = manifest({ name: 'joiner', description: 'Joins parts', deliverable: ['whole'] }, [...makers, join]);
    const plan: Plan = {
      tasks: [
        ...parts.map((p, i) => task(`make-${i}`, { agent: `maker-${i}`, produces: [p] })),
        task('join', { agent: 'join', dependsOn: parts.map((_, i) => `make-${i}`), consumes: [...parts], produces: ['whole'] }),
      ],
      requested: ['whole'],
    };
    return { m, plan };
  }

  it(`accepts a join of ${width} parallel tasks`, () => {
    const { m, plan } = joinCase();
    expect(validatePlan(plan, m)).toEqual([]);
  });

  it('finds the one producer missing from a long dependsOn', () => {
    const { m, plan } = joinCase();
    const join = plan.tasks.at(-1)!;
    join.dependsOn = join.dependsOn.filter((id) => id !== 'make-777');
    expect(validatePlan(plan, m).map((p) => p.message)).toEqual([
      `task "join" consumes "part-777", but no task it depends on (directly or through other tasks) produces it; add "make-777" to its dependsOn`,
    ]);
  });

  it("finds the one consumed artifact missing from its agent's long consumes, also when it went missing after an earlier check", () => {
    const { m, plan } = joinCase();
    expect(validatePlan(plan, m)).toEqual([]);
    const join = m.agents.join!;
    join.consumes = join.consumes.filter((p) => p !== 'part-1234');
    const problems = validatePlan(plan, m);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^task "join" lists "part-1234" in consumes, but agent "join" consumes only: /);
  });
});

describe('validating a long chain that consumes from far upstream', () => {
  const length = 5000;

  function chainCase(): { m: Manifest; plan: Plan } {
    const source = agent('source', { description: 'Makes the settings', produces: ['settings'] });
    const steps = Array.from({ length }, (_, i) =>
      agent(`step-${i}`, { description: `Step ${i}`, consumes: i === 0 ? ['settings'] : ['settings', `out-${i - 1}`], produces: [`out-${i}`] }),
    );
    const m = manifest({ name: 'chain', description: 'A long chain', deliverable: [`out-${length - 1}`] }, [source, ...steps]);
    const plan: Plan = {
      tasks: [
        task('source', { agent: 'source', produces: ['settings'] }),
        ...steps.map((s, i) => task(`s${i}`, { agent: s.name, dependsOn: [i === 0 ? 'source' : `s${i - 1}`], consumes: s.consumes, produces: s.produces })),
      ],
      requested: [`out-${length - 1}`],
    };
    return { m, plan };
  }

  it(`accepts ${length} tasks each consuming the first task's artifact through the chain`, () => {
    const { m, plan } = chainCase();
    expect(validatePlan(plan, m)).toEqual([]);
  });

  it('reports each task cut off from that artifact when a link of the chain is removed', () => {
    const { m, plan } = chainCase();
    const cut = plan.tasks.find((t) => t.id === 's4000')!;
    cut.dependsOn = [];
    cut.consumes = ['settings'];
    const problems = validatePlan(plan, m);
    expect(problems.map((p) => p.taskId)).toEqual(Array.from({ length: length - 4000 }, (_, i) => `s${4000 + i}`));
    expect(problems[1]!.message).toBe(
      `task "s4001" consumes "settings", but no task it depends on (directly or through other tasks) produces it; add "source" to its dependsOn`,
    );
  });
});
