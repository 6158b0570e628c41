import { errorMessage } from '../core/errors.ts';
import type { Deliverable, Provenance } from '../core/types.ts';
import { jsonCopy } from '../validation/json-copy.ts';
import { kindOf } from '../validation/output-validator.ts';

const SHAPE = '{ artifacts, files?, provenance?, missing? }';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * What a manifest's integrator returned, as the run journals it: its own JSON copy, so nothing
 * the integrator keeps changes the journal, and nothing JSON cannot write reaches it. Throws what
 * is wrong with it, naming the field: the integration then fails and the run ends with what its
 * tasks made, as when the integrator throws. (A deliverable the journal could not take ended
 * `orchestrator.run()` with a TypeError and left the run unended in the journal.)
 */
export function checkedDeliverable(returned: unknown): Deliverable {
  if (!isRecord(returned)) throw new Error(`the integrator returned ${kindOf(returned)}; expected a deliverable ${SHAPE}`);
  const { artifacts, files, provenance, missing } = returned;
  if (!isRecord(artifacts)) throw new Error(`the integrator's deliverable: artifacts: expected an object with one entry per artifact type, got ${kindOf(artifacts)}`);
  if (files !== undefined && !isStringList(files)) throw new Error(`the integrator's deliverable: files: expected an array of file paths, got ${kindOf(files)}`);
  if (missing !== undefined && !isStringList(missing)) throw new Error(`the integrator's deliverable: missing: expected an array of artifact types, got ${kindOf(missing)}`);
  if (provenance !== undefined && !isRecord(provenance)) throw new Error(`the integrator's deliverable: provenance: expected an object by artifact type, got ${kindOf(provenance)}`);
  for (const [type, made] of Object.entries(provenance ?? {}) as [string, unknown][]) {
    if (!isRecord(made)) throw new Error(`the integrator's deliverable: provenance.${type}: expected who made it ({ task, agent, attempt, ... }), got ${kindOf(made)}`);
  }
  let copy: { artifacts: Record<string, unknown>; provenance: Record<string, Provenance> };
  try {
    copy = jsonCopy({ artifacts, provenance: provenance ?? {} }) as typeof copy;
  } catch (e) {
    throw new Error(`the integrator's deliverable cannot be journaled as JSON: ${errorMessage(e).replace(/\s*\n\s*/g, ' ')}`);
  }
  const checked: Deliverable = { artifacts: copy.artifacts, files: files ?? [], provenance: copy.provenance };
  if (missing !== undefined) checked.missing = missing;
  return checked;
}
