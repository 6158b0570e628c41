import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
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
  ['the middle of the plan, its first and last task kept', (p) => p.tasks.splice(1, 1, { ...p.tasks[1]!, id: 't2-other' })],
  ['requested null', (p) => ((p as { requested: unknown }).requested = null)],
  ['requested left out', (p) => delete p.requested],
  ['a list given as a string of the same letters', (p) => ((p.tasks[2] as { consumes: unknown }).consumes = 'metrics')],
  ['requested set', (p) => (p.requested = ['report'])],
  ['requested emptied', (p) => (p.requested = [])],
  ['excluded set', (p) => (p.excluded = ['chart'])],
];

describe('PlanShape', () => {
  it('matches the plan it was taken from while nothing changes', () => {
    const plan = validSalesPlan();
    expect(PlanShape.of(plan)!.matches(plan)).toBe(true);
  });

  it.each(changes)('sees a change of %s', (_what, change) => {
    const plan = validSalesPlan();
    const shape = PlanShape.of(plan)!;
    change(plan);
    expect(shape.matches(plan)).toBe(false);
  });

  it.each(changes)('sees a change of %s in a copy', (_what, change) => {
    const plan = validSalesPlan();
    const shape = PlanShape.of(plan)!;
    const copy = structuredClone(plan);
    change(copy);
    expect(shape.matches(copy)).toBe(false);
  });

  it('matches a plan of the same content in new objects (a copy, a task replaced by an equal one, a new task list)', () => {
    const plan = validSalesPlan();
    const shape = PlanShape.of(plan)!;
    expect(shape.matches(structuredClone(plan))).toBe(true);
    expect(shape.matches(JSON.parse(JSON.stringify(plan)) as Plan)).toBe(true);
    plan.tasks[1] = { ...plan.tasks[1]! };
    plan.tasks = [...plan.tasks];
    expect(shape.matches(plan)).toBe(true);
  });

  it('has no shape for a plan of anything but plain data, which is checked every time', () => {
    const withString = { ...validSalesPlan(), requested: 'metrics' } as unknown as Plan;
    const withHole = validSalesPlan();
    withHole.tasks[1]!.produces = ['metrics', , 'charts'] as string[];
    const withNumberId = validSalesPlan();
    (withNumberId.tasks[0] as { id: unknown }).id = 1;
    const withIterator = validSalesPlan();
    Object.defineProperty(withIterator.tasks, Symbol.iterator, { value: function* () {} });
    for (const plan of [withString, withHole, withNumberId, withIterator]) expect(PlanShape.of(plan)).toBeUndefined();
  });

  it('tells a list left out, null and empty apart', () => {
    const plan = validSalesPlan();
    const shapes = [undefined, null, []].map((requested) => PlanShape.of({ ...plan, requested } as Plan)!);
    const plans = [undefined, null, []].map((requested) => ({ ...plan, requested }) as Plan);
    expect(shapes.map((shape) => plans.map((p) => shape.matches(p)))).toEqual([
      [true, false, false],
      [false, true, false],
      [false, false, true],
    ]);
  });

  it('does not take a task that is not an object for one', () => {
    const plan = validSalesPlan();
    const shape = PlanShape.of(plan)!;
    const broken = { ...plan, tasks: plan.tasks.map((t, i) => (i === 1 ? null : t)) } as unknown as Plan;
    expect(shape.matches(broken)).toBe(false);
  });
});

/** Validates `times` new copies of `plan`, as a planner that makes its plan afresh on every run. */
function validateCopies(plan: Plan, manifest: Manifest, times: number): void {
  for (let i = 0; i < times; i++) assertValidPlan(structuredClone(plan), manifest);
}

/** The sales plan with another id for its last task: another plan of the same size and first id. */
function salesPlanEndingWith(id: string): Plan {
  const plan = validSalesPlan();
  plan.tasks[2]!.id = id;
  return plan;
}

/** What checking a plan gave: valid, invalid (PLAN_INVALID), or something thrown on the way. */
function verdict(check: () => void): 'valid' | 'invalid' | 'threw' {
  try {
    check();
    return 'valid';
  } catch (e) {
    return BatonError.isInstance(e) && e.code === 'PLAN_INVALID' ? 'invalid' : 'threw';
  }
}

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
    validateCopies(plan, manifest, 3);
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

  it('takes a plan with null lists made afresh like any other (validation reads null as left out)', () => {
    const { manifest } = countingManifest();
    const plan = { ...validSalesPlan(), requested: null, excluded: null } as unknown as Plan;
    for (let i = 0; i < 4; i++) expect(() => assertValidPlan(structuredClone(plan), manifest)).not.toThrow();
  });

  it('gives a plan of anything but plain data, made afresh, the verdict validation gives it, not the memo\'s', () => {
    const manifest = salesManifest();
    // Ids of one letter, so that a string of them has the length and letters of a list of them.
    const plan = validSalesPlan();
    const ids = ['a', 'b', 'c'];
    plan.tasks.forEach((t, i) => {
      t.id = ids[i]!;
      t.dependsOn = i === 0 ? [] : [ids[i - 1]!];
    });
    for (let i = 0; i < 3; i++) expect(verdict(() => assertValidPlan(structuredClone(plan), manifest))).toBe('valid');
    const stringList = structuredClone(plan);
    (stringList.tasks[1] as { dependsOn: unknown }).dependsOn = 'a';
    const holed = structuredClone(plan);
    holed.requested = ['metrics', , 'summary'] as string[];
    const undefinedItem = structuredClone(plan);
    undefinedItem.requested = ['metrics', undefined as unknown as string, 'summary'];
    for (const candidate of [stringList, holed, undefinedItem]) {
      expect(verdict(() => assertValidPlan(candidate, manifest))).toBe(verdict(() => assertValidPlan(candidate, salesManifest())));
    }
    // Validation does not take a string for a list of task ids (the memo once did).
    expect(verdict(() => assertValidPlan(stringList, manifest))).not.toBe('valid');
  });

  it('keeps plans of different content that share their size and first and last ids, each found again', () => {
    const { manifest, lookups } = countingManifest();
    const a = validSalesPlan();
    const b = validSalesPlan();
    b.requested = ['summary'];
    for (let i = 0; i < 3; i++) for (const plan of [a, b]) validateCopies(plan, manifest, 1);
    const warm = lookups();
    for (let i = 0; i < 5; i++) for (const plan of [a, b]) validateCopies(plan, manifest, 1);
    expect(lookups()).toBe(warm);
  });

  it('forgets the plans of the oldest sizes and ids past its bound, and checks them again', () => {
    const { manifest, lookups } = countingManifest();
    const plan = validSalesPlan();
    validateCopies(plan, manifest, 3);
    const warm = lookups();
    assertValidPlan(structuredClone(plan), manifest);
    expect(lookups()).toBe(warm);
    // Forty other plans, each twice: each kept, the first one's key dropped.
    for (let n = 0; n < 40; n++) {
      validateCopies(salesPlanEndingWith(`t3-write-summary-${n}`), manifest, 2);
    }
    const before = lookups();
    assertValidPlan(structuredClone(plan), manifest);
    expect(lookups()).toBeGreaterThan(before);
  });

  it('keeps a plan made afresh on every run while plans seen once come and go', () => {
    const { manifest, lookups } = countingManifest();
    const hot = validSalesPlan();
    validateCopies(hot, manifest, 3);
    let afterHot = 0;
    for (let n = 0; n < 40; n++) {
      assertValidPlan(salesPlanEndingWith(`t3-write-summary-once-${n}`), manifest);
      afterHot = lookups();
      assertValidPlan(structuredClone(hot), manifest);
      expect(lookups(), `after one-off plan ${n}`).toBe(afterHot);
    }
  });

  it('validates it again under another manifest', () => {
    const plan = validSalesPlan();
    for (let i = 0; i < 3; i++) assertValidPlan(plan, salesManifest());
    const other = salesManifest();
    other.orchestrator.subagents = ['data'];
    expect(() => assertValidPlan(plan, other)).toThrow(/not one of orchestrator/);
  });
});
