import type { Manifest } from '../core/types.ts';
import { readGoal } from './goal-match.ts';
import { type GoalReading, readScopes } from './goal-scopes.ts';
import { indexManifest, type ManifestIndex } from './manifest-index.ts';
import { isNeutralWord } from './neutral-words.ts';
import type { ProducerChain } from './producer-chain.ts';
import { GoalWords, isMeaningfulStem, stemsOf } from './text-match.ts';

/** What a goal rules out. */
export interface GoalExclusions {
  /** Excluded artifact → the goal's words that excluded it ("'charts'"). */
  artifacts: Map<string, string>;
  /** Excluded words that name no artifact, capability or agent ("'fluff'"), as the goal wrote them. */
  ignored: string[];
}

/**
 * The artifacts a goal's exclusion scopes name: by their words or head noun, by a capability of
 * their producer (all that agent's artifacts: "no sql" rules out what the SQL agent makes) or by an
 * agent's name; when a scope names none of these, by a word only one artifact's words hold ("don't
 * run the linter": the lint agent's description).
 */
export function readExclusions(goal: string, reading: GoalReading, index: ManifestIndex, manifest: Manifest): GoalExclusions {
  const artifacts = new Map<string, string>();
  const ignored: string[] = [];
  for (const tokens of reading.excluded) {
    const words = new GoalWords(goal, tokens);
    const signals = readGoal(words, index);
    const used = new Set(signals.namedStems);
    const add = (artifact: string, stems: readonly string[]): void => {
      if (!artifacts.has(artifact)) artifacts.set(artifact, words.quote(stems));
    };
    for (const named of signals.named) add(named.artifact, named.stems);
    for (const c of signals.capabilities) {
      if (c.stems.every((s) => signals.namedStems.has(s))) continue;
      for (const artifact of manifest.agents[c.agent]?.produces ?? []) add(artifact, c.stems);
      c.stems.forEach((s) => used.add(s));
    }
    for (const spec of index.subagents) {
      const stems = stemsOf(spec.name);
      if (!words.hasAll(stems)) continue;
      for (const artifact of spec.produces) add(artifact, stems);
      stems.forEach((s) => used.add(s));
    }
    // Nothing named: a word of one artifact's description alone ("don't run the *linter*").
    if (used.size === 0) {
      for (const t of tokens) {
        if (isNeutralWord(t.word) || !isMeaningfulStem(t.stem) || index.vocabulary.domain.has(t.stem)) continue;
        const pointed = index.vocabulary.artifactsOf.get(t.stem) ?? [];
        if (pointed.length !== 1) continue;
        add(pointed[0] as string, [t.stem]);
        used.add(t.stem);
      }
    }
    for (const t of tokens) {
      if (used.has(t.stem) || isNeutralWord(t.word) || !isMeaningfulStem(t.stem)) continue;
      const quoted = `'${t.word}'`;
      if (!ignored.includes(quoted)) ignored.push(quoted);
    }
  }
  return { artifacts, ignored };
}

/**
 * The artifacts a goal rules out explicitly ("no summary", "without charts or metrics"), read as
 * the builtin planner reads them: any planner's plan must not deliver these.
 */
export function excludedByGoal(goal: string, manifest: Manifest): string[] {
  const index = indexManifest(manifest);
  return [...readExclusions(goal, readScopes(goal, index.vocabulary), index, manifest).artifacts.keys()];
}

/** What excluding artifacts did to a plan: the artifacts left out of task outputs, and notes saying so. */
export interface ExclusionOutcome {
  /** Every excluded artifact the plan does not deliver, in the manifest's artifact order. */
  excluded: string[];
  /** Excluded artifacts that no planned task needs: planned agents do not output them. */
  dropped: Set<string>;
  notes: string[];
}

/**
 * Settles exclusions once the agents are planned. An excluded artifact a planned agent consumes is
 * still made (as an input only) and a note says who needs it; any other is dropped from its
 * producer's outputs. With an only-scope ("just the charts"), every other artifact of the
 * deliverable and of the planned agents is excluded too, unless a planned agent needs it.
 */
export function settleExclusions(
  exclusions: GoalExclusions,
  onlyMode: boolean,
  requested: ReadonlySet<string>,
  chain: ProducerChain,
  index: ManifestIndex,
): ExclusionOutcome {
  const consumers = new Map<string, string[]>();
  for (const planned of chain.agents.values()) {
    for (const input of planned.spec.consumes) consumers.set(input, [...(consumers.get(input) ?? []), planned.spec.name]);
  }
  const excluded = new Set<string>();
  const dropped = new Set<string>();
  const notes: string[] = [];
  const rank = (a: string): number => index.artifactRank.get(a) ?? Number.MAX_SAFE_INTEGER;

  if (onlyMode) {
    const others = new Set([...index.deliverable, ...[...chain.agents.values()].flatMap((p) => p.spec.produces.filter((a) => chain.producerOf.get(a) === p.spec.name))]);
    const implied = [...others].filter((a) => !requested.has(a) && !exclusions.artifacts.has(a) && !consumers.has(a)).sort((a, b) => rank(a) - rank(b));
    for (const a of implied) {
      excluded.add(a);
      dropped.add(a);
    }
    if (implied.length > 0) notes.push(`the goal asks only for ${humanList([...requested].map(q))}: left out ${humanList(implied.map(q))}`);
  }
  const explicit = [...exclusions.artifacts].sort(([a], [b]) => rank(a) - rank(b));
  for (const [artifact] of explicit) if (!consumers.has(artifact)) dropped.add(artifact);
  const explained = explicit.map(([artifact, words]): string => {
    excluded.add(artifact);
    const users = consumers.get(artifact);
    if (users) {
      const needs = unique(users.flatMap((u) => chain.agents.get(u)?.spec.produces.filter((p) => chain.producerOf.get(p) === u && !dropped.has(p)) ?? []));
      return `${q(artifact)} was excluded (${words}) but ${humanList(needs.map(q))} ${needs.length === 1 ? 'needs' : 'need'} it: it is made as an input only and not delivered`;
    }
    const producer = chain.producerOf.get(artifact);
    return producer === undefined
      ? `${q(artifact)} was excluded (${words}): not planned, not delivered`
      : `${q(artifact)} was excluded (${words}): ${q(producer)} runs for ${humanList(producedFor(producer, chain, requested).map(q))} and does not deliver it`;
  });
  notes.unshift(...explained);
  if (exclusions.ignored.length > 0) {
    notes.push(`ignored the exclusion of ${exclusions.ignored.join(', ')}: it names no artifact, capability or agent of this orchestrator`);
  }
  return { excluded: [...excluded].sort((a, b) => rank(a) - rank(b)), dropped, notes };
}

/** The artifacts a planned agent still delivers or hands on, for notes. */
function producedFor(agent: string, chain: ProducerChain, requested: ReadonlySet<string>): string[] {
  const spec = chain.agents.get(agent)?.spec;
  if (!spec) return [];
  const kept = spec.produces.filter((a) => chain.producerOf.get(a) === agent && requested.has(a));
  return kept.length > 0 ? kept : spec.produces.filter((a) => chain.producerOf.get(a) === agent && !requested.has(a)).slice(0, 1);
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

function humanList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

const q = (s: string): string => JSON.stringify(s);
