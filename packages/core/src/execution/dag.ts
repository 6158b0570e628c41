import type { PlanTask } from '../core/types.ts';

export type NodeState = 'waiting' | 'ready' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/**
 * The pure bookkeeping of a plan's DAG: which tasks are ready, what a success unlocks, what a
 * failure skips. No I/O and no timers, so every decision is unit-tested directly.
 */
export class DagState {
  private readonly state = new Map<string, NodeState>();
  private readonly missingDeps = new Map<string, number>();
  private readonly dependents = new Map<string, string[]>();
  private readonly readyQueue: string[] = [];
  private readyHead = 0;
  private open: number;

  constructor(tasks: readonly PlanTask[]) {
    for (const t of tasks) {
      this.dependents.set(t.id, []);
      this.missingDeps.set(t.id, t.dependsOn.length);
    }
    for (const t of tasks) {
      for (const d of t.dependsOn) {
        const list = this.dependents.get(d);
        if (!list) throw new Error(`task ${t.id} depends on unknown task ${d}`);
        list.push(t.id);
      }
    }
    this.open = tasks.length;
    for (const t of tasks) {
      if (t.dependsOn.length === 0) {
        this.state.set(t.id, 'ready');
        this.readyQueue.push(t.id);
      } else {
        this.state.set(t.id, 'waiting');
      }
    }
  }

  /** Takes the next ready task, in plan order, marking it running. */
  takeReady(): string | undefined {
    while (this.readyHead < this.readyQueue.length) {
      const id = this.readyQueue[this.readyHead++]!;
      if (this.state.get(id) === 'ready') {
        this.state.set(id, 'running');
        return id;
      }
    }
    return undefined;
  }

  hasReady(): boolean {
    for (let i = this.readyHead; i < this.readyQueue.length; i++) {
      if (this.state.get(this.readyQueue[i]!) === 'ready') return true;
    }
    return false;
  }

  /** Marks a task succeeded; returns the tasks that became ready. */
  succeed(id: string): string[] {
    this.finish(id, 'succeeded');
    const unlocked: string[] = [];
    for (const dep of this.dependents.get(id) ?? []) {
      const left = (this.missingDeps.get(dep) ?? 0) - 1;
      this.missingDeps.set(dep, left);
      if (left === 0 && this.state.get(dep) === 'waiting') {
        this.state.set(dep, 'ready');
        this.readyQueue.push(dep);
        unlocked.push(dep);
      }
    }
    return unlocked;
  }

  /** Marks a task failed; returns every task downstream of it that is now skipped. */
  fail(id: string): string[] {
    this.finish(id, 'failed');
    return this.skipDownstream(id);
  }

  /** Marks a task cancelled (run cancelled or timed out). */
  cancel(id: string): void {
    this.finish(id, 'cancelled');
  }

  /** Puts a task back to ready (used on resume for tasks that were running). */
  requeue(id: string): void {
    if (this.state.get(id) !== 'running') return;
    this.state.set(id, 'ready');
    this.readyQueue.push(id);
  }

  /** Restores a task finished in an earlier process (resume). */
  restore(id: string, state: 'succeeded' | 'failed' | 'skipped'): void {
    if (state === 'succeeded') this.succeed(id);
    else if (state === 'failed') this.fail(id);
    else this.finish(id, 'skipped');
  }

  stateOf(id: string): NodeState | undefined {
    return this.state.get(id);
  }

  /** Tasks not yet finished (waiting, ready or running). */
  unfinished(): string[] {
    const out: string[] = [];
    for (const [id, s] of this.state) if (s === 'waiting' || s === 'ready' || s === 'running') out.push(id);
    return out;
  }

  isDone(): boolean {
    return this.open === 0;
  }

  private finish(id: string, to: NodeState): void {
    const from = this.state.get(id);
    if (from === undefined) throw new Error(`unknown task ${id}`);
    if (from === 'succeeded' || from === 'failed' || from === 'skipped' || from === 'cancelled') return;
    this.state.set(id, to);
    this.open--;
  }

  private skipDownstream(id: string): string[] {
    const skipped: string[] = [];
    const stack = [...(this.dependents.get(id) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop()!;
      const s = this.state.get(next);
      if (s === 'waiting' || s === 'ready') {
        this.finish(next, 'skipped');
        skipped.push(next);
        stack.push(...(this.dependents.get(next) ?? []));
      }
    }
    return skipped;
  }
}
