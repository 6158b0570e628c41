import type { Plan } from '../core/types.ts';

/** The parts of a plan its checks read. */
export type ShapedPlan = Pick<Plan, 'tasks' | 'requested' | 'excluded'>;

/** Stands for "no such list" (undefined) in a shape, so `[]` and a missing list stay apart. */
const ABSENT = -1;

/**
 * Everything plan validation and the scheduler read of a plan (task objects, ids, agents,
 * dependsOn, consumes, produces, requested, excluded), flattened into one array when the plan is
 * checked. `matches` tells in one pass, comparing references and allocating nothing, whether the
 * same plan object was changed since, so a fixed plan handed in on every run is checked once.
 */
export class PlanShape {
  private constructor(private readonly parts: readonly unknown[]) {}

  static of(plan: ShapedPlan): PlanShape {
    const parts: unknown[] = [plan.tasks, plan.tasks.length];
    for (const t of plan.tasks) {
      parts.push(t, t.id, t.agent);
      pushList(parts, t.dependsOn);
      pushList(parts, t.consumes);
      pushList(parts, t.produces);
    }
    pushList(parts, plan.requested);
    pushList(parts, plan.excluded);
    return new PlanShape(parts);
  }

  /** True when `plan` holds exactly what it held when this shape was taken. */
  matches(plan: ShapedPlan): boolean {
    const p = this.parts;
    const { tasks } = plan;
    if (p[0] !== tasks || p[1] !== tasks.length) return false;
    let i = 2;
    for (const t of tasks) {
      if (p[i] !== t || p[i + 1] !== t.id || p[i + 2] !== t.agent) return false;
      i = matchList(p, i + 3, t.dependsOn);
      if (i >= 0) i = matchList(p, i, t.consumes);
      if (i >= 0) i = matchList(p, i, t.produces);
      if (i < 0) return false;
    }
    i = matchList(p, i, plan.requested);
    if (i >= 0) i = matchList(p, i, plan.excluded);
    return i === p.length;
  }
}

function pushList(parts: unknown[], list: readonly string[] | undefined): void {
  if (list === undefined) parts.push(ABSENT);
  else {
    parts.push(list.length);
    for (const item of list) parts.push(item);
  }
}

/** The index after `list` in `parts` when it matches from `at`, else -1. */
function matchList(parts: readonly unknown[], at: number, list: readonly string[] | undefined): number {
  if (list === undefined) return parts[at] === ABSENT ? at + 1 : -1;
  if (parts[at] !== list.length) return -1;
  let i = at + 1;
  for (const item of list) if (parts[i++] !== item) return -1;
  return i;
}

interface Memo<K, V> {
  key: K;
  /** Taken the second time the plan passes: a plan seen once is usually never seen again. */
  shape: PlanShape | undefined;
  value: V | undefined;
}

/**
 * Remembers what was worked out from a plan object (that it is valid, its compiled DAG), so a plan
 * handed in again unchanged (a fixed workflow, a static planner) costs one pass of `PlanShape`
 * instead. A plan seen once is usually a planner's fresh result that will never come back: it costs
 * one small entry, and the shape and value are kept only when the same object comes a second time.
 */
export class PlanMemo<K, V> {
  private readonly seen = new WeakMap<object, Memo<K, V>>();

  /** What was stored for `plan` under `key`, if the plan has not changed since. */
  get(plan: ShapedPlan, key: K, owner: object = plan): V | undefined {
    const memo = this.seen.get(owner);
    if (memo === undefined || memo.key !== key || memo.shape === undefined || !memo.shape.matches(plan)) return undefined;
    return memo.value;
  }

  /** Stores `value` for `plan` as it is now (kept from the second time on). `owner` is the object it lives with. */
  set(plan: ShapedPlan, key: K, value: V, owner: object = plan): void {
    const memo = this.seen.get(owner);
    if (memo?.key === key) {
      memo.shape = PlanShape.of(plan);
      memo.value = value;
    } else {
      this.seen.set(owner, { key, shape: undefined, value: undefined });
    }
  }
}
