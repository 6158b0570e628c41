import type { PlanOutcome, Planner } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import type { Manifest, Plan } from '../core/types.ts';
import { buildTasks } from './build-tasks.ts';
import { readExclusions, settleExclusions } from './exclusions.ts';
import { readGoal } from './goal-match.ts';
import { goalRefused, quotedWords, refuseUnrelated } from './goal-refusal.ts';
import { relateGoal } from './goal-relation.ts';
import { readScopes } from './goal-scopes.ts';
import { indexManifest } from './manifest-index.ts';
import { PlanRequests } from './plan-requests.ts';
import { decideRequests } from './request-rules.ts';
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
 *    `sales-dataset`, "sales" alone does not), except those that only say what the goal is about:
 *    named in a phrase ("replies *for the billing tickets*"), as the input of the whole after the
 *    orchestrator's name ("triage *the tickets*"), or when the goal's other words ask for something
 *    made from them ("which tickets are *urgent*"); such subjects are requested only when nothing
 *    else is (see `decideRequests`);
 * 2. sub-agents whose capability phrase appears in the goal (all its words) contribute their
 *    produces, unless another planned agent already needs that agent's output (then the match only
 *    adds a reason: "sales summary" asks for the summary, not for the sales data behind it) or the
 *    phrase only repeats the words of named artifacts (capability "charts" when the goal says "charts");
 *    the orchestrator's `deliverable` is added too when the goal asks for the orchestrator's own thing
 *    and names these as additions to it ("a report *with* charts");
 *    with 1 or 2, the goal's other words that point (as in 4) at artifacts nothing planned makes
 *    request those too ("the flight search and the *weather*");
 * 3. without 1 and 2: the `deliverable`, when the goal uses the orchestrator's name ("report" for
 *    `reports`), the other words naming the parameters of that whole;
 * 4. otherwise the artifacts the goal's specific words point at most ("revenue by region": words of
 *    the analytics agent's description; a word of an artifact's own name, "hotels" of
 *    `hotel-options`, points at that artifact only), preferring those the orchestrator delivers and,
 *    of those, the ones the others are made from (the least work that answers the words);
 * 5. otherwise the deliverable when the goal uses words of the orchestrator's description;
 * 6. otherwise, when the goal has no meaningful word ("go", "run it") or only words of the domain
 *    as a whole, the deliverable; when its meaningful words relate to nothing in the manifest, the
 *    goal is refused (`GOAL_REFUSED`), as it is when what it asks for comes before "about" and
 *    relates to nothing ("a poem about our sales").
 * Excluded artifacts are never requested, and their producers are planned only when a planned agent
 * needs them (a note says so); with "only", everything else not needed is excluded as well;
 * "everything but X", X being the whole deliverable, requests what X is made from. A goal
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
  decideRequests(plan, { words, reading, signals, relation, index });
  if (relation.unrelated.length > 0) {
    plan.notes.push(`ignored ${quotedWords(relation.unrelated)}: not a word of this orchestrator's agents or artifacts`);
  }

  if (plan.requested.size === 0 && exclusions.artifacts.size > 0 && reading.everything) plan.requestInputsOfExcluded(index);
  const { requested, chain } = plan;
  if (requested.size === 0) {
    const excluded = [...exclusions.artifacts.keys()];
    if (excluded.length > 0) throw goalRefused(manifest, `it excludes everything it would deliver (${excluded.map(q).join(', ')})`, { excluded });
    throw nothingRequested(manifest, index.artifacts.map((a) => a.name));
  }
  const settled = settleExclusions(exclusions, reading.only.length > 0, requested, chain, index);
  const rankOf = (a: string): number => index.artifactRank.get(a) ?? Number.MAX_SAFE_INTEGER;
  const result: Plan = {
    tasks: buildTasks(goal, chain, index, requested, settled.dropped),
    requested: [...requested].sort((a, b) => rankOf(a) - rankOf(b)),
    notes: [...plan.notes, ...settled.notes, ...chain.notes],
  };
  if (settled.excluded.length > 0) result.excluded = settled.excluded;
  return result;
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
