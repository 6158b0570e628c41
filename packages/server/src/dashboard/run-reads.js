// What a run's page holds after each read of the run: the whole run, or what changed since.

/**
 * A task's record as `changed` (its record in a read of what changed) says it is now, beside the
 * `held` one: `changed` itself, or, when it has only its attempts from `attemptsFrom` on, the held
 * attempts before them and its own. Undefined when the held record has fewer attempts than that.
 */
function taskWithChanges(held, changed) {
  const from = changed.attemptsFrom;
  if (from === undefined) return changed;
  if (held === undefined || held.attempts.length < from) return undefined;
  const task = { ...changed, attempts: held.attempts.slice(0, from).concat(changed.attempts) };
  delete task.attemptsFrom;
  return task;
}

/**
 * The run as `delta` (what changed since `run`'s state) says it is now: changed tasks in place, new
 * ones at the end. Undefined when a changed task's attempts do not follow on from the held ones.
 */
function withChanges(run, delta) {
  const tasks = run.tasks.slice();
  const at = new Map(tasks.map((t, i) => [t.id, i]));
  for (const changed of delta.tasks) {
    const i = at.get(changed.id);
    const t = taskWithChanges(i === undefined ? undefined : tasks[i], changed);
    if (t === undefined) return undefined;
    if (i === undefined) {
      at.set(t.id, tasks.length);
      tasks.push(t);
    } else tasks[i] = t;
  }
  const next = { ...delta, plan: run.plan, tasks };
  if (run.previousPlans) next.previousPlans = run.previousPlans;
  return next;
}

/**
 * Which run under the page's id `read` (api.readRun's answer) is of, beside the held `run`: 0 the
 * same, 1 a run made under the id since (it started later), -1 one deleted since (earlier). The
 * seqs of two runs say nothing of each other.
 */
function runOrder(run, read) {
  // A result without a start (not one of Baton's) is taken for the same run, as before.
  if (run === undefined || read.body.startedAt === run.startedAt || read.body.startedAt === undefined || run.startedAt === undefined) return 0;
  return read.body.startedAt > run.startedAt ? 1 : -1;
}

/** What {@link heldAfter} gives for what changed that does not fold into the run held: the run is to be read whole. */
export const READ_WHOLE = 'read whole';

/**
 * `{ run, seq }` after `read` (api.readRun's answer) of a page holding `run` as it was at event
 * `seq`: the whole run read, or `run` with what changed folded in. Undefined when the read is of
 * an older state than the one held (two reads crossed), of a run deleted since, or what changed in
 * a run made under the same id since: it is not to be drawn. {@link READ_WHOLE} when a changed
 * task's attempts do not follow on from those held.
 */
export function heldAfter(run, seq, read) {
  const order = runOrder(run, read);
  if (order !== 0) return order > 0 && !read.delta ? { run: read.body, seq: read.seq } : undefined;
  if (run && seq !== undefined && read.seq !== undefined && read.seq < seq) return undefined;
  if (!read.delta || !run) return { run: read.body, seq: read.seq };
  const next = withChanges(run, read.body);
  return next === undefined ? READ_WHOLE : { run: next, seq: read.seq };
}

/**
 * What a run's page holds of the run, read after read: `run`, as it was at event `seq`. Reads may
 * cross (a decision's read beside the page's own): each answer is weighed against what is held
 * when it comes, not when it was asked for.
 */
export class HeldRun {
  run = undefined;
  seq = undefined;

  /** Reads with `readRun(since)` (api.readRun); true when the answer is now what is held, false when a newer one came first. */
  async read(readRun) {
    let answer = await readRun(this.run ? this.seq : undefined);
    // What changed in a run made again under its id since: the new run is read whole.
    if (answer.delta && runOrder(this.run, answer) > 0) answer = await readRun(undefined);
    let next = heldAfter(this.run, this.seq, answer);
    if (next === READ_WHOLE) next = heldAfter(this.run, this.seq, await readRun(undefined));
    if (!next || next === READ_WHOLE) return false;
    this.run = next.run;
    this.seq = next.seq;
    return true;
  }
}
