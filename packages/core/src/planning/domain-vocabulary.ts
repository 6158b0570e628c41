import type { AgentSpec, Manifest } from '../core/types.ts';
import { stemsOf, tokenize } from './text-match.ts';
import { TypoCorrector } from './typo-match.ts';

/**
 * The words of an orchestrator's world, built from its manifest only: which artifacts each word
 * points at, which words are about the domain as a whole, and the written words a misspelling
 * can be read as. It decides whether a goal relates to anything the orchestrator makes at all.
 */
export interface DomainVocabulary {
  /**
   * Stem → the artifacts whose words include it: the artifact's name, its JSON Schema's title and
   * description, and the name, description and capabilities of the sub-agents that produce it.
   */
  artifactsOf: ReadonlyMap<string, readonly string[]>;
  /**
   * Words about the domain as a whole, which point at no artifact in particular: the
   * orchestrator's name and description ("sales", "report"), and words every artifact shares.
   */
  domain: ReadonlySet<string>;
  /** Every stem above: a goal word with one of these relates to this orchestrator. */
  known: ReadonlySet<string>;
  /** Reads misspelt goal words (by their stems) as the manifest's own words. */
  corrector: TypoCorrector;
  /** How the manifest writes each stem (its first spelling), to say how a misspelt word was read. */
  written: ReadonlyMap<string, string>;
}

/** Builds the vocabulary of the sub-agents (in declared order) and the artifacts they produce. */
export function buildVocabulary(manifest: Manifest, subagents: readonly AgentSpec[], artifactNames: readonly string[]): DomainVocabulary {
  const { orchestrator } = manifest;
  const perArtifact = new Map<string, Set<string>>(artifactNames.map((a) => [a, new Set(stemsOf(a))]));
  const texts: string[] = [orchestrator.name, orchestrator.description];

  for (const spec of subagents) {
    const agentText = [spec.name, spec.description, ...spec.capabilities].join(' \n ');
    texts.push(agentText);
    const agentStems = stemsOf(agentText);
    for (const artifact of spec.produces) {
      const words = perArtifact.get(artifact);
      if (!words) continue;
      const schema = spec.output[artifact]?.schema;
      const prose = [schema?.['title'], schema?.['description']].filter((v): v is string => typeof v === 'string').join(' \n ');
      texts.push(prose);
      for (const s of [...agentStems, ...stemsOf(prose)]) words.add(s);
    }
  }
  texts.push(...artifactNames);

  const artifactsOf = new Map<string, string[]>();
  for (const [artifact, stems] of perArtifact) {
    for (const s of stems) {
      const list = artifactsOf.get(s);
      if (list) list.push(artifact);
      else artifactsOf.set(s, [artifact]);
    }
  }
  const domain = new Set(stemsOf(`${orchestrator.name} ${orchestrator.description}`));
  if (perArtifact.size > 1) for (const [s, list] of artifactsOf) if (list.length === perArtifact.size) domain.add(s);

  const written = new Map<string, string>();
  for (const text of texts) for (const t of tokenize(text)) if (!written.has(t.stem)) written.set(t.stem, t.word);
  const known = new Set([...artifactsOf.keys(), ...domain]);
  return { artifactsOf, domain, known, corrector: new TypoCorrector([...known].map((stem) => [stem, stem] as const)), written };
}
