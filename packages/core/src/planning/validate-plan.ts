import { ownValue } from '../core/artifact-names.ts';
import { BatonError } from '../core/errors.ts';
import { PROBLEMS_KEPT, problemList } from '../core/problem-list.ts';
import type { Manifest, Plan, PlanTask } from '../core/types.ts';
import { dependsTransitively, findCycles } from './plan-graph.ts';
import { PlanMemo } from './plan-shape.ts';

/** One thing wrong with a plan, worded so it can be sent back to a planner (an LLM) to fix. */
export interface PlanProblem {
  /** The task the problem is about, when it is about one. */
  taskId?: string;
  message: string;
}

/** What a task id must look like. */
export const TASK_ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Checks a plan against the manifest and returns every problem found (empty when the plan is valid).
 * Every planner's output goes through this, so the rules are the contract of a plan:
 * - at least one task; ids unique and matching `^[a-z0-9][a-z0-9-]*$`;
 * - each task's agent is defined and is one of `orchestrator.subagents`;
 * - `produces` is non-empty and within the agent's produces; `consumes` is within the agent's consumes;
 * - `dependsOn` names tasks of the plan, and the tasks do not depend on each other in a cycle;
 * - every consumed artifact is produced by exactly one task the consumer (transitively) depends on;
 * - every artifact in `requested` is produced by some task;
 * - nothing in `excluded` is delivered (in `requested`, or, without `requested`, made by a last task).
 *
 * `available` lists artifact types that already exist (made earlier in the run, before a re-plan):
 * a task may consume one of them without a task producing it upstream, and `requested` may name them.
 */
export function validatePlan(plan: Plan, manifest: Manifest, available: readonly string[] = []): PlanProblem[] {
  const problems: PlanProblem[] = [];
  if (plan.tasks.length === 0) {
    problems.push({ message: `the plan has no tasks; add at least one task for one of the subagents: ${list(manifest.orchestrator.subagents)}` });
    return problems;
  }
  const ids = new Set(plan.tasks.map((t) => t.id));
  const lists = new ListLookup();
  problems.push(...checkIds(plan.tasks));
  for (const task of plan.tasks) problems.push(...checkAgentFit(task, manifest, lists), ...checkDependsOn(task, ids));
  for (const cycle of findCycles(plan.tasks)) {
    problems.push({
      ...taskRef(cycle[0]),
      message: `tasks depend on each other in a cycle: ${cycleText(cycle)} (each depends on the next); remove one of these dependsOn links`,
    });
  }
  const existing = new Set(available);
  problems.push(...checkInputs(plan.tasks, manifest, existing, lists), ...checkRequested(plan, existing), ...checkExcluded(plan));
  return problems;
}

const validPlans = new PlanMemo<Manifest, true>();

/**
 * {@link validatePlan}'s problems, with a plan found valid before against the same manifest (the
 * same plan object unchanged, or a new one with the same ids, agents, links and artifact lists:
 * `PlanMemo`) not checked again: a plan handed to every run, or made afresh with the same content
 * on every run, is validated once.
 */
export function planProblems(plan: Plan, manifest: Manifest, available: readonly string[] = []): PlanProblem[] {
  const reusable = available.length === 0;
  if (reusable && validPlans.get(plan, manifest)) return [];
  const problems = validatePlan(plan, manifest, available);
  if (problems.length === 0 && reusable) validPlans.set(plan, manifest, true);
  return problems;
}

/** Tasks of a cycle named in its problem. */
const CYCLE_SHOWN = 20;

/** `a → b → a`; past {@link CYCLE_SHOWN} tasks, the first ones, the last, and how many there are. */
function cycleText(cycle: readonly string[]): string {
  if (cycle.length <= CYCLE_SHOWN + 1) return cycle.join(' → ');
  const tasks = cycle.at(-1) === cycle[0] ? cycle.length - 1 : cycle.length;
  return `${cycle.slice(0, CYCLE_SHOWN).join(' → ')} → ... → ${cycle.at(-1)!} (${tasks} tasks in all)`;
}

/**
 * Throws when the plan is not valid; a plan found valid before is not checked again (see
 * {@link planProblems}).
 *
 * @throws BatonError `PLAN_INVALID` listing the problems (the first 50, and how many more);
 * `details` holds the `PlanProblem[]` (the first 100).
 */
export function assertValidPlan(plan: Plan, manifest: Manifest, available: readonly string[] = []): void {
  const problems = planProblems(plan, manifest, available);
  if (problems.length > 0) throw new BatonError('PLAN_INVALID', formatPlanProblems(problems), { retryable: false, details: problems.slice(0, PROBLEMS_KEPT) });
}

/** A multi-line summary of plan problems, one per line: the first 50, then how many more. */
export function formatPlanProblems(problems: readonly PlanProblem[]): string {
  return `invalid plan ${problemList(problems, (p) => (p.taskId === undefined ? p.message : `${p.taskId}: ${p.message}`))}`;
}

function checkIds(tasks: readonly PlanTask[]): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const positions = new Map<string, number[]>();
  tasks.forEach((task, i) => {
    const seen = positions.get(task.id);
    if (seen) seen.push(i + 1);
    else positions.set(task.id, [i + 1]);
    if (!TASK_ID_PATTERN.test(task.id)) {
      problems.push({
        taskId: task.id,
        message: `task id ${q(task.id)} must match ^[a-z0-9][a-z0-9-]*$ (lower-case letters, digits and '-', starting with a letter or digit), e.g. "t1-extract-sales-dataset"`,
      });
    }
  });
  for (const [id, at] of positions) {
    if (at.length > 1) {
      const shown = at.length > LISTED_NAMES ? `${at.slice(0, LISTED_NAMES).join(', ')} and ${at.length - LISTED_NAMES} more` : at.join(', ');
      problems.push({ taskId: id, message: `task id ${q(id)} is used by ${at.length} tasks (positions ${shown}); give each task its own id` });
    }
  }
  return problems;
}

function checkAgentFit(task: PlanTask, manifest: Manifest, lists: ListLookup): PlanProblem[] {
  const { orchestrator } = manifest;
  const agent = ownValue(manifest.agents, task.agent);
  const at = { taskId: task.id };
  if (!agent) {
    return [{ ...at, message: `task ${q(task.id)} uses agent ${q(task.agent)}, which the manifest does not define; use one of the subagents: ${list(orchestrator.subagents)}` }];
  }
  const problems: PlanProblem[] = [];
  if (!subagentSet(manifest).has(task.agent)) {
    problems.push({ ...at, message: `task ${q(task.id)} uses agent ${q(task.agent)}, which is not one of orchestrator ${q(orchestrator.name)}'s subagents; use one of: ${list(orchestrator.subagents)}` });
  }
  if (task.produces.length === 0) {
    problems.push({ ...at, message: `task ${q(task.id)} produces nothing; list in "produces" what it makes, from agent ${q(agent.name)}'s produces: ${list(agent.produces)}` });
  }
  for (const artifact of task.produces) {
    if (lists.has(agent.produces, artifact)) continue;
    const makers = orchestrator.subagents.filter((name) => manifest.agents[name]?.produces.includes(artifact));
    const hint = makers.length > 0 ? `; ${q(artifact)} is produced by: ${list(makers)}` : `; no subagent produces ${q(artifact)}`;
    problems.push({ ...at, message: `task ${q(task.id)} lists ${q(artifact)} in produces, but agent ${q(agent.name)} produces only: ${list(agent.produces)}${hint}` });
  }
  for (const artifact of task.consumes) {
    if (lists.has(agent.consumes, artifact)) continue;
    problems.push({ ...at, message: `task ${q(task.id)} lists ${q(artifact)} in consumes, but agent ${q(agent.name)} consumes only: ${list(agent.consumes)}` });
  }
  return problems;
}

/**
 * Whether a list holds an item: a scan for a short list, a set made once per list (for one
 * validation: lists may change between them) for a long one. A join over thousands of tasks
 * consumes thousands of artifacts, and a scan per artifact made its checks quadratic.
 */
class ListLookup {
  private readonly sets = new Map<readonly string[], ReadonlySet<string>>();

  has(list: readonly string[], item: string): boolean {
    if (list.length <= 16) return list.includes(item);
    let set = this.sets.get(list);
    if (!set) {
      set = new Set(list);
      this.sets.set(list, set);
    }
    return set.has(item);
  }
}

const subagentSets = new WeakMap<Manifest, Set<string>>();

/** The orchestrator's sub-agents as a set, built once per manifest: plans can have thousands of tasks. */
function subagentSet(manifest: Manifest): Set<string> {
  let set = subagentSets.get(manifest);
  if (!set) {
    set = new Set(manifest.orchestrator.subagents);
    subagentSets.set(manifest, set);
  }
  return set;
}

function checkDependsOn(task: PlanTask, ids: ReadonlySet<string>): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const seen = new Set<string>();
  for (const dep of task.dependsOn) {
    if (seen.has(dep)) {
      problems.push({ taskId: task.id, message: `task ${q(task.id)} lists ${q(dep)} more than once in dependsOn; list it once` });
      continue;
    }
    seen.add(dep);
    if (!ids.has(dep)) {
      problems.push({ taskId: task.id, message: `task ${q(task.id)} depends on ${q(dep)}, which is not a task of the plan; task ids are: ${list(ids)}` });
    }
  }
  return problems;
}

/** Past this many producers of one artifact, a consumer's upstream is read at once rather than each producer asked about. */
const MANY_PRODUCERS = 32;

/** Every consumed artifact must come from exactly one task upstream of its consumer (or already exist). */
function checkInputs(tasks: readonly PlanTask[], manifest: Manifest, available: ReadonlySet<string>, lists: ListLookup): PlanProblem[] {
  const byId = new Map<string, PlanTask>();
  for (const t of tasks) if (!byId.has(t.id)) byId.set(t.id, t);
  const producers = new Map<string, string[]>();
  for (const t of byId.values()) {
    for (const artifact of new Set(t.produces)) {
      const list = producers.get(artifact);
      if (list) list.push(t.id);
      else producers.set(artifact, [t.id]);
    }
  }

  const problems: PlanProblem[] = [];
  // Most inputs need no closure: the only producer of the artifact is a direct dependency of its
  // consumer. The others are checked together, against a closure over their producers only.
  const indirect: { task: PlanTask; artifact: string; all: string[] }[] = [];
  for (const task of byId.values()) {
    for (const artifact of new Set(task.consumes)) {
      const all = producers.get(artifact) ?? [];
      if (all.length === 1 && all[0] !== task.id && lists.has(task.dependsOn, all[0]!)) continue;
      if (all.length === 0 && available.has(artifact)) continue;
      indirect.push({ task, artifact, all });
    }
  }
  if (indirect.length === 0) return problems;
  const asked = new Set<string>();
  const artifacts = new Set<string>();
  for (const { artifact, all } of indirect) {
    if (artifacts.has(artifact)) continue;
    artifacts.add(artifact);
    for (const id of all) asked.add(id);
  }
  const dependsOn = dependsTransitively([...byId.values()], asked);
  let order: Map<string, number> | undefined;
  const makers = new Map<string, Set<string>>();
  for (const { task, artifact, all } of indirect) {
    let found: string[];
    if (all.length <= MANY_PRODUCERS) found = all.filter((id) => id !== task.id && dependsOn(task.id, id));
    else {
      // Thousands of tasks make this artifact: read the consumer's upstream once instead of
      // asking about each producer (quadratic over thousands of consumers).
      order ??= new Map([...byId.keys()].map((id, i) => [id, i]));
      let makes = makers.get(artifact);
      if (!makes) makers.set(artifact, (makes = new Set(all)));
      found = dependsOn
        .among(task.id)
        .filter((id) => id !== task.id && makes.has(id))
        .sort((a, b) => order!.get(a)! - order!.get(b)!);
    }
    if (found.length === 1 || (found.length === 0 && available.has(artifact))) continue;
    problems.push({ taskId: task.id, message: inputProblem(task, artifact, found, all, manifest) });
  }
  return problems;
}

/** Names listed in one problem: past them, how many more (a plan of thousands of tasks made messages of megabytes each). */
const LISTED_NAMES = 10;

/** Of an artifact that many tasks produce, how many a task that leaves dependsOn out is given (`completePlan`). */
export const DERIVED_PRODUCERS_KEPT = LISTED_NAMES + 1;

/** The artifacts whose producers `completePlan` did not all list in a task's derived dependsOn. */
const producersLeftOut = new WeakMap<PlanTask, Set<string>>();

/** Records that `task`'s derived dependsOn lists only the first {@link DERIVED_PRODUCERS_KEPT} producers of `artifact`. */
export function noteProducersLeftOut(task: PlanTask, artifact: string): void {
  const artifacts = producersLeftOut.get(task);
  if (artifacts) artifacts.add(artifact);
  else producersLeftOut.set(task, new Set([artifact]));
}

function inputProblem(task: PlanTask, artifact: string, upstream: string[], all: string[], manifest: Manifest): string {
  const head = `task ${q(task.id)} consumes ${q(artifact)}`;
  // Its dependsOn, left out, was to be every other producer: count them all, not the few listed.
  if (producersLeftOut.get(task)?.has(artifact)) {
    const others = all.length - (task.produces.includes(artifact) ? 1 : 0);
    const shown = upstream.slice(0, LISTED_NAMES).map(q).join(', ');
    return `${head}, which ${shown} and ${others - Math.min(upstream.length, LISTED_NAMES)} more tasks produce, so its input is ambiguous; list in its dependsOn the one task it takes ${q(artifact)} from`;
  }
  if (upstream.length > LISTED_NAMES) {
    return `${head}, which ${list(upstream)} all produce upstream of it, so its input is ambiguous; keep exactly one producer of ${q(artifact)} among the tasks it depends on`;
  }
  if (upstream.length > 1) {
    return `${head}, which ${upstream.slice(0, -1).map(q).join(', ')} and ${q(upstream.at(-1)!)} ${upstream.length === 2 ? 'both' : 'all'} produce upstream of it, so its input is ambiguous; keep exactly one producer of ${q(artifact)} among the tasks it depends on`;
  }
  const noUpstream = `${head}, but no task it depends on (directly or through other tasks) produces it`;
  if (all.length > 0) return `${noUpstream}; add ${all.length === 1 ? q(all[0] ?? '') : `one of ${list(all)}`} to its dependsOn`;
  const agents = manifest.orchestrator.subagents.filter((name) => manifest.agents[name]?.produces.includes(artifact));
  if (agents.length > 0) return `${noUpstream}; no task of the plan produces it: add a task for ${agents.length === 1 ? 'agent' : 'one of the agents'} ${list(agents)} and list it in dependsOn`;
  return `${noUpstream}, and no subagent produces ${q(artifact)}; remove it from consumes or use another agent`;
}

function checkRequested(plan: Plan, available: ReadonlySet<string>): PlanProblem[] {
  const produced = new Set(plan.tasks.flatMap((t) => t.produces));
  return (plan.requested ?? [])
    .filter((artifact) => !produced.has(artifact) && !available.has(artifact))
    .map((artifact) => ({ message: `the plan requests ${q(artifact)}, but no task produces it; add a task that produces it or remove it from "requested"` }));
}

/** An excluded artifact may be made as another task's input, never delivered. */
function checkExcluded(plan: Plan): PlanProblem[] {
  if (!plan.excluded || plan.excluded.length === 0) return [];
  const excluded = new Set(plan.excluded);
  if (plan.requested && plan.requested.length > 0) {
    return plan.requested
      .filter((artifact) => excluded.has(artifact))
      .map((artifact) => ({
        message: `the plan requests ${q(artifact)}, which the goal excludes; remove it from "requested" (a task may still produce it only when another task consumes it)`,
      }));
  }
  const consumedFrom = new Set(plan.tasks.flatMap((t) => t.dependsOn));
  return plan.tasks
    .filter((t) => !consumedFrom.has(t.id))
    .flatMap((t) => t.produces.filter((artifact) => excluded.has(artifact)).map((artifact) => ({ taskId: t.id, artifact })))
    .map(({ taskId, artifact }) => ({
      taskId,
      message: `task ${q(taskId)} delivers ${q(artifact)}, which the goal excludes; remove ${q(artifact)} from its produces, or the task if nothing else needs it`,
    }));
}

function taskRef(id: string | undefined): { taskId?: string } {
  return id === undefined ? {} : { taskId: id };
}

const q = (s: string): string => JSON.stringify(s);


/** The first names of `items`, taken without copying them all: a problem per task of a large plan must not cost a pass over the plan. */
function list(items: readonly string[] | ReadonlySet<string>): string {
  const count = Array.isArray(items) ? items.length : (items as ReadonlySet<string>).size;
  if (count === 0) return '(nothing)';
  const shown: string[] = [];
  for (const item of items) {
    if (shown.length === LISTED_NAMES) break;
    shown.push(q(item));
  }
  return count > LISTED_NAMES ? `${shown.join(', ')} and ${count - LISTED_NAMES} more` : shown.join(', ');
}
