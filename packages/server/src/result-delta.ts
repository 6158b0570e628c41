import { reshapesRun } from 'batonjs/internal';
import type { RunEvent, RunResultBuilder } from 'batonjs/internal';

/** What folding an event changed: a task's record (its id), the plan or records it does not name (`false`), or nothing of either (`null`). */
export type Touch = string | false | null;

/** What folding `event` into a run's result changes (see {@link Touch}), for a reader of changes since an event. */
export function touchOf(event: RunEvent): Touch {
  if (reshapesRun(event)) return false;
  return 'taskId' in event && event.taskId !== undefined ? event.taskId : null;
}

/**
 * The JSON of what changed in `builder`'s result since an earlier state, when only the records of
 * the tasks `changed` names changed: the result without its plan, whose `tasks` are those records
 * (a record the plan dropped stays in the builder, and is not the result's).
 */
export function deltaJson(builder: RunResultBuilder, changed: ReadonlySet<string>): string | undefined {
  const r = builder.current();
  if (!r) return undefined;
  const tasks = [];
  const current = changed.size > 0 ? new Set(r.tasks) : undefined;
  for (const id of changed) {
    const t = builder.taskResult(id);
    if (t && current?.has(t)) tasks.push(t);
  }
  const { plan: _plan, previousPlans: _previous, tasks: _all, ...rest } = r;
  return JSON.stringify({ ...rest, tasks });
}
