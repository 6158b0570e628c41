// What a run's page holds after each read of the run: the whole run, or what changed since.

/** The run as `delta` (what changed since `run`'s state) says it is now: changed tasks in place, new ones at the end. */
function withChanges(run, delta) {
  const tasks = run.tasks.slice();
  const at = new Map(tasks.map((t, i) => [t.id, i]));
  for (const t of delta.tasks) {
    const i = at.get(t.id);
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

/**
 * `{ run, seq }` after `read` (api.readRun's answer) of a page holding `run` as it was at event
 * `seq`: the whole run read, or `run` with what changed folded in. Undefined when the read is of
 * an older state than the one held (two reads crossed), of a run deleted since, or what changed in
 * a run made under the same id since: it is not to be drawn.
 */
export function heldAfter(run, seq, read) {
  const order = runOrder(run, read);
  if (order !== 0) return order > 0 && !read.delta ? { run: read.body, seq: read.seq } : undefined;
  if (run && seq !== undefined && read.seq !== undefined && read.seq < seq) return undefined;
  return { run: read.delta && run ? withChanges(run, read.body) : read.body, seq: read.seq };
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
    const next = heldAfter(this.run, this.seq, answer);
    if (!next) return false;
    this.run = next.run;
    this.seq = next.seq;
    return true;
  }
}
