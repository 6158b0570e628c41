import type { Plan } from '../core/types.ts';

/** The parts of a plan its checks read. */
export type ShapedPlan = Pick<Plan, 'tasks' | 'requested' | 'excluded'>;

/** Stand for a list left out and a list given as null, so that `[]`, a missing list and `null` stay apart. */
const ABSENT = -1;
const NULL = -2;

/**
 * Everything plan validation and the scheduler read of a plan (ids, agents, dependsOn, consumes,
 * produces, requested, excluded), flattened into one array when the plan is checked. `matches`
 * tells in one pass, comparing values and allocating nothing, whether a plan holds the same: the
 * same plan object unchanged since, or a plan made afresh with the same content (a planner that
 * builds its plan on every run, a plan read from a file or a request on every run).
 */
export class PlanShape {
  private constructor(private readonly parts: readonly unknown[]) {}

  /**
   * The shape of `plan`, or undefined when it holds anything but plain data (a task that is not an
   * object; an id, agent or artifact that is not a string; a list that is not an array, or one with
   * an iterator of its own; a getter that throws): validation may read such a plan in ways a
   * comparison of values would not follow, so it is checked every time.
   */
  static of(plan: ShapedPlan): PlanShape | undefined {
    const parts: unknown[] = [];
    try {
      return flatten(plan, parts) ? new PlanShape(parts) : undefined;
    } catch {
      // A getter or a proxy that throws: not plain data.
      return undefined;
    }
  }

  /** How many values the shape holds (what keeping it costs). */
  get size(): number {
    return this.parts.length;
  }

  /** True when `plan` holds exactly what the plan this shape was taken from held then. */
  matches(plan: ShapedPlan): boolean {
    const p = this.parts;
    const { tasks } = plan;
    if (!plainArray(tasks) || p[0] !== tasks.length) return false;
    let i = 1;
    for (let k = 0; k < tasks.length; k++) {
      const t = tasks[k];
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

/** Adds what {@link PlanShape} keeps of `plan` to `parts`; false when it is not plain data. */
function flatten(plan: ShapedPlan, parts: unknown[]): boolean {
  const { tasks } = plan;
  if (!plainArray(tasks)) return false;
  parts.push(tasks.length);
  for (let k = 0; k < tasks.length; k++) {
    const t: unknown = tasks[k];
    if (typeof t !== 'object' || t === null) return false;
    const { id, agent, dependsOn, consumes, produces } = t as Partial<Plan['tasks'][number]>;
    if (typeof id !== 'string' || typeof agent !== 'string') return false;
    parts.push(id, agent);
    if (!pushList(parts, dependsOn) || !pushList(parts, consumes) || !pushList(parts, produces)) return false;
  }
  return pushList(parts, plan.requested) && pushList(parts, plan.excluded);
}

/** An array that a loop over its indexes and one over its iterator see alike. */
function plainArray(list: unknown): list is readonly unknown[] {
  return Array.isArray(list) && Object.getPrototypeOf(list) === Array.prototype && !Object.hasOwn(list, Symbol.iterator);
}

/** Adds `list` to `parts`; false when it is not undefined, null or a plain array of strings. */
function pushList(parts: unknown[], list: unknown): boolean {
  if (list === undefined) parts.push(ABSENT);
  else if (list === null) parts.push(NULL);
  else {
    if (!plainArray(list)) return false;
    parts.push(list.length);
    for (let k = 0; k < list.length; k++) {
      const item = list[k];
      if (typeof item !== 'string') return false;
      parts.push(item);
    }
  }
  return true;
}

/** The index after `list` in `parts` when it matches from `at`, else -1. */
function matchList(parts: readonly unknown[], at: number, list: readonly string[] | null | undefined): number {
  if (list === undefined) return parts[at] === ABSENT ? at + 1 : -1;
  if (list === null) return parts[at] === NULL ? at + 1 : -1;
  // A hole reads as undefined, never one of the strings a shape holds.
  if (!Array.isArray(list) || parts[at] !== list.length) return -1;
  let i = at + 1;
  for (let k = 0; k < list.length; k++) if (parts[i++] !== list[k]) return -1;
  return i;
}

/** Sizes and first and last task ids a {@link PlanMemo} keeps plans for, per key; the oldest go first. */
const CONTENT_KEYS = 32;
/** Plans of different content kept under one size and pair of ids, the last stored first. */
const PLANS_PER_CONTENT_KEY = 4;
/** Values the shapes kept per key hold at most (a 10,000-task plan's shape holds ~80,000). */
const SHAPE_VALUES_PER_KEY = 250_000;

interface Known<V> {
  shape: PlanShape;
  value: V;
}

/** Plans kept by content under one key: by size and first and last ids, and the values their shapes hold. */
interface ByContent<V> {
  plans: Map<string, Array<Known<V>>>;
  values: number;
}

/**
 * Remembers what was worked out from a plan (that it is valid, its compiled DAG), so a plan handed
 * in again unchanged costs one pass of `PlanShape` instead: the same object (a fixed workflow, a
 * static planner), or a new one with the same content (the built-in planner, which plans a goal
 * afresh on every run; a plan parsed from a file or a request). A plan is kept from the second
 * time a plan of its size and first and last task ids comes (a plan seen once is usually a
 * planner's fresh result that will never come back: it costs one small entry), up to
 * {@link PLANS_PER_CONTENT_KEY} of different content under one such key and
 * {@link CONTENT_KEYS} keys, within {@link SHAPE_VALUES_PER_KEY}.
 */
export class PlanMemo<K extends object, V> {
  private readonly byObject = new WeakMap<object, { key: K; known: Known<V> | undefined }>();
  private readonly byContent = new WeakMap<K, ByContent<V>>();

  /** What was stored under `key` for a plan that held what `plan` holds now. */
  get(plan: ShapedPlan, key: K, owner: object = plan): V | undefined {
    const memo = this.byObject.get(owner);
    if (memo?.key === key && memo.known?.shape.matches(plan)) return memo.known.value;
    const content = this.byContent.get(key);
    if (content === undefined) return undefined;
    const id = contentKey(plan);
    const plans = content.plans.get(id);
    if (plans === undefined) return undefined;
    for (const known of plans) {
      if (!known.shape.matches(plan)) continue;
      // Used now: the last of its key's plans to be dropped.
      content.plans.delete(id);
      content.plans.set(id, plans);
      return known.value;
    }
    return undefined;
  }

  /** Stores `value` for `plan` as it is now (kept from the second time on). `owner` is the object it lives with. */
  set(plan: ShapedPlan, key: K, value: V, owner: object = plan): void {
    let content = this.byContent.get(key);
    if (content === undefined) {
      content = { plans: new Map(), values: 0 };
      this.byContent.set(key, content);
    }
    const id = contentKey(plan);
    const memo = this.byObject.get(owner);
    const sameObject = memo?.key === key;
    let plans = content.plans.get(id);
    if (!sameObject && plans === undefined) {
      this.byObject.set(owner, { key, known: undefined });
      content.plans.set(id, []);
      trim(content, id);
      return;
    }
    const shape = PlanShape.of(plan);
    const known = shape && { shape, value };
    if (sameObject) memo.known = known;
    if (known === undefined || known.shape.size > SHAPE_VALUES_PER_KEY) return;
    if (plans === undefined) {
      plans = [];
      content.plans.set(id, plans);
    }
    plans.unshift(known);
    content.values += known.shape.size;
    if (plans.length > PLANS_PER_CONTENT_KEY) content.values -= (plans.pop() as Known<V>).shape.size;
    trim(content, id);
  }
}

/**
 * Drops the oldest keys' plans until `content` is within its bounds, then the oldest plans under
 * `id`, the key just stored, but never the plan just stored there.
 */
function trim<V>(content: ByContent<V>, id: string): void {
  for (const [oldest, plans] of content.plans) {
    if (content.plans.size <= CONTENT_KEYS && content.values <= SHAPE_VALUES_PER_KEY) return;
    if (oldest === id) continue;
    content.plans.delete(oldest);
    for (const known of plans) content.values -= known.shape.size;
  }
  const plans = content.plans.get(id);
  while (plans !== undefined && plans.length > 1 && content.values > SHAPE_VALUES_PER_KEY) content.values -= (plans.pop() as Known<V>).shape.size;
}

/** Where plans of the same content are looked for: their size and first and last task ids. */
function contentKey(plan: ShapedPlan): string {
  const { tasks } = plan;
  if (!Array.isArray(tasks)) return '';
  const first: unknown = (tasks[0] as { id?: unknown } | undefined)?.id;
  const last: unknown = (tasks[tasks.length - 1] as { id?: unknown } | undefined)?.id;
  return `${tasks.length}\n${typeof first === 'string' ? first : ''}\n${typeof last === 'string' ? last : ''}`;
}
