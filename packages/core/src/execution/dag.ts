import type { PlanTask } from '../core/types.ts';
import { PlanMemo } from '../planning/plan-shape.ts';

export type NodeState = 'waiting' | 'ready' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

const STATES: readonly NodeState[] = ['waiting', 'ready', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];
const WAITING = 0;
const READY = 1;
const RUNNING = 2;
const SUCCEEDED = 3;
const FAILED = 4;
const SKIPPED = 5;
const CANCELLED = 6;

/** The links of a plan's tasks by position, worked out once per plan object. */
interface CompiledDag {
  ids: readonly string[];
  position: ReadonlyMap<string, number>;
  /** How many tasks each task waits for. */
  dependencies: Int32Array;
  /** The dependents of task i are `dependents[dependentsFrom[i] .. dependentsFrom[i + 1])`. */
  dependentsFrom: Int32Array;
  dependents: Int32Array;
}

const compiled = new PlanMemo<typeof compile, CompiledDag>();

function compile(tasks: readonly PlanTask[]): CompiledDag {
  const n = tasks.length;
  const ids: string[] = new Array<string>(n);
  const position = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = tasks[i]!.id;
    if (position.has(id)) throw new Error(`task ${id} appears twice in the plan`);
    position.set(id, i);
    ids[i] = id;
  }
  const dependencies = new Int32Array(n);
  const dependentsFrom = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const t = tasks[i]!;
    dependencies[i] = t.dependsOn.length;
    for (const d of t.dependsOn) {
      const at = position.get(d);
      if (at === undefined) throw new Error(`task ${t.id} depends on unknown task ${d}`);
      dependentsFrom[at + 1]!++;
    }
  }
  for (let i = 0; i < n; i++) dependentsFrom[i + 1]! += dependentsFrom[i]!;
  const dependents = new Int32Array(dependentsFrom[n]!);
  const filled = dependentsFrom.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (const d of tasks[i]!.dependsOn) dependents[filled[position.get(d)!]!++] = i;
  }
  return { ids, position, dependencies, dependentsFrom, dependents };
}

function compiledOf(tasks: readonly PlanTask[]): CompiledDag {
  const view = { tasks: tasks as PlanTask[] };
  let dag = compiled.get(view, compile, tasks);
  if (!dag) {
    dag = compile(tasks);
    compiled.set(view, compile, dag, tasks);
  }
  return dag;
}

/**
 * The pure bookkeeping of a plan's DAG: which tasks are ready, what a success unlocks, what a
 * failure skips. No I/O and no timers, so every decision is unit-tested directly. The links are
 * worked out once per plan object (while it does not change); each run keeps only its states.
 */
export class DagState {
  private readonly dag: CompiledDag;
  private readonly state: Uint8Array;
  private readonly missing: Int32Array;
  private readonly readyQueue: number[] = [];
  private readyHead = 0;
  private open: number;

  constructor(tasks: readonly PlanTask[]) {
    this.dag = compiledOf(tasks);
    const n = this.dag.ids.length;
    this.state = new Uint8Array(n);
    this.missing = this.dag.dependencies.slice();
    this.open = n;
    for (let i = 0; i < n; i++) {
      if (this.missing[i] === 0) {
        this.state[i] = READY;
        this.readyQueue.push(i);
      }
    }
  }

  /** Takes the next ready task, in plan order, marking it running. */
  takeReady(): string | undefined {
    while (this.readyHead < this.readyQueue.length) {
      const i = this.readyQueue[this.readyHead++]!;
      if (this.state[i] === READY) {
        this.state[i] = RUNNING;
        return this.dag.ids[i];
      }
    }
    return undefined;
  }

  hasReady(): boolean {
    for (let i = this.readyHead; i < this.readyQueue.length; i++) {
      if (this.state[this.readyQueue[i]!] === READY) return true;
    }
    return false;
  }

  /**
   * Marks a task succeeded; returns how many tasks became ready ({@link takeReady} hands them out).
   * A count, not their ids: a list made per task of every run was ~150 B that nobody read.
   */
  succeed(id: string): number {
    const at = this.positionOf(id);
    this.finish(at, SUCCEEDED);
    let unlocked = 0;
    const { dependents, dependentsFrom } = this.dag;
    for (let k = dependentsFrom[at]!; k < dependentsFrom[at + 1]!; k++) {
      const dep = dependents[k]!;
      if (--this.missing[dep]! === 0 && this.state[dep] === WAITING) {
        this.state[dep] = READY;
        this.readyQueue.push(dep);
        unlocked++;
      }
    }
    return unlocked;
  }

  /** Marks a task failed; returns every task downstream of it that is now skipped. */
  fail(id: string): string[] {
    const at = this.positionOf(id);
    this.finish(at, FAILED);
    return this.skipDownstream(at);
  }

  /** Marks a task cancelled (run cancelled or timed out). */
  cancel(id: string): void {
    this.finish(this.positionOf(id), CANCELLED);
  }

  /** Puts a task back to ready (used on resume for tasks that were running). */
  requeue(id: string): void {
    const at = this.positionOf(id);
    if (this.state[at] !== RUNNING) return;
    this.state[at] = READY;
    this.readyQueue.push(at);
  }

  /** Restores a task finished in an earlier process (resume). */
  restore(id: string, state: 'succeeded' | 'failed' | 'skipped'): void {
    if (state === 'succeeded') this.succeed(id);
    else if (state === 'failed') this.fail(id);
    else this.finish(this.positionOf(id), SKIPPED);
  }

  /** The task's position in the plan, or undefined when the plan has no such task. */
  indexOf(id: string): number | undefined {
    return this.dag.position.get(id);
  }

  stateOf(id: string): NodeState | undefined {
    const at = this.dag.position.get(id);
    return at === undefined ? undefined : STATES[this.state[at]!];
  }

  /** Tasks not yet finished (waiting, ready or running). */
  unfinished(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.state.length; i++) if (this.state[i]! <= RUNNING) out.push(this.dag.ids[i]!);
    return out;
  }

  isDone(): boolean {
    return this.open === 0;
  }

  private positionOf(id: string): number {
    const at = this.dag.position.get(id);
    if (at === undefined) throw new Error(`unknown task ${id}`);
    return at;
  }

  private finish(at: number, to: number): void {
    if (this.state[at]! > RUNNING) return;
    this.state[at] = to;
    this.open--;
  }

  private skipDownstream(at: number): string[] {
    const skipped: string[] = [];
    const { dependents, dependentsFrom, ids } = this.dag;
    const stack: number[] = [];
    for (let k = dependentsFrom[at]!; k < dependentsFrom[at + 1]!; k++) stack.push(dependents[k]!);
    while (stack.length > 0) {
      const next = stack.pop()!;
      const s = this.state[next];
      if (s === WAITING || s === READY) {
        this.finish(next, SKIPPED);
        skipped.push(ids[next]!);
        for (let k = dependentsFrom[next]!; k < dependentsFrom[next + 1]!; k++) stack.push(dependents[k]!);
      }
    }
    return skipped;
  }
}
