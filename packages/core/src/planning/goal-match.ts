import type { AgentSpec } from '../core/types.ts';
import type { CapabilityPhrase, ManifestIndex } from './manifest-index.ts';
import { type GoalWords, stemsOf } from './text-match.ts';

/** An artifact the goal names, and how. */
export interface NamedArtifact {
  artifact: string;
  /** The goal's words that named it. */
  stems: string[];
  /** e.g. "goal mentions 'charts'". */
  reason: string;
}

/** Everything the goal says about the manifest, strongest signal first. */
export interface GoalSignals {
  /** Artifacts named by all their words, or by their head noun (last word). */
  named: NamedArtifact[];
  /** Capability phrases all of whose words appear in the goal. */
  capabilities: CapabilityPhrase[];
  /** The orchestrator's own words the goal uses ("report" for `reports`). */
  orchestratorWords: string[];
  /** The goal's words that named artifacts. */
  namedStems: ReadonlySet<string>;
}

/**
 * Reads the strong signals of a goal. An artifact type is named when the goal has all of its words,
 * or its head noun (its last word: "dataset" names `sales-dataset`, "sales" alone does not). A head
 * noun shared by several artifact types names only the ones the goal names in full, when there are
 * any ("hotel options" names `hotel-options`, not `flight-options`).
 */
export function readGoal(goal: GoalWords, index: ManifestIndex): GoalSignals {
  const full = index.artifacts.filter((a) => goal.hasAll(a.stems));
  const fullHeads = new Set(full.map((a) => a.head));
  const named: NamedArtifact[] = [];
  const namedStems = new Set<string>();
  for (const a of index.artifacts) {
    const words = full.includes(a) ? a.stems : a.head !== undefined && goal.has(a.head) && !fullHeads.has(a.head) ? [a.head] : [];
    if (words.length === 0) continue;
    named.push({ artifact: a.name, stems: words, reason: `goal mentions ${goal.quote(words)}` });
    for (const w of words) namedStems.add(w);
  }
  return {
    named,
    capabilities: index.capabilities.filter((c) => goal.hasAll(c.stems)),
    orchestratorWords: index.orchestratorStems.filter((s) => goal.has(s)),
    namedStems,
  };
}

/**
 * How well the goal matches an agent, to choose among several producers of one artifact: each
 * capability phrase found in full outweighs any number of single shared words (from the agent's
 * name, capabilities and description).
 */
export function agentScore(goal: GoalWords, spec: AgentSpec): { score: number; words: string[] } {
  const phrases = spec.capabilities.filter((c) => goal.hasAll(stemsOf(c))).length;
  const own = new Set([
    ...stemsOf(spec.name),
    ...spec.capabilities.flatMap((c) => stemsOf(c)),
    ...stemsOf(spec.description),
  ]);
  const words = [...own].filter((s) => goal.has(s));
  return { score: phrases * 1000 + words.length, words };
}
