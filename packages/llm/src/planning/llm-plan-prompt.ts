/**
 * What an LLM planner is told. Trusted text (the manifest author's instructions, the catalogue,
 * the user's goal) is written as instructions; anything a sub-agent produced (failure messages,
 * artifacts) only ever appears inside quoted data blocks (see `quoteData`).
 */
import type { ReplanRequest } from 'batonjs/internal';
import type { AgentSpec, Manifest, Plan } from 'batonjs/internal';
import { DATA_RULE, quoteData } from '../quote.ts';
import type { PlanProblem } from 'batonjs/internal';

/** One sub-agent as the planner sees it. */
export type CatalogueEntry = Pick<AgentSpec, 'name' | 'description' | 'version' | 'capabilities' | 'consumes' | 'produces'>;

/** The sub-agents the orchestrator may plan with, as plain data. */
export function catalogueOf(manifest: Manifest): CatalogueEntry[] {
  return manifest.orchestrator.subagents.flatMap((name) => {
    const a = manifest.agents[name];
    if (!a) return [];
    return [{ name, description: a.description, version: a.version, capabilities: a.capabilities, consumes: a.consumes, produces: a.produces }];
  });
}

const PLAN_RULES = [
  'A plan is a DAG of tasks. Each task is done by exactly one sub-agent of the catalogue, named in "agent".',
  'Rules of a valid plan:',
  '- at least one task; task ids unique, lower-case letters, digits and "-" (e.g. "t1-extract-sales-dataset");',
  "- a task's produces is non-empty and within its agent's produces; its consumes is within its agent's consumes;",
  "- every artifact a task consumes is produced by exactly one task it depends on (directly or through dependsOn), and dependsOn only names tasks of the plan;",
  '- no cycles;',
  '- "requested" lists the artifact types the goal asks for, each produced by some task.',
  'Plan only what the goal needs, plus what those tasks consume. Write task instructions specific to the goal.',
].join('\n');

/** Do only what was asked: exclusions, the deliverable as a default only, refusal. */
const HONESTY_RULES = [
  'Do exactly what the goal asks, no more:',
  '- Exclusions: when the goal rules something out ("no X", "without X", "except X", "skip X", "not X", "don\'t include X", lists such as "no charts or summary"), list those artifact types in "excluded" and never in "requested". "Only X" / "just X" excludes every other artifact that X does not need. Plan the producer of an excluded artifact only when a requested artifact needs it, and say so in "notes".',
  '- Request the deliverable only when the goal asks for nothing more specific. A goal that asks for one specific thing in the domain\'s words (e.g. one figure, one breakdown) gets that thing and what it needs, not the whole deliverable.',
  '- A goal with no meaningful words ("go", "run it", "do it now") gets the deliverable.',
  '- Refusal: when the goal asks for nothing the sub-agents make (e.g. a poem, the weather, a flight), reply with an empty "tasks", an empty "requested" and "refused": one sentence saying why. Do not stretch an unrelated goal to fit the catalogue.',
].join('\n');

/** The system prompt of the planner. */
export function plannerSystem(manifest: Manifest): string {
  const o = manifest.orchestrator;
  return [
    `You are the planner of the orchestrator "${o.name}": ${o.description}.`,
    'You turn a goal into a plan of tasks for sub-agents. You execute nothing and call no tools.',
    PLAN_RULES,
    HONESTY_RULES,
    'Reply with one JSON object with keys "tasks", "requested" and optionally "excluded", "refused" and "notes", and nothing else.',
    DATA_RULE,
    o.instructions.trim() ? `Instructions from the orchestrator's author:\n${o.instructions.trim()}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

function catalogueText(manifest: Manifest): string {
  const deliverable = manifest.orchestrator.deliverable;
  return [
    `Catalogue of sub-agents (JSON):\n${JSON.stringify(catalogueOf(manifest), null, 2)}`,
    deliverable.length > 0 ? `When the goal asks for nothing more specific, request the deliverable: ${JSON.stringify(deliverable)}.` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** The first message of planning a goal. */
export function planPrompt(goal: string, manifest: Manifest): string {
  return [`Goal: ${goal}`, catalogueText(manifest), 'Write the plan.'].join('\n\n');
}

/** The first message of re-planning after tasks failed for good. */
export function replanPrompt(request: ReplanRequest): string {
  const notSucceeded = request.previous.tasks.map((t) => t.id).filter((id) => !request.succeeded.includes(id));
  return [
    `Goal: ${request.goal}`,
    catalogueText(request.manifest),
    `The previous plan could not be completed. It was:\n${quoteData('previous-plan', stripPlan(request.previous))}`,
    `Tasks that failed for good (their agent ran out of retries and fallbacks), with the error each reported:\n${quoteData('failures', request.failed)}`,
    `Artifact types already produced and available to any task without a producer: ${JSON.stringify(request.produced)}.`,
    `Tasks that succeeded: ${JSON.stringify(request.succeeded)}. Leave them out (their artifacts stay available) or keep them with the same id; they will not run again.`,
    [
      'Write a new plan for the remaining work of the goal:',
      `- do not give the work of a failed task to the agent that failed at it: use another agent of the catalogue that produces the same artifact, or plan around it (e.g. request less);`,
      `- do not reuse these ids: ${JSON.stringify(notSucceeded)}; give new ids to every task that must run;`,
      '- if no other way exists, reply with an empty "tasks" list and say why in "notes".',
    ].join('\n'),
  ].join('\n\n');
}

/** The message that sends an invalid plan back, once, with the exact problems. */
export function repairPrompt(problems: readonly PlanProblem[]): string {
  const lines = problems.map((p) => `- ${p.taskId === undefined || p.message.includes(p.taskId) ? '' : `${p.taskId}: `}${p.message}`);
  return [`Your plan was rejected by the plan validator (${problems.length} problem${problems.length === 1 ? '' : 's'}):`, ...lines, 'Reply with the corrected plan as one JSON object.'].join('\n');
}

function stripPlan(plan: Plan): Plan {
  return { tasks: plan.tasks.map(({ id, title, agent, dependsOn, consumes, produces }) => ({ id, title, instructions: '', agent, dependsOn, consumes, produces })), ...(plan.requested ? { requested: plan.requested } : {}) };
}
