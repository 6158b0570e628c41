import { setOwn } from '../core/artifact-names.ts';
import type { IntegrationInput } from '../core/contracts.ts';
import type { Deliverable, Provenance } from '../core/types.ts';
import { requestedArtifacts } from '../execution/outcome.ts';

/**
 * The default integrator: the deliverable is the artifacts the goal asked for (or, when the plan
 * names none, what its last tasks made), each with the provenance of the attempt that made it.
 */
export function collectArtifacts(input: Pick<IntegrationInput, 'plan' | 'artifacts' | 'provenance'>): Deliverable {
  const artifacts: Record<string, unknown> = {};
  const provenance: Record<string, Provenance> = {};
  const missing: string[] = [];
  for (const type of requestedArtifacts(input.plan)) {
    const p = Object.hasOwn(input.provenance, type) ? input.provenance[type] : undefined;
    if (Object.hasOwn(input.artifacts, type) && p) {
      setOwn(artifacts, type, input.artifacts[type]);
      setOwn(provenance, type, p);
    } else {
      missing.push(type);
    }
  }
  return missing.length > 0 ? { artifacts, files: [], provenance, missing } : { artifacts, files: [], provenance };
}
