import type { PlanOutcome, Planner } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import type { Manifest, Plan } from '../core/types.ts';
import { buildTasks } from './build-tasks.ts';
import { readExclusions, settleExclusions } from './exclusions.ts';
import { type GoalSignals, readGoal } from './goal-match.ts';
import { goalRefused, refuseUnrelated } from './goal-refusal.ts';
import { relateGoal } from './goal-relation.ts';
import { type GoalReading, readScopes } from './goal-scopes.ts';
import { type CapabilityPhrase, indexManifest } from './manifest-index.ts';
import { PlanRequests } from './plan-requests.ts';
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
 * The goal is first split into what it asks for and what it rules out (see `readScopes`: "no X",
 * "without X", "except X", "skip X", "not X", "don't include X", "only X"); misspelt words are read
 * as the manifest's own words ("sumary" → "summary"). Then, strongest signal first, the requested
 * artifacts are:
 * 1. artifact types the goal names (all their words, or their head noun: "dataset" names
 *    `sales-dataset`, "sales" alone does not);
 * 2. sub-agents whose capability phrase appears in the goal (all its words) contribute their
 *    produces, unless another planned agent already needs that agent's output (then the match only
 *    adds a reason: "sales summary" asks for the summary, not for the sales data behind it) or the
 *    phrase only repeats the words of named artifacts (capability "charts" when the goal says "charts");
 *    the orchestrator's `deliverable` is added too when the goal asks for the orchestrator's own thing
 *    and names these as additions to it ("a report *with* charts");
 * 3. without 1 and 2: the `deliverable`, when the goal uses the orchestrator's own words (its name,
 *    its description after the verb: "report"), the words naming the parameters of that whole;
 * 4. otherwise the artifacts the goal's specific words point at most ("revenue by region": words of
 *    the analytics agent's description), preferring those the orchestrator delivers;
 * 5. otherwise, when the goal has no meaningful word ("go", "run it") or only words of the domain
 *    as a whole, the deliverable; when its meaningful words relate to nothing in the manifest, the
 *    goal is refused (`GOAL_REFUSED`), as it is when what it asks for comes before "about" and
 *    relates to nothing ("a poem about our sales").
 * Excluded artifacts are never requested, and their producers are planned only when a planned agent
 * needs them (a note says so); with "only", everything else not needed is excluded as well. A goal
 * that names one thing plans only that thing and what it needs.
 *
 * @throws BatonError `GOAL_REFUSED` when the goal asks for nothing the sub-agents make, or excludes
 *   everything they make; the message names what the orchestrator can produce.
 * @throws BatonError `GOAL_UNSATISFIABLE` when a requested or consumed artifact has no producer
 *   among the sub-agents (the message names the artifact and who needs it), or when nothing can be
 *   requested (no match and an empty deliverable).
 */
export function planGoal(goal: string, manifest: Manifest): Plan {
  const index = indexManifest(manifest);
  const reading = readScopes(goal, index.vocabulary);
  const words = new GoalWords(goal, reading.positive);
  const signals = readGoal(words, index);
  const exclusions = readExclusions(goal, reading, index, manifest);
  const relation = relateGoal(words.tokens, index);
  refuseUnrelated(goal, manifest, reading, signals, relation);

  const plan = new PlanRequests(manifest, index, words, exclusions);
  plan.notes.push(...reading.corrections.map(([written, read]) => `read '${written}' as '${read}'`));
  for (const named of signals.named) plan.request(named.artifact, named.reason);
  const onlyMode = reading.only.length > 0;
  const own = words.quote(signals.orchestratorWords);
  const mentioned = signals.capabilities.filter((c) => !c.stems.every((s) => signals.namedStems.has(s)));
  const named = signals.named.length > 0 || mentioned.length > 0;
  // The whole is requested before capability matches, so a capability that is only its topic
  // ("sales report") finds its agent already working for it and requests nothing of its own.
  const parts = named && own !== '' && !onlyMode ? partsOfWhole(signals, mentioned, words, reading) : undefined;
  if (parts) plan.requestDeliverable(`deliverable of the orchestrator (goal ${parts.length > 0 ? `asks for a ${own} with ${words.quote(parts)}` : `mentions ${own}`})`);
  plan.applyCapabilities(signals);

  if (!named && own !== '') {
    plan.requestDeliverable(`deliverable of the orchestrator (goal mentions ${own})`);
  } else if (!named && relation.best.artifacts.length > 0) {
    const about = words.quote(relation.best.stems);
    for (const artifact of relation.best.artifacts) plan.request(artifact, `goal words ${about} are about it`);
    plan.notes.push(`goal named no artifact or capability; its words ${about} are about ${relation.best.artifacts.map(q).join(', ')}`);
  } else if (!named) {
    const domain = relation.domain.map((t) => `'${t.word}'`).join(', ');
    const why = domain ? `goal mentions only the domain (${domain})` : 'goal named no artifact';
    plan.requestDeliverable(`deliverable of the orchestrator (${why})`, domain ? `${why}; planned the deliverable` : 'goal named no artifact, capability or word of the orchestrator; planned the deliverable');
  }
  if (relation.unrelated.length > 0) {
    plan.notes.push(`ignored ${relation.unrelated.map((t) => `'${t.word}'`).join(', ')}: not a word of this orchestrator's agents or artifacts`);
  }

  const { requested, chain } = plan;
  if (requested.size === 0) {
    const excluded = [...exclusions.artifacts.keys()];
    if (excluded.length > 0) throw goalRefused(manifest, `it excludes everything it would deliver (${excluded.map(q).join(', ')})`, { excluded });
    throw nothingRequested(manifest, index.artifacts.map((a) => a.name));
  }
  const settled = settleExclusions(exclusions, onlyMode, requested, chain, index);
  const rankOf = (a: string): number => index.artifactRank.get(a) ?? Number.MAX_SAFE_INTEGER;
  const result: Plan = {
    tasks: buildTasks(goal, chain, index, requested, settled.dropped),
    requested: [...requested].sort((a, b) => rankOf(a) - rankOf(b)),
    notes: [...plan.notes, ...settled.notes, ...chain.notes],
  };
  if (settled.excluded.length > 0) result.excluded = settled.excluded;
  return result;
}

/**
 * The words of the parts, when the goal asks for the orchestrator's own thing with the things it
 * names as parts of it (else undefined): each named artifact comes after one of the orchestrator's words with an addition word between
 * ("report *with* charts and a summary"), and each capability phrase either does too or comes
 * before an orchestrator word, as its topic ("*sales* report"). An artifact named on its own
 * ("charts for the report", "summary report") is a request for that artifact alone.
 */
function partsOfWhole(signals: GoalSignals, mentioned: readonly CapabilityPhrase[], words: GoalWords, reading: GoalReading): string[] | undefined {
  const own = signals.orchestratorWords.map((s) => words.positionOf(s)).filter((p): p is number => p !== undefined);
  const at = (stems: readonly string[]): number => Math.min(...stems.map((s) => words.positionOf(s) ?? Number.MAX_SAFE_INTEGER));
  const added = (stems: readonly string[]): boolean => own.some((o) => o < at(stems) && reading.additions.some((a) => o < a && a < at(stems)));
  const topic = (stems: readonly string[]): boolean => own.some((o) => at(stems) < o);
  if (!signals.named.every((n) => added(n.stems)) || !mentioned.every((c) => added(c.stems) || topic(c.stems))) return undefined;
  return [...new Set([...signals.named, ...mentioned].filter((n) => added(n.stems)).flatMap((n) => n.stems))];
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
