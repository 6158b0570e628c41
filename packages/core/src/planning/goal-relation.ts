import { type ManifestIndex, upstreamOf } from './manifest-index.ts';
import { isNeutralWord } from './neutral-words.ts';
import { isMeaningfulStem, type Token } from './text-match.ts';

/** How a goal's words relate to an orchestrator's vocabulary. */
export interface GoalRelation {
  /** Words that carry meaning: not neutral ("make", "Q2", "please"), a letter and three characters. */
  meaningful: Token[];
  /** Meaningful words found nowhere in the manifest. */
  unrelated: Token[];
  /** Meaningful words about the domain as a whole ("sales", "report"). */
  domain: Token[];
  /**
   * The artifacts the goal's specific words point at most (see {@link relateGoal}), with those
   * words; empty when no specific word was used.
   */
  best: { artifacts: string[]; stems: string[] };
}

/**
 * Relates a goal's words to the manifest's vocabulary. A specific word points at the artifacts
 * whose words include it ("revenue" at `metrics` when the analytics agent's description says
 * revenue); `best` holds the artifacts most specific words point at. On a tie it keeps those the
 * orchestrator delivers (`orchestrator.deliverable`), when there are any, and drops any made from
 * another of them ("priority" fits the labels and the assignments made from them: the labels).
 */
export function relateGoal(tokens: readonly Token[], index: ManifestIndex): GoalRelation {
  const { vocabulary } = index;
  const meaningful = unique(tokens.filter((t) => !isNeutralWord(t.word) && isMeaningfulStem(t.stem)));
  const unrelated = meaningful.filter((t) => !vocabulary.known.has(t.stem));
  const domain = meaningful.filter((t) => vocabulary.domain.has(t.stem));

  const hits = new Map<string, string[]>();
  for (const t of meaningful) {
    if (vocabulary.domain.has(t.stem)) continue;
    for (const artifact of pointedAt(t.stem, index)) hits.set(artifact, [...(hits.get(artifact) ?? []), t.stem]);
  }
  const top = Math.max(0, ...[...hits.values()].map((stems) => stems.length));
  let artifacts = top === 0 ? [] : [...hits.keys()].filter((a) => hits.get(a)?.length === top);
  const delivered = artifacts.filter((a) => index.deliverable.has(a));
  if (delivered.length > 0) artifacts = delivered;
  // Of artifacts the words fit equally, one made from another adds nothing the words asked for.
  const tied = artifacts;
  artifacts = tied.filter((a) => {
    const inputs = upstreamOf(new Set([a]), index.producers);
    return !tied.some((b) => b !== a && inputs.has(b));
  });
  artifacts.sort((a, b) => (index.artifactRank.get(a) ?? 0) - (index.artifactRank.get(b) ?? 0));
  const stems = [...new Set(artifacts.flatMap((a) => hits.get(a) ?? []))];
  return { meaningful, unrelated, domain, best: { artifacts, stems } };
}

/**
 * The artifacts a word points at. A word of an artifact's own name ("hotel" of `hotel-options`)
 * points at that artifact only: the description of an agent that consumes it ("an itinerary from
 * flights and hotels") mentions its inputs, which does not make the word a request for its output.
 */
function pointedAt(stem: string, index: ManifestIndex): readonly string[] {
  const all = index.vocabulary.artifactsOf.get(stem) ?? [];
  const named = all.filter((a) => index.artifacts.some((w) => w.name === a && w.stems.includes(stem)));
  return named.length > 0 ? named : all;
}

/** The tokens with their first stem only ("charts, chart" counts once). */
function unique(tokens: readonly Token[]): Token[] {
  const seen = new Set<string>();
  return tokens.filter((t) => {
    if (seen.has(t.stem)) return false;
    seen.add(t.stem);
    return true;
  });
}
