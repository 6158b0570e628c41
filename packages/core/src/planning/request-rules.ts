/**
 * Which artifacts a goal asks for, from what the builtin planner read in it (see `planGoal` for
 * the order of the rules). Each request goes through {@link PlanRequests}, which skips what the
 * goal excluded and plans the producers.
 */
import type { GoalSignals, NamedArtifact } from './goal-match.ts';
import { type GoalRelation, relateGoal } from './goal-relation.ts';
import type { GoalReading } from './goal-scopes.ts';
import { type CapabilityPhrase, type ManifestIndex, upstreamOf } from './manifest-index.ts';
import type { PlanRequests } from './plan-requests.ts';
import type { GoalWords } from './text-match.ts';

/** What the planner read in the goal. */
export interface GoalRead {
  words: GoalWords;
  reading: GoalReading;
  signals: GoalSignals;
  relation: GoalRelation;
  index: ManifestIndex;
}

/** Decides the requests of a plan. */
export function decideRequests(plan: PlanRequests, read: GoalRead): void {
  const { words, reading, signals, relation, index } = read;
  const own = words.quote(signals.orchestratorWords);
  const ownAt = signals.orchestratorWords.map((s) => words.positionOf(s)).filter((p): p is number => p !== undefined);
  const nameAt = signals.orchestratorWords.filter((s) => index.orchestratorNameStems.has(s)).map((s) => words.positionOf(s)).filter((p): p is number => p !== undefined);
  const at = (stems: readonly string[]): number => Math.min(...stems.map((s) => words.positionOf(s) ?? Number.MAX_SAFE_INTEGER));
  const onlyMode = reading.only.length > 0;
  const mentioned = signals.capabilities.filter((c) => !c.stems.every((s) => signals.namedStems.has(s)));

  // A named artifact in a phrase ("replies *for the billing tickets*"), or the input of the whole
  // after the orchestrator's name ("triage *the tickets*"), says what the goal is about.
  const isSubject = (n: NamedArtifact): boolean =>
    n.stems.every((s) => reading.phrased.has(words.positionOf(s) ?? -1)) || (index.deliverableInputs.has(n.artifact) && nameAt.some((o) => o < at(n.stems)));
  const subjects = signals.named.filter(isSubject);
  let asked = signals.named.filter((n) => !isSubject(n));
  const used = new Set([...signals.namedStems, ...mentioned.flatMap((c) => c.stems)]);
  const rest = relateGoal(
    words.tokens.filter((t) => !used.has(t.stem)),
    index,
  ).best;
  // "Which tickets are urgent?": the tickets are the subject when the other words ask for
  // something made from them.
  if (asked.length > 0 && mentioned.length === 0 && own === '' && rest.artifacts.length > 0) {
    const madeFrom = upstreamOf(new Set(rest.artifacts), index.producers);
    if (asked.every((n) => madeFrom.has(n.artifact))) {
      subjects.push(...asked);
      asked = [];
    }
  }

  for (const n of asked) plan.request(n.artifact, n.reason);
  const strong = asked.length > 0 || mentioned.length > 0;
  // The whole is requested before capability matches, so a capability that is only its topic
  // ("sales report") finds its agent already working for it and requests nothing of its own.
  const parts = strong && own !== '' && !onlyMode ? partsOfWhole(asked, mentioned, ownAt, nameAt, at, reading) : undefined;
  if (parts) plan.requestDeliverable(`deliverable of the orchestrator (goal ${parts.length > 0 ? `asks for a ${own} with ${words.quote(parts)}` : `mentions ${own}`})`);
  plan.applyCapabilities(signals);
  if (strong) {
    // Only words about nothing planned yet: a word of what the plan makes already says what about.
    const planned = (stem: string): boolean => (index.vocabulary.artifactsOf.get(stem) ?? []).some((a) => plan.chain.producerOf.has(a));
    requestLeftOver(plan, relateGoal(words.tokens.filter((t) => !used.has(t.stem) && !planned(t.stem)), index).best, words);
    return;
  }

  // The orchestrator's name asks for the whole; words of its description ("customer",
  // "performance") only when nothing more specific was said.
  const byName = signals.orchestratorWords.some((s) => index.orchestratorNameStems.has(s));
  const of = subjects.length > 0 ? `, of ${subjects.map((n) => q(n.artifact)).join(', ')}` : '';
  if (own !== '' && (byName || rest.artifacts.length === 0)) {
    plan.requestDeliverable(`deliverable of the orchestrator (goal mentions ${own})`);
  } else if (rest.artifacts.length > 0) {
    const about = words.quote(rest.stems);
    for (const artifact of rest.artifacts) plan.request(artifact, `goal words ${about} are about it${of}`);
    plan.notes.push(`goal named no artifact or capability to make; its words ${about} are about ${rest.artifacts.map(q).join(', ')}${of}`);
  } else if (subjects.length > 0) {
    for (const n of subjects) plan.request(n.artifact, n.reason);
  } else {
    const domain = relation.domain.map((t) => `'${t.word}'`).join(', ');
    const why = domain ? `goal mentions only the domain (${domain})` : 'goal named no artifact';
    plan.requestDeliverable(`deliverable of the orchestrator (${why})`, domain ? `${why}; planned the deliverable` : 'goal named no artifact, capability or word of the orchestrator; planned the deliverable');
  }
}

/**
 * The goal's other words, beside those that named artifacts and capabilities, may point at
 * something more ("run the *linter* and the tests"): those artifacts are requested too, unless the
 * plan already makes them.
 */
function requestLeftOver(plan: PlanRequests, rest: GoalRelation['best'], words: GoalWords): void {
  const more = rest.artifacts.filter((a) => !plan.chain.producerOf.has(a));
  if (more.length === 0) return;
  const about = words.quote(rest.stems);
  for (const artifact of more) plan.request(artifact, `goal words ${about} are about it`);
  plan.notes.push(`goal words ${about} are about ${more.map(q).join(', ')} too`);
}

/**
 * The words of the parts, when the goal asks for the orchestrator's own thing with the things it
 * names as parts of it (else undefined): each named artifact comes after one of the orchestrator's
 * words with an addition word between ("report *with* charts and a summary"); each capability
 * phrase does too, or comes before its name, as its topic ("*sales* report"). An artifact named on its
 * own ("charts for the report", "summary report") is a request for that artifact alone.
 */
function partsOfWhole(
  asked: readonly NamedArtifact[],
  mentioned: readonly CapabilityPhrase[],
  ownAt: readonly number[],
  nameAt: readonly number[],
  at: (stems: readonly string[]) => number,
  reading: GoalReading,
): string[] | undefined {
  const added = (stems: readonly string[]): boolean => ownAt.some((o) => o < at(stems) && reading.additions.some((a) => o < a && a < at(stems)));
  const topic = (stems: readonly string[]): boolean => nameAt.some((o) => at(stems) < o);
  if (!asked.every((n) => added(n.stems)) || !mentioned.every((c) => added(c.stems) || topic(c.stems))) return undefined;
  return [...new Set([...asked, ...mentioned].filter((n) => added(n.stems)).flatMap((n) => n.stems))];
}

const q = (s: string): string => JSON.stringify(s);
