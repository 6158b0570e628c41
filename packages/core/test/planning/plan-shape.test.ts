import { describe, expect, it } from 'vitest';
import type { Manifest, Plan, PlanTask } from '../../src/core/types.ts';
import { PlanShape } from '../../src/planning/plan-shape.ts';
import { assertValidPlan } from '../../src/planning/validate-plan.ts';
import { salesManifest, validSalesPlan } from './fixtures.ts';

const changes: [string, (p: Plan) => void][] = [
  ['a task replaced by an equal copy', (p) => (p.tasks[1] = { ...p.tasks[1]! })],
  ['an id', (p) => (p.tasks[0]!.id = 'other')],
  ['an agent', (p) => (p.tasks[0]!.agent = 'summary')],
  ['a dependsOn entry', (p) => (p.tasks[1]!.dependsOn[0] = 'ghost')],
  ['a dependsOn added', (p) => p.tasks[2]!.dependsOn.push('ghost')],
  ['a consumes entry', (p) => (p.tasks[1]!.consumes[0] = 'other')],
  ['a produces removed', (p) => p.tasks[0]!.produces.pop()],
  ['a task added', (p) => p.tasks.push({ ...p.tasks[0]!, id: 'extra' })],
  ['the task list replaced', (p) => (p.tasks = [...p.tasks])],
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
});

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

  it('validates it again under another manifest', () => {
    const plan = validSalesPlan();
    for (let i = 0; i < 3; i++) assertValidPlan(plan, salesManifest());
    const other = salesManifest();
    other.orchestrator.subagents = ['data'];
    expect(() => assertValidPlan(plan, other)).toThrow(/not one of orchestrator/);
  });
});
