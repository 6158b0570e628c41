import { BatonError } from '../core/errors.ts';
import type { Plan, PlanTask } from '../core/types.ts';

/**
 * Orders items so that each comes after everything it depends on (Kahn's algorithm). Among items
 * ready at the same time the lowest `rank` goes first, so the order is deterministic. Dependencies
 * on unknown ids are ignored. Returns `undefined` when the items contain a cycle.
 */
export function orderByDependencies<T>(
  items: readonly T[],
  idOf: (item: T) => string,
  dependenciesOf: (item: T) => readonly string[],
  rankOf: (item: T, index: number) => number,
): T[] | undefined {
  const byId = new Map<string, { item: T; rank: number }>();
  items.forEach((item, index) => {
    if (!byId.has(idOf(item))) byId.set(idOf(item), { item, rank: rankOf(item, index) });
  });
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [id, { item }] of byId) {
    const deps = new Set(dependenciesOf(item).filter((d) => byId.has(d)));
    waitingOn.set(id, deps.size);
    for (const d of deps) {
      const list = dependents.get(d);
      if (list) list.push(id);
      else dependents.set(d, [id]);
    }
  }
  const ready = new MinHeap<{ id: string; rank: number }>((a, b) => a.rank - b.rank);
  for (const [id, count] of waitingOn) if (count === 0) ready.push({ id, rank: byId.get(id)?.rank ?? 0 });

  const ordered: T[] = [];
  for (let next = ready.pop(); next !== undefined; next = ready.pop()) {
    const entry = byId.get(next.id);
    if (entry) ordered.push(entry.item);
    for (const dependent of dependents.get(next.id) ?? []) {
      const left = (waitingOn.get(dependent) ?? 0) - 1;
      waitingOn.set(dependent, left);
      if (left === 0) ready.push({ id: dependent, rank: byId.get(dependent)?.rank ?? 0 });
    }
  }
  return ordered.length === byId.size ? ordered : undefined;
}

/**
 * The plan's tasks in dependency order; tasks ready at the same time keep their order in the plan.
 * Deterministic. Dependencies on unknown task ids are ignored (`validatePlan` reports them).
 *
 * @throws BatonError `PLAN_INVALID` when the tasks depend on each other in a cycle (the cycle is named).
 */
export function topologicalOrder(plan: Plan): PlanTask[] {
  const ordered = orderByDependencies(plan.tasks, (t) => t.id, (t) => t.dependsOn, (_t, i) => i);
  if (ordered) return ordered;
  const cycles = findCycles(plan.tasks).map((c) => c.join(' → '));
  throw new BatonError('PLAN_INVALID', `the plan's tasks depend on each other in a cycle: ${cycles.join('; ')}`, {
    retryable: false,
  });
}

/** "Does task `a` depend on task `b`, directly or through other tasks?", and the tasks asked about that `a` depends on. */
export interface Upstream {
  (a: string, b: string): boolean;
  /**
   * The tasks that may be asked about as `b` which `a` depends on, directly or not, in no set
   * order: read from `a`'s row at once, where asking about each candidate in turn is quadratic
   * when thousands of tasks make one artifact.
   */
  among(a: string): string[];
}

/**
 * Answers "does task `a` depend on task `b`, directly or through other tasks?". For a DAG the answer
 * is read from bit sets filled once in topological order: a row per task, a column per task that
 * may be asked about as `b` (`upstream`; every task when not given), so O((tasks + links) ×
 * columns / 32) in time and tasks × columns / 32 words of memory. Naming the few tasks that will
 * be asked about keeps a plan of tens of thousands of tasks linear, where a column per task was
 * quadratic (20,000 tasks: 50 MB). A plan with a cycle, invalid anyway, is walked breadth-first
 * per task. Unknown ids, and a `b` not in `upstream`, are never upstream.
 */
export function dependsTransitively(tasks: readonly PlanTask[], upstream?: Iterable<string>): Upstream {
  const position = new Map<string, number>();
  const unique: PlanTask[] = [];
  for (const t of tasks) {
    if (position.has(t.id)) continue;
    position.set(t.id, unique.length);
    unique.push(t);
  }
  const ordered = orderByDependencies(unique, (t) => t.id, (t) => t.dependsOn, (_t, i) => i);
  if (!ordered) return walkingClosure(unique, upstream);

  // The column of each task's position, or -1 when it is never asked about.
  const column = new Int32Array(unique.length).fill(-1);
  let columns = 0;
  if (upstream === undefined) {
    for (let i = 0; i < unique.length; i++) column[i] = columns++;
  } else {
    for (const id of upstream) {
      const p = position.get(id);
      if (p !== undefined && column[p] === -1) column[p] = columns++;
    }
  }
  const words = Math.ceil(columns / 32);
  const bits = new Uint32Array(unique.length * words);
  for (const t of ordered) {
    const row = (position.get(t.id) ?? 0) * words;
    for (const dep of t.dependsOn) {
      const d = position.get(dep);
      if (d === undefined || dep === t.id) continue;
      const c = column[d]!;
      if (c >= 0) bits[row + (c >>> 5)] = (bits[row + (c >>> 5)] ?? 0) | (1 << (c & 31));
      for (let w = 0; w < words; w++) bits[row + w] = (bits[row + w] ?? 0) | (bits[d * words + w] ?? 0);
    }
  }
  const test = (a: string, b: string): boolean => {
    const row = position.get(a);
    const at = position.get(b);
    if (row === undefined || at === undefined) return false;
    const c = column[at]!;
    return c >= 0 && ((bits[row * words + (c >>> 5)] ?? 0) & (1 << (c & 31))) !== 0;
  };
  const idOfColumn: string[] = new Array<string>(columns);
  for (let i = 0; i < unique.length; i++) if (column[i]! >= 0) idOfColumn[column[i]!] = unique[i]!.id;
  const among = (a: string): string[] => {
    const row = position.get(a);
    const found: string[] = [];
    if (row === undefined) return found;
    for (let w = 0; w < words; w++) {
      let word = bits[row * words + w] ?? 0;
      while (word !== 0) {
        const low = word & -word;
        found.push(idOfColumn[w * 32 + 31 - Math.clz32(low)]!);
        word ^= low;
      }
    }
    return found;
  };
  return Object.assign(test, { among });
}

function walkingClosure(tasks: readonly PlanTask[], upstream?: Iterable<string>): Upstream {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const memo = new Map<string, Set<string>>();
  const ancestors = (id: string): Set<string> => {
    const cached = memo.get(id);
    if (cached) return cached;
    const seen = new Set<string>();
    const queue = [...(byId.get(id)?.dependsOn ?? [])];
    for (let i = 0; i < queue.length; i++) {
      const dep = byId.get(queue[i] as string);
      if (!dep || seen.has(dep.id)) continue;
      seen.add(dep.id);
      queue.push(...dep.dependsOn);
    }
    memo.set(id, seen);
    return seen;
  };
  const asked = upstream === undefined ? undefined : new Set(upstream);
  return Object.assign((a: string, b: string) => (asked === undefined || asked.has(b)) && ancestors(a).has(b), {
    among: (a: string) => [...ancestors(a)].filter((id) => asked === undefined || asked.has(id)),
  });
}

/**
 * One cycle per group of tasks that depend on each other, each as the list of ids along it with the
 * first id repeated at the end (`['a', 'b', 'a']`; a task depending on itself gives `['a', 'a']`).
 * Groups are found with Tarjan's algorithm, so each tangle is reported once however many loops it has.
 */
export function findCycles(tasks: readonly PlanTask[]): string[][] {
  const deps = new Map<string, string[]>();
  for (const t of tasks) if (!deps.has(t.id)) deps.set(t.id, t.dependsOn);
  const edgesOf = (id: string): string[] => (deps.get(id) ?? []).filter((d) => deps.has(d));

  const cycles: string[][] = [];
  for (const component of stronglyConnected([...deps.keys()], edgesOf)) {
    const start = component[0];
    if (start === undefined) continue;
    if (component.length === 1 && !edgesOf(start).includes(start)) continue;
    const members = new Set(component);
    cycles.push(cycleThrough(start, (id) => edgesOf(id).filter((d) => members.has(d))));
  }
  return cycles;
}

/**
 * A shortest path from `start` back to itself inside a strongly connected group, following
 * dependsOn links: `[a, b, a]` reads "a depends on b, which depends on a".
 */
function cycleThrough(start: string, edgesOf: (id: string) => string[]): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    for (const next of edgesOf(id)) {
      if (next === start) {
        // Walk back: every node reached has its predecessor in cameFrom; start has none.
        const path = [id];
        for (let at = cameFrom.get(id); at !== undefined; at = cameFrom.get(at)) path.push(at);
        return [...path.reverse(), start];
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, id);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/** Tarjan's strongly connected components, iterative so deep plans cannot overflow the stack. */
function stronglyConnected(ids: readonly string[], edgesOf: (id: string) => string[]): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];

  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { id: string; edges: string[]; next: number }[] = [];
    const visit = (id: string): void => {
      index.set(id, counter);
      low.set(id, counter);
      counter++;
      stack.push(id);
      onStack.add(id);
      work.push({ id, edges: edgesOf(id), next: 0 });
    };
    visit(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { id: string; edges: string[]; next: number };
      const edge = frame.edges[frame.next++];
      if (edge !== undefined) {
        if (!index.has(edge)) visit(edge);
        else if (onStack.has(edge)) low.set(frame.id, Math.min(low.get(frame.id) ?? 0, index.get(edge) ?? 0));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) ?? 0, low.get(frame.id) ?? 0));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop();
          if (member === undefined) break;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        components.push(component.reverse());
      }
    }
  }
  return components;
}

/** A binary min-heap: the ready set of `orderByDependencies`, O(log n) per step. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly compare: (a: T, b: T) => number) {}

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i] as T, items[parent] as T) >= 0) break;
      [items[i], items[parent]] = [items[parent] as T, items[i] as T];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && this.compare(items[left] as T, items[smallest] as T) < 0) smallest = left;
      if (right < items.length && this.compare(items[right] as T, items[smallest] as T) < 0) smallest = right;
      if (smallest === i) return top;
      [items[i], items[smallest]] = [items[smallest] as T, items[i] as T];
      i = smallest;
    }
  }
}
