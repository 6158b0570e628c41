import type { Plan } from '../core/types.ts';

/** The parts of a plan its checks read. */
export type ShapedPlan = Pick<Plan, 'tasks' | 'requested' | 'excluded'>;

/** Stands for "no such list" (undefined) in a shape, so `[]` and a missing list stay apart. */
const ABSENT = -1;

/**
 * Everything plan validation and the scheduler read of a plan (ids, agents, dependsOn, consumes,
 * produces, requested, excluded), flattened into one array when the plan is checked. `matches`
 * tells in one pass, comparing values and allocating nothing, whether a plan holds the same: the
 * same plan object unchanged since, or a plan made afresh with the same content (a planner that
 * builds its plan on every run, a plan read from a file or a request on every run).
 */
export class PlanShape {
  private constructor(private readonly parts: readonly unknown[]) {}

  static of(plan: ShapedPlan): PlanShape {
    const parts: unknown[] = [plan.tasks.length];
    for (const t of plan.tasks) {
      parts.push(t.id, t.agent);
      pushList(parts, t.dependsOn);
      pushList(parts, t.consumes);
      pushList(parts, t.produces);
    }
    pushList(parts, plan.requested);
    pushList(parts, plan.excluded);
    return new PlanShape(parts);
  }

  /** True when `plan` holds exactly what the plan this shape was taken from held then. */
  matches(plan: ShapedPlan): boolean {
    const p = this.parts;
    const { tasks } = plan;
    if (p[0] !== tasks.length) return false;
    let i = 1;
    for (const t of tasks) {
      // A planner may hand in anything: a task that is not an object is for validation to report.
      if (typeof t !== 'object' || t === null || p[i] !== t.id || p[i + 1] !== t.agent) return false;
      i = matchList(p, i + 2, t.dependsOn);
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

/** Plans of different content a {@link PlanMemo} keeps per key, the ones stored first dropped first. */
const PLANS_BY_CONTENT = 32;

interface Memo<V> {
  /** Taken the second time the plan passes: a plan seen once is usually never seen again. */
  shape: PlanShape | undefined;
  value: V | undefined;
}

/**
 * Remembers what was worked out from a plan (that it is valid, its compiled DAG), so a plan handed
 * in again unchanged costs one pass of `PlanShape` instead: the same object (a fixed workflow, a
 * static planner), or a new one with the same content (the built-in planner, which plans a goal
 * afresh on every run; a plan read from a file or a request). A plan seen once is usually a
 * planner's fresh result that will never come back: it costs one small entry, and the shape and
 * value are kept only when it comes a second time. Plans of the same content are found by their
 * size and their first and last task ids, {@link PLANS_BY_CONTENT} per key at most.
 */
export class PlanMemo<K extends object, V> {
  private readonly byObject = new WeakMap<object, Memo<V> & { key: K }>();
  private readonly byContent = new WeakMap<K, Map<string, Memo<V>>>();

  /** What was stored under `key` for a plan that held what `plan` holds now. */
  get(plan: ShapedPlan, key: K, owner: object = plan): V | undefined {
    const memo = this.byObject.get(owner);
    if (memo?.key === key && memo.shape?.matches(plan)) return memo.value;
    const known = this.byContent.get(key)?.get(contentKey(plan));
    return known?.shape?.matches(plan) ? known.value : undefined;
  }

  /** Stores `value` for `plan` as it is now (kept from the second time on). `owner` is the object it lives with. */
  set(plan: ShapedPlan, key: K, value: V, owner: object = plan): void {
    let shape: PlanShape | undefined;
    const memo = this.byObject.get(owner);
    if (memo?.key === key) {
      shape = PlanShape.of(plan);
      memo.shape = shape;
      memo.value = value;
    } else {
      this.byObject.set(owner, { key, shape: undefined, value: undefined });
    }
    let plans = this.byContent.get(key);
    if (plans === undefined) {
      plans = new Map();
      this.byContent.set(key, plans);
    }
    const id = contentKey(plan);
    const known = plans.get(id);
    if (known !== undefined) {
      known.shape = shape ?? PlanShape.of(plan);
      known.value = value;
      return;
    }
    if (plans.size >= PLANS_BY_CONTENT) plans.delete(plans.keys().next().value as string);
    plans.set(id, { shape: undefined, value: undefined });
  }
}

/** Where plans of the same content are looked for: their size and first and last task ids. */
function contentKey(plan: ShapedPlan): string {
  const { tasks } = plan;
  return `${tasks.length}\n${String(tasks[0]?.id)}\n${String(tasks[tasks.length - 1]?.id)}`;
}
