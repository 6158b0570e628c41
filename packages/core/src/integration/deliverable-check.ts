import { errorMessage } from '../core/errors.ts';
import type { Deliverable, Provenance } from '../core/types.ts';
import { isRecord } from '../manifest/lenient.ts';
import { jsonCopy } from '../validation/json-copy.ts';
import { kindOf } from '../validation/output-validator.ts';

const SHAPE = '{ artifacts, files?, provenance?, missing? }';

/** Every slot a string (by index: `every` skips the holes of a sparse array). */
function isStringList(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return false;
  return true;
}

/** What `read` gives, as JSON data (what JSON would give), or an error naming where in the deliverable. */
function jsonOf(where: string, read: () => unknown): unknown {
  try {
    return jsonCopy(read());
  } catch (e) {
    throw new Error(`${where}: not JSON data (${errorMessage(e).replace(/\s*\n\s*/g, ' ')})`);
  }
}

/**
 * An object's entries as JSON data, one by one (so an error names the entry), defined on `copy`
 * (a `__proto__` key stays a key); JSON leaves out what gives undefined.
 */
function jsonEntries(where: string, record: Record<string, unknown>, copy: Record<string, unknown> = {}): Record<string, unknown> {
  for (const key of Object.keys(record)) {
    // Read inside: a getter may throw.
    const item = jsonOf(`${where}.${key}`, () => record[key]);
    if (item !== undefined) Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/**
 * What a manifest's integrator returned, as the run journals it: its own JSON copy (nothing the
 * integrator keeps changes the journal, and nothing JSON cannot write reaches it), with `files`
 * and `provenance` empty when left out and any other field kept. Throws what is wrong, naming the
 * integrator and the field: the integration then fails and the run ends with what its tasks made,
 * as when the integrator throws. (A deliverable the journal could not take made
 * `orchestrator.run()` throw a TypeError and left the run unended in the journal.)
 */
export function checkedDeliverable(returned: unknown, integrator: string): Deliverable {
  // A code integrator (createOrchestrator's `integrator`) has no file to name.
  const by = integrator === 'default' ? 'the integrator' : `the integrator ${integrator}`;
  if (!isRecord(returned)) throw new Error(`${by} returned ${kindOf(returned)}; expected a deliverable ${SHAPE}${returned === undefined ? ' (a missing return?)' : ''}`);
  const { artifacts, files, provenance, missing, ...more } = returned;
  if (!isRecord(artifacts)) throw new Error(`${by}: deliverable.artifacts: expected an object with one entry per artifact type, got ${kindOf(artifacts)}`);
  if (files !== undefined && !isStringList(files)) throw new Error(`${by}: deliverable.files: expected an array of file paths (strings)`);
  if (missing !== undefined && !isStringList(missing)) throw new Error(`${by}: deliverable.missing: expected an array of artifact types (strings)`);
  if (provenance !== undefined && !isRecord(provenance)) throw new Error(`${by}: deliverable.provenance: expected an object by artifact type, got ${kindOf(provenance)}`);
  const checked: Deliverable = {
    artifacts: jsonEntries(`${by}: deliverable.artifacts`, artifacts),
    files: files ? [...files] : [],
    provenance: jsonEntries(`${by}: deliverable.provenance`, provenance ?? {}) as Record<string, Provenance>,
  };
  if (missing !== undefined) checked.missing = [...missing];
  // Fields of its own (a report's URL) are the integrator's to add: they are kept, as JSON.
  jsonEntries(`${by}: deliverable`, more, checked as unknown as Record<string, unknown>);
  return checked;
}
