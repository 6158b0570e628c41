import { ownValue } from '../core/artifact-names.ts';
import type { AgentSpec, Manifest } from '../core/types.ts';
import { buildVocabulary, type DomainVocabulary } from './domain-vocabulary.ts';
import { stemsOf } from './text-match.ts';

/** An artifact type and the words that name it. */
export interface ArtifactWords {
  name: string;
  stems: string[];
  /** The head noun: the last word (`dataset` for `sales-dataset`); undefined when it has no word. */
  head: string | undefined;
}

/** One capability phrase of a sub-agent, as stems. */
export interface CapabilityPhrase {
  agent: string;
  phrase: string;
  stems: string[];
}

/**
 * What the builtin planner needs to know about a manifest, computed once per manifest object in one
 * pass over its sub-agents, so planning stays linear in the size of the manifest.
 */
export interface ManifestIndex {
  /** The orchestrator's sub-agents that the manifest defines, in declared order. */
  subagents: AgentSpec[];
  /** Position of each sub-agent in `orchestrator.subagents`: ties are broken by it. */
  rank: ReadonlyMap<string, number>;
  /** Sub-agents producing each artifact, in declared order. */
  producers: ReadonlyMap<string, AgentSpec[]>;
  /** Every artifact type the orchestrator's world mentions, in a stable order. */
  artifacts: ArtifactWords[];
  /** The orchestrator's `deliverable`. */
  deliverable: ReadonlySet<string>;
  /** Artifacts the deliverable is made from, directly or not (its producers' inputs, and theirs). */
  deliverableInputs: ReadonlySet<string>;
  /** Position of each artifact in `artifacts` (the order of `Plan.requested`). */
  artifactRank: ReadonlyMap<string, number>;
  capabilities: CapabilityPhrase[];
  /**
   * The orchestrator's own words: its name and its description after the first word (the verb),
   * minus words of artifact names and capabilities, which point at one part rather than the whole.
   */
  orchestratorStems: string[];
  /** The orchestrator's name among them ("report" for `reports`): the strongest of its own words. */
  orchestratorNameStems: ReadonlySet<string>;
  /** The words of the orchestrator's world: what relates to it, and to which artifact. */
  vocabulary: DomainVocabulary;
}

const cache = new WeakMap<Manifest, ManifestIndex>();

/** The index of a manifest (cached per manifest object; manifests are treated as immutable). */
export function indexManifest(manifest: Manifest): ManifestIndex {
  const cached = cache.get(manifest);
  if (cached) return cached;
  const index = buildIndex(manifest);
  cache.set(manifest, index);
  return index;
}

function buildIndex(manifest: Manifest): ManifestIndex {
  const { orchestrator } = manifest;
  const subagents: AgentSpec[] = [];
  const rank = new Map<string, number>();
  for (const name of orchestrator.subagents) {
    const spec = ownValue(manifest.agents, name);
    if (!spec || rank.has(name)) continue;
    rank.set(name, subagents.length);
    subagents.push(spec);
  }

  const producers = new Map<string, AgentSpec[]>();
  const artifactNames: string[] = [];
  const artifactRank = new Map<string, number>();
  const addArtifact = (name: string): void => {
    if (artifactRank.has(name)) return;
    artifactRank.set(name, artifactNames.length);
    artifactNames.push(name);
  };
  for (const spec of subagents) {
    for (const artifact of new Set(spec.produces)) {
      addArtifact(artifact);
      const list = producers.get(artifact);
      if (list) list.push(spec);
      else producers.set(artifact, [spec]);
    }
  }
  for (const spec of subagents) spec.consumes.forEach(addArtifact);
  orchestrator.deliverable.forEach(addArtifact);

  const artifacts = artifactNames.map((name) => {
    const stems = stemsOf(name);
    return { name, stems, head: stems[stems.length - 1] };
  });
  const capabilities = subagents.flatMap((spec) =>
    spec.capabilities.map((phrase) => ({ agent: spec.name, phrase, stems: stemsOf(phrase) })),
  );

  const partWords = new Set([...artifacts.flatMap((a) => a.stems), ...capabilities.flatMap((c) => c.stems)]);
  const descriptionAfterVerb = orchestrator.description.trim().split(/\s+/).slice(1).join(' ');
  const orchestratorStems = stemsOf(`${orchestrator.name} ${descriptionAfterVerb}`).filter((s) => !partWords.has(s));

  const vocabulary = buildVocabulary(manifest, subagents, artifactNames);
  const deliverable = new Set(orchestrator.deliverable);
  const deliverableInputs = upstreamOf(deliverable, producers);
  const orchestratorNameStems = new Set(stemsOf(orchestrator.name).filter((s) => orchestratorStems.includes(s)));
  return { subagents, rank, producers, artifacts, deliverable, deliverableInputs, artifactRank, capabilities, orchestratorStems, orchestratorNameStems, vocabulary };
}

/** Every artifact the given ones are made from, through any of their producers, transitively. */
export function upstreamOf(artifacts: ReadonlySet<string>, producers: ReadonlyMap<string, AgentSpec[]>): Set<string> {
  const found = new Set<string>();
  const pending = [...artifacts];
  for (let i = 0; i < pending.length; i++) {
    for (const spec of producers.get(pending[i] as string) ?? []) {
      for (const input of spec.consumes) {
        if (found.has(input)) continue;
        found.add(input);
        pending.push(input);
      }
    }
  }
  return found;
}
