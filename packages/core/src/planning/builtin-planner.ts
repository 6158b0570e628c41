import type { PlanOutcome, Planner } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import type { Manifest, Plan } from '../core/types.ts';
import { buildTasks } from './build-tasks.ts';
import { type GoalSignals, matchDescriptions, readGoal } from './goal-match.ts';
import { indexManifest } from './manifest-index.ts';
import { ProducerChain } from './producer-chain.ts';
import { GoalWords } from './text-match.ts';

/**
 * The planner used when no model is configured: no LLM, deterministic and explainable. It matches
 * the goal's words against the manifest (see {@link planGoal}) and chains backwards through
 * `consumes` to the agents that can make what was asked for.
 */
export class BuiltinPlanner implements Planner {
  readonly name = 'builtin' as const;

  // async so that every failure, including a thrown BatonError, arrives as a rejected promise.
  async plan(goal: string, manifest: Manifest, options: { signal?: AbortSignal } = {}): Promise<PlanOutcome> {
    if (options.signal?.aborted) {
      throw new BatonError('RUN_CANCELLED', 'planning was cancelled before it started', { retryable: false });
    }
    return { plan: planGoal(goal, manifest), planner: 'builtin' };
  }
}

/**
 * Plans a goal without a model. The same goal and manifest always give the same plan.
 *
 * Which artifacts are requested, strongest signal first:
 * 1. artifact types the goal names (all their words, or their head noun: "dataset" names
 *    `sales-dataset`, "sales" alone does not);
 * 2. sub-agents whose capability phrase appears in the goal (all its words) contribute their
 *    produces, unless another planned agent already needs that agent's output (then the match only
 *    adds a reason: "sales summary" asks for the summary, not for the sales data behind it) or the
 *    phrase only repeats the words of named artifacts (capability "charts" when the goal says "charts");
 * 3. the orchestrator's `deliverable`, when the goal uses the orchestrator's own words (its name, its
 *    description after the verb, minus words of artifacts and capabilities);
 * 4. only when none of the above matched: the agents whose description shares the most meaningful
 *    words with the goal, at least two (a weak signal);
 * 5. otherwise the deliverable ("goal named no artifact").
 * A goal that names one thing plans only that thing and what it needs.
 *
 * @throws BatonError `GOAL_UNSATISFIABLE` when a requested or consumed artifact has no producer
 *   among the sub-agents (the message names the artifact and who needs it), or when nothing can be
 *   requested (no match and an empty deliverable).
 */
export function planGoal(goal: string, manifest: Manifest): Plan {
  const index = indexManifest(manifest);
  const words = new GoalWords(goal);
  const signals = readGoal(words, index);
  const chain = new ProducerChain(index, words, manifest);
  const requested = new Set<string>();
  const notes: string[] = [];
  const request = (artifact: string, reason: string, preferred?: string): void => {
    requested.add(artifact);
    chain.need(artifact, { kind: 'requested', reason }, preferred);
  };

  for (const named of signals.named) request(named.artifact, named.reason);

  applyCapabilities(signals, manifest, chain, request, notes);

  const { deliverable } = manifest.orchestrator;
  if (signals.orchestratorWords.length > 0) {
    const reason = `deliverable of the orchestrator (goal mentions ${words.quote(signals.orchestratorWords)})`;
    for (const artifact of deliverable) request(artifact, reason);
    if (deliverable.length > 0) notes.push(`${reason}: ${deliverable.map(q).join(', ')}`);
  }

  if (signals.named.length === 0 && signals.capabilities.length === 0 && signals.orchestratorWords.length === 0) {
    const weak = matchDescriptions(words, index);
    for (const match of weak) {
      const reason = `description of ${q(match.agent)} shares ${words.quote(match.shared)} with the goal (weak match)`;
      const spec = manifest.agents[match.agent];
      if (!spec) continue;
      chain.use(spec, reason);
      for (const artifact of spec.produces) if (chain.producerOf.get(artifact) === spec.name) request(artifact, reason, spec.name);
      notes.push(`goal named no artifact or capability; ${reason}`);
    }
    if (weak.length === 0) {
      const reason = 'deliverable of the orchestrator (goal named no artifact)';
      for (const artifact of deliverable) request(artifact, reason);
      if (deliverable.length > 0) notes.push(`goal named no artifact, capability or word of the orchestrator; planned the deliverable: ${deliverable.map(q).join(', ')}`);
    }
  }

  if (requested.size === 0) throw nothingRequested(manifest, index.artifacts.map((a) => a.name));

  const rankOf = (a: string): number => index.artifactRank.get(a) ?? Number.MAX_SAFE_INTEGER;
  const requestedList = [...requested].sort((a, b) => rankOf(a) - rankOf(b));
  const tasks = buildTasks(goal, chain, index, requested);
  return { tasks, requested: requestedList, notes: [...notes, ...chain.notes] };
}

/**
 * Capability matches. A phrase whose words all belong to artifacts the goal already names ("charts"
 * when the goal says "charts") only adds a reason to an agent already planned. Any other match plans
 * its agent; the agent's artifacts are requested unless it already works for another planned agent.
 */
function applyCapabilities(
  signals: GoalSignals,
  manifest: Manifest,
  chain: ProducerChain,
  request: (artifact: string, reason: string, preferred?: string) => void,
  notes: string[],
): void {
  const informative = new Map<string, string[]>();
  for (const c of signals.capabilities) {
    const reason = `capability '${c.phrase}' matches`;
    const spec = manifest.agents[c.agent];
    if (!spec) continue;
    if (c.stems.every((s) => signals.namedStems.has(s))) {
      if (chain.agents.has(c.agent)) chain.use(spec, reason);
      continue;
    }
    chain.use(spec, reason);
    informative.set(c.agent, [...(informative.get(c.agent) ?? []), c.phrase]);
  }
  for (const [agent, phrases] of informative) {
    const planned = chain.agents.get(agent);
    if (!planned) continue;
    const quoted = phrases.map((p) => `'${p}'`).join(', ');
    if (planned.neededBy.length > 0) {
      const users = planned.neededBy.map(q).join(', ');
      notes.push(`capability ${quoted} of ${q(agent)} matches, but ${q(agent)} already works for ${users}, so it adds no request of its own`);
      continue;
    }
    for (const artifact of planned.spec.produces) {
      if (chain.producerOf.get(artifact) === agent) request(artifact, `capability ${quoted} matches`, agent);
    }
  }
}

function nothingRequested(manifest: Manifest, artifacts: string[]): BatonError {
  const name = manifest.orchestrator.name;
  return new BatonError(
    'GOAL_UNSATISFIABLE',
    `cannot plan the goal: it names no artifact or capability of orchestrator ${q(name)}'s subagents, and orchestrator.deliverable is empty; name one of ${artifacts.map(q).join(', ') || '(no artifacts)'} in the goal, or set orchestrator.deliverable`,
    { retryable: false },
  );
}

const q = (s: string): string => JSON.stringify(s);
