import { reshapesRun } from 'batonjs/internal';
import type { AttemptRecord, RunEvent, RunResultBuilder, TaskResult } from 'batonjs/internal';

/** What folding an event changed: a task's record (its id), the plan or records it does not name (`false`), or nothing of either (`null`). */
type Touch = string | false | null;

/** What folding `event` into a run's result changes (see {@link Touch}), for a reader of changes since an event. */
function touchOf(event: RunEvent): Touch {
  if (reshapesRun(event)) return false;
  return 'taskId' in event && event.taskId !== undefined ? event.taskId : null;
}

/** The attempt whose record folding `event` adds or changes, by its id; undefined for an event that changes none. */
function attemptIdOf(event: RunEvent): string | undefined {
  return event.type === 'task.started' || event.type === 'task.attempt.failed' || event.type === 'task.succeeded' ? event.attemptId : undefined;
}

/** The tasks whose records changed since a read, each with the ids of the attempts whose records were added or changed. */
type ChangedTasks = Map<string, Set<string>>;

/** Notes in `changed` that task `taskId`'s record changed, and attempt `attemptId`'s with it when given. */
function noteChange(changed: ChangedTasks, taskId: string, attemptId: string | undefined): void {
  let attempts = changed.get(taskId);
  if (attempts === undefined) changed.set(taskId, (attempts = new Set()));
  if (attemptId !== undefined) attempts.add(attemptId);
}

/**
 * What each event folded into a run's result changed (see {@link touchOf}) and which attempt's
 * record, from the event of seq `first` on: enough to say what changed since any of them without
 * keeping the events (a task retried thousands of times has three events per attempt). Events
 * come in seq order; one that does not follow on from the last starts it afresh, since what the
 * events of the gap changed is not known.
 */
export class EventTouches {
  private touched: Touch[] = [];
  private attempts: (string | undefined)[] = [];
  private first = 0;
  private last = 0;

  /** Notes what folding `event` changes. */
  note(event: RunEvent): void {
    if (this.touched.length > 0 && event.seq !== this.last + 1) {
      this.touched = [];
      this.attempts = [];
    }
    if (this.touched.length === 0) this.first = event.seq;
    this.touched.push(touchOf(event));
    this.attempts.push(attemptIdOf(event));
    this.last = event.seq;
  }

  /** How many events are noted. */
  get size(): number {
    return this.touched.length;
  }

  /**
   * {@link deltaJson} of `builder`'s result for a reader that holds it as it was at event
   * `sinceSeq`; undefined when only the whole result can say it: `sinceSeq` is before the first
   * event noted or after the last, or an event since changed the plan or records it does not name.
   */
  since(builder: RunResultBuilder, sinceSeq: number, attempts: AttemptsSent = 'all'): string | undefined {
    if (this.touched.length === 0 || sinceSeq < this.first || sinceSeq > this.last) return undefined;
    const changed: ChangedTasks = new Map();
    for (let i = sinceSeq + 1 - this.first; i < this.touched.length; i++) {
      const touch = this.touched[i]!;
      if (touch === false) return undefined;
      if (touch !== null) noteChange(changed, touch, this.attempts[i]);
    }
    return deltaJson(builder, changed, attempts);
  }
}

/** How a read of what changed sends a changed task's attempts: all of them, or from the first one changed on (`attemptsFrom`). */
export type AttemptsSent = 'all' | 'changed';

/** A task's record in a read of what changed that sends only its attempts from index `attemptsFrom` on. */
type TaskChanges = TaskResult & { attemptsFrom?: number };

/**
 * The JSON of what changed in `builder`'s result since an earlier state, when only the records of
 * the tasks `changed` names changed: the result without its plan, whose `tasks` are those records
 * (a record the plan dropped stays in the builder, and is not the result's). With `attempts`
 * `'changed'`, a record whose first attempts did not change has only the attempts from the first
 * changed or added on, and `attemptsFrom`, the index of the first of them: a task retried
 * thousands of times is not sent whole at every read.
 */
function deltaJson(builder: RunResultBuilder, changed: ChangedTasks, attempts: AttemptsSent = 'all'): string | undefined {
  const r = builder.current();
  if (!r) return undefined;
  const tasks: TaskChanges[] = [];
  const current = changed.size > 0 ? new Set(r.tasks) : undefined;
  for (const [id, attemptIds] of changed) {
    const t = builder.taskResult(id);
    if (!t || !current?.has(t)) continue;
    const from = attempts === 'changed' ? firstChanged(t.attempts, attemptIds) : 0;
    tasks.push(from === 0 ? t : { ...t, attempts: t.attempts.slice(from), attemptsFrom: from });
  }
  const { plan: _plan, previousPlans: _previous, tasks: _all, ...rest } = r;
  return JSON.stringify({ ...rest, tasks });
}

/**
 * The index of the first of `attempts` that `ids` names, looked for from the last (the ones
 * changed are the last, nearly always); the length when `ids` is empty, and 0 when one of them is
 * not found (the whole list is sent).
 */
function firstChanged(attempts: readonly AttemptRecord[], ids: ReadonlySet<string>): number {
  if (ids.size === 0) return attempts.length;
  const left = new Set(ids);
  for (let i = attempts.length - 1; i >= 0; i--) if (left.delete(attempts[i]!.attemptId) && left.size === 0) return i;
  return 0;
}
