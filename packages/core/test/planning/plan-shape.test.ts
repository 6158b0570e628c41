import { describe, expect, it } from 'vitest';
import type { Manifest, Plan, PlanTask } from '../../src/core/types.ts';
import { PlanShape } from '../../src/planning/plan-shape.ts';
import { assertValidPlan, validatePlan } from '../../src/planning/validate-plan.ts';
import { salesManifest, validSalesPlan } from './fixtures.ts';

const changes: [string, (p: Plan) => void][] = [
  ['an id', (p) => (p.tasks[0]!.id = 'other')],
  ['an agent', (p) => (p.tasks[0]!.agent = 'summary')],
  ['a dependsOn entry', (p) => (p.tasks[1]!.dependsOn[0] = 'ghost')],
  ['a dependsOn added', (p) => p.tasks[2]!.dependsOn.push('ghost')],
  ['a consumes entry', (p) => (p.tasks[1]!.consumes[0] = 'other')],
  ['a produces removed', (p) => p.tasks[0]!.produces.pop()],
  ['a task added', (p) => p.tasks.push({ ...p.tasks[0]!, id: 'extra' })],
  ['two tasks swapped', (p) => p.tasks.reverse()],
  ['requested set', (p) => (p.requested = ['report'])],
  ['requested emptied', (p) => (p.requested = [])],
  ['excluded set', (p) => (p.excluded = ['chart'])],
];

describe('PlanShape', () => {
  it('matches the plan it was taken from while nothing changes', () => {
    const plan = validSalesPlan();
    expect(PlanShape.of(plan).matches(plan)).toBe(true);
  });

  it.each(changes)('sees a change of %s', (_what, change) => {
    const plan = validSalesPlan();
    const shape = PlanShape.of(plan);
    change(plan);
    expect(shape.matches(plan)).toBe(false);
  });

  it.each(changes)('sees a change of %s in a copy', (_what, change) => {
    const plan = validSalesPlan();
    const shape = PlanShape.of(plan);
    const copy = structuredClone(plan);
    change(copy);
    expect(shape.matches(copy)).toBe(false);
  });

  it('matches a plan of the same content in new objects (a copy, a task replaced by an equal one, a new task list)', () => {
    const plan = validSalesPlan();
    const shape = PlanShape.of(plan);
    expect(shape.matches(structuredClone(plan))).toBe(true);
    expect(shape.matches(JSON.parse(JSON.stringify(plan)) as Plan)).toBe(true);
    plan.tasks[1] = { ...plan.tasks[1]! };
    plan.tasks = [...plan.tasks];
    expect(shape.matches(plan)).toBe(true);
  });

  it('does not take a task that is not an object for one', () => {
    const plan = validSalesPlan();
    const shape = PlanShape.of(plan);
    const broken = { ...plan, tasks: plan.tasks.map((t, i) => (i === 1 ? null : t)) } as unknown as Plan;
    expect(shape.matches(broken)).toBe(false);
  });
});

/** Whether a plan is valid against the sales manifest, checked from scratch. */
function isValid(plan: Plan): boolean {
  return validatePlan(plan, salesManifest()).length === 0;
}

/** The sales manifest, counting how often its agents are looked up. */
function countingManifest(): { manifest: Manifest; lookups: () => number } {
  const m = salesManifest();
  let n = 0;
  const agents = new Proxy(m.agents, { get: (target, key, receiver) => (n++, Reflect.get(target, key, receiver)) });
  return { manifest: { ...m, agents }, lookups: () => n };
}

describe('assertValidPlan on a plan object handed in again', () => {
  it('validates a fixed plan once, not on every run', () => {
    const { manifest, lookups } = countingManifest();
    const plan = validSalesPlan();
    assertValidPlan(plan, manifest);
    assertValidPlan(plan, manifest);
    const afterTwo = lookups();
    expect(afterTwo).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) assertValidPlan(plan, manifest);
    expect(lookups()).toBe(afterTwo);
  });

  it('validates it again once it changed, and rejects what became invalid', () => {
    const { manifest } = countingManifest();
    const plan = validSalesPlan();
    for (let i = 0; i < 3; i++) assertValidPlan(plan, manifest);
    (plan.tasks[1] as PlanTask).dependsOn[0] = 'ghost';
    expect(() => assertValidPlan(plan, manifest)).toThrow(/depends on "ghost", which is not a task of the plan/);
  });

  it('validates a plan made afresh with the same content on every run once too (the built-in planner, a plan read from a file)', () => {
    const { manifest, lookups } = countingManifest();
    const plan = validSalesPlan();
    assertValidPlan(structuredClone(plan), manifest);
    assertValidPlan(structuredClone(plan), manifest);
    const afterTwo = lookups();
    for (let i = 0; i < 5; i++) assertValidPlan(JSON.parse(JSON.stringify(plan)) as Plan, manifest);
    expect(lookups()).toBe(afterTwo);
  });

  it('rejects a plan made afresh that differs from one it let pass, and lets the others pass', () => {
    const { manifest } = countingManifest();
    const plan = validSalesPlan();
    for (let i = 0; i < 3; i++) assertValidPlan(structuredClone(plan), manifest);
    for (const [what, change] of changes) {
      const copy = structuredClone(plan);
      change(copy);
      let thrown: unknown;
      try {
        assertValidPlan(copy, manifest);
      } catch (e) {
        thrown = e;
      }
      // Each change made it another plan: validated, not taken from the memo (valid or not).
      expect(thrown === undefined ? 'valid' : 'invalid', what).toBe(isValid(copy) ? 'valid' : 'invalid');
    }
    const ghost = structuredClone(plan);
    (ghost.tasks[1] as PlanTask).dependsOn[0] = 'ghost';
    expect(() => assertValidPlan(ghost, manifest)).toThrow(/depends on "ghost", which is not a task of the plan/);
    expect(() => assertValidPlan(structuredClone(plan), manifest)).not.toThrow();
  });

  it('validates it again under another manifest', () => {
    const plan = validSalesPlan();
    for (let i = 0; i < 3; i++) assertValidPlan(plan, salesManifest());
    const other = salesManifest();
    other.orchestrator.subagents = ['data'];
    expect(() => assertValidPlan(plan, other)).toThrow(/not one of orchestrator/);
  });
});
