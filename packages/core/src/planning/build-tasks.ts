import { BatonError } from '../core/errors.ts';
import type { PlanTask } from '../core/types.ts';
import { findCycles, orderByDependencies } from './plan-graph.ts';
import type { ManifestIndex } from './manifest-index.ts';
import type { PlannedAgent, ProducerChain } from './producer-chain.ts';
import { taskId, verbOf } from './task-ids.ts';

/**
 * Turns the planned agents into tasks: one task per agent, in topological order with ties broken
 * by the order of `orchestrator.subagents`, numbered from 1 (`t1-extract-sales-dataset`). A task
 * produces what its agent makes for this plan, minus `dropped` (excluded artifacts nobody needs);
 * its id comes from the agent's first artifact all the same, so one agent keeps one id across goals.
 */
export function buildTasks(
  goal: string,
  chain: ProducerChain,
  index: ManifestIndex,
  requested: ReadonlySet<string>,
  dropped: ReadonlySet<string> = new Set(),
): PlanTask[] {
  const planned = [...chain.agents.values()];
  const inputsFrom = (p: PlannedAgent): string[] =>
    unique(p.spec.consumes.map((c) => chain.producerOf.get(c)).filter((a): a is string => a !== undefined && a !== p.spec.name));
  const ordered = orderByDependencies(planned, (p) => p.spec.name, inputsFrom, (p) => index.rank.get(p.spec.name) ?? 0);
  if (!ordered) throw agentCycle(planned, inputsFrom);

  const idOf = new Map<string, string>();
  const producesOf = new Map<string, string[]>();
  ordered.forEach((p, i) => {
    const claimed = p.spec.produces.filter((a) => chain.producerOf.get(a) === p.spec.name);
    const kept = claimed.filter((a) => !dropped.has(a));
    producesOf.set(p.spec.name, kept.length > 0 ? kept : claimed);
    idOf.set(p.spec.name, taskId(i + 1, verbOf(p.spec.description), claimed[0] ?? p.spec.name));
  });
  const id = (agent: string): string => idOf.get(agent) ?? agent;

  return ordered.map((p): PlanTask => {
    const name = p.spec.name;
    const produces = producesOf.get(name) ?? [];
    const dependsOn = inputsFrom(p).map(id).sort((a, b) => taskNumber(a) - taskNumber(b));
    const neededBy = p.neededBy.map(id).sort((a, b) => taskNumber(a) - taskNumber(b));
    const reasons = [...p.reasons, ...(neededBy.length > 0 ? [`needed by ${neededBy.join(', ')}`] : []), ...p.choices];
    return {
      id: id(name),
      title: `${capitalise(verbOf(p.spec.description))} ${humanList(produces)}`,
      instructions: instructionsFor(goal, p, produces, requested, (artifact) => id(chain.producerOf.get(artifact) ?? artifact), neededBy),
      agent: name,
      dependsOn,
      consumes: [...p.spec.consumes],
      produces,
      reason: reasons.join('; '),
    };
  });
}

function instructionsFor(
  goal: string,
  planned: PlannedAgent,
  produces: string[],
  requested: ReadonlySet<string>,
  producerTask: (artifact: string) => string,
  neededBy: string[],
): string {
  const { consumes } = planned.spec;
  const lines = [`Goal: ${goal}`];
  lines.push(`Produce ${humanList(produces.map(q))} for this goal${consumes.length > 0 ? ` from ${humanList(consumes.map(q))}` : ''}.`);
  if (consumes.length > 0) {
    lines.push(`Your inputs are in "inputs", one key per artifact type: ${consumes.map((c) => `${q(c)} (made by ${producerTask(c)})`).join(', ')}.`);
  }
  lines.push(`Return one JSON object with one key per artifact type: ${produces.map(q).join(', ')}.`);
  const asked = produces.filter((a) => requested.has(a));
  if (asked.length > 0) lines.push(`The goal asks for ${humanList(asked.map(q))}: make ${asked.length === 1 ? 'it' : 'them'} complete and ready to deliver.`);
  if (neededBy.length > 0) lines.push(`Your output is also the input of ${neededBy.join(', ')}.`);
  return lines.join('\n');
}

function agentCycle(planned: PlannedAgent[], inputsFrom: (p: PlannedAgent) => string[]): BatonError {
  const cycles = findCycles(
    planned.map((p) => ({ id: p.spec.name, title: '', instructions: '', agent: p.spec.name, dependsOn: inputsFrom(p), consumes: [], produces: [] })),
  );
  return new BatonError(
    'PLAN_INVALID',
    `cannot order the plan: agents consume each other's outputs in a cycle (${cycles.map((c) => c.join(' → ')).join('; ')}); fix consumes/produces in the manifest`,
    { retryable: false },
  );
}

function taskNumber(id: string): number {
  return Number(/^t(\d+)-/.exec(id)?.[1] ?? Number.MAX_SAFE_INTEGER);
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

function humanList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const q = (s: string): string => JSON.stringify(s);
