/**
 * Plans written by a person rather than a planner (DESIGN section 9): a `--plan` file, `{plan}` over
 * HTTP, a manifest's `workflows:`. A task needs only its id and agent; what it consumes and
 * produces comes from the agent, and what it depends on from the tasks that produce its inputs.
 * The result goes through the same validation as any planner's plan.
 */
import { ownValue } from '../core/artifact-names.ts';
import type { z } from 'zod';
import { BatonError } from '../core/errors.ts';
import type { Manifest, Plan, PlanTask } from '../core/types.ts';
import { didYouMean } from '../manifest/describe.ts';
import { DataShape } from './data-shape.ts';
import { PROBLEMS_KEPT, problemList } from '../core/problem-list.ts';
import { DERIVED_PRODUCERS_KEPT, noteProducersLeftOut, planProblems } from './validate-plan.ts';
import type { PlanProblem } from './validate-plan.ts';
import { planInputSchemas, type PlanInputSchemas } from './plan-input-schema.ts';

/** One task as a person writes it: `{ id: f, agent: flights }`, the rest optional. */
export type TaskInput = z.input<PlanInputSchemas['taskInputSchema']>;
/** A plan as a person writes it (the shape of `plan` in `baton plan --json`). */
export type PlanInput = z.input<PlanInputSchemas['planInputSchema']>;

/**
 * Fills in what a task left out from its agent: title, consumes, produces, and dependsOn (every
 * other task of the plan producing something it consumes; of an artifact that many produce, the
 * first few, which validation finds ambiguous all the same). A task whose agent the manifest does
 * not know keeps empty lists: validation names it.
 */
export function completePlan(input: z.output<PlanInputSchemas['planInputSchema']>, manifest: Manifest): Plan {
  const tasks: PlanTask[] = input.tasks.map((t) => {
    const spec = ownValue(manifest.agents, t.agent);
    const task: PlanTask = {
      id: t.id,
      title: t.title ?? spec?.description ?? t.id,
      instructions: t.instructions ?? '',
      agent: t.agent,
      dependsOn: t.dependsOn ?? [],
      consumes: t.consumes ?? spec?.consumes ?? [],
      produces: t.produces ?? spec?.produces ?? [],
    };
    if (t.reason !== undefined) task.reason = t.reason;
    return task;
  });
  // Producers by artifact, in plan order: looking each task's inputs up here keeps a plan of
  // thousands of tasks linear, where scanning every other task for each was quadratic.
  const producers = new Map<string, number[]>();
  tasks.forEach((task, i) => {
    for (const artifact of task.produces) {
      const list = producers.get(artifact);
      if (list === undefined) producers.set(artifact, [i]);
      else if (list.at(-1) !== i) list.push(i);
    }
  });
  input.tasks.forEach((t, i) => {
    if (t.dependsOn !== undefined) return;
    const task = tasks[i]!;
    const from = new Set<number>();
    for (const artifact of task.consumes) {
      // Two producers make the input ambiguous, and validation refuses it: listing thousands
      // would only make a plan of thousands of such tasks quadratic (in time and memory).
      let kept = 0;
      for (const p of producers.get(artifact) ?? []) {
        if (p === i) continue;
        if (kept === DERIVED_PRODUCERS_KEPT) {
          noteProducersLeftOut(task, artifact);
          break;
        }
        from.add(p);
        kept++;
      }
    }
    task.dependsOn = [...new Set([...from].sort((a, b) => a - b).map((p) => tasks[p]!.id))];
  });
  const plan: Plan = { tasks };
  if (input.requested !== undefined) plan.requested = input.requested;
  if (input.notes !== undefined) plan.notes = input.notes;
  if (input.excluded !== undefined) plan.excluded = input.excluded;
  return plan;
}

/** One problem of a plan given as input, with where it is: `plan.tasks[1]`. */
export interface FixedPlanProblem extends PlanProblem {
  /** `tasks[1].agent`, `tasks[0]`, or `` for the plan as a whole. */
  path: string;
}

/**
 * Checks a plan given as input against a manifest: its shape, then (completed) the rules every
 * plan must meet (`available`: artifacts the run already made). Returns the plan to run, or every
 * problem found.
 */
export function checkPlanInput(raw: unknown, manifest: Manifest, available: readonly string[] = []): { plan: Plan } | { problems: FixedPlanProblem[] } {
  const unwrapped = isRecord(raw) && !('tasks' in raw) && isRecord(raw['plan']) ? raw['plan'] : raw;
  const { planInputSchema, taskInputSchema } = planInputSchemas();
  const shape = planInputSchema.safeParse(unwrapped, { reportInput: true });
  if (!shape.success) {
    return {
      problems: shape.error.issues.flatMap((i) => {
        const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
        const taskIndex = i.path[0] === 'tasks' && typeof i.path[1] === 'number' ? i.path[1] : undefined;
        const id = taskIndex === undefined ? undefined : (unwrapped as { tasks: { id?: unknown }[] }).tasks[taskIndex]?.id;
        const task = typeof id === 'string' ? { taskId: id } : {};
        if (i.code === 'unrecognized_keys') {
          const known = Object.keys(taskIndex === undefined ? planInputSchema.shape : taskInputSchema.shape);
          return i.keys.map((k) => ({ path, ...task, message: `unknown key "${k}"${didYouMean(k, known)}; expected: ${known.join(', ')}` }));
        }
        const message = i.code === 'invalid_type' && i.input === undefined ? `missing: expected ${i.expected === 'array' ? 'a list' : `a ${i.expected}`}` : i.message;
        return [{ path, ...task, message }];
      }),
    };
  }
  const plan = completePlan(shape.data, manifest);
  const problems = planProblems(plan, manifest, available);
  if (problems.length === 0) return { plan };
  // The first task of each id, as findIndex would give it, without a pass over the plan per problem.
  const indexOf = new Map<string, number>();
  plan.tasks.forEach((t, i) => {
    if (!indexOf.has(t.id)) indexOf.set(t.id, i);
  });
  return {
    problems: problems.map((p) => {
      const index = p.taskId === undefined ? undefined : indexOf.get(p.taskId);
      return { ...p, path: index === undefined ? '' : `tasks[${index}]` };
    }),
  };
}

/** What checking a plan object against a manifest gave, and the object's shape then. */
interface Checked {
  shape: DataShape;
  outcome: Plan | BatonError;
}

const checked = new WeakMap<object, WeakMap<Manifest, Checked>>();

/**
 * The plan to run for a plan given with a run (`RunOptions.plan`): the `plan` member of `baton plan
 * --json` or that whole output, tasks completed from their agents, checked like any planner's
 * plan. Checked once per plan object and manifest while it stays as it was: the same object given
 * to many runs is not checked again, and is checked again once changed in place.
 *
 * @throws BatonError `BAD_REQUEST` naming each task and what is wrong with it.
 */
export function fixedPlanOf(raw: object, manifest: Manifest, what = 'the plan given'): Plan {
  let byManifest = checked.get(raw);
  if (!byManifest) {
    byManifest = new WeakMap();
    checked.set(raw, byManifest);
  }
  const known = byManifest.get(manifest);
  let outcome: Plan | BatonError;
  if (known?.shape.matches(raw)) outcome = known.outcome;
  else {
    const result = checkPlanInput(raw, manifest);
    outcome = 'plan' in result ? result.plan : planInputError(what, result.problems);
    const shape = DataShape.of(raw);
    if (shape) byManifest.set(manifest, { shape, outcome });
    else byManifest.delete(manifest);
  }
  if (BatonError.isInstance(outcome)) throw outcome;
  return outcome;
}

/**
 * An edited plan given with an approval, checked like a plan given with a run (`available`: the
 * artifacts the run already made).
 * @throws BatonError `BAD_REQUEST` naming each task and what is wrong with it.
 */
export function editedPlanOf(raw: unknown, manifest: Manifest, available: readonly string[]): Plan {
  const checked = checkPlanInput(raw, manifest, available);
  if ('problems' in checked) throw planInputError('the edited plan', checked.problems);
  return checked.plan;
}

/** The error for a plan given as input that cannot run. */
export function planInputError(what: string, problems: readonly FixedPlanProblem[]): BatonError {
  const line = (p: FixedPlanProblem): string => `${p.path ? `plan.${p.path}` : 'plan'}${p.taskId !== undefined && !p.message.includes(`"${p.taskId}"`) ? ` (task "${p.taskId}")` : ''}: ${p.message}`;
  return new BatonError('BAD_REQUEST', `${what} is not a valid plan ${problemList(problems, line)}`, {
    retryable: false,
    details: problems.slice(0, PROBLEMS_KEPT),
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
