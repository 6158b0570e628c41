import { setOwn } from '../core/artifact-names.ts';
import type { RunEvent } from '../core/events.ts';
import type { RunResultBuilder } from '../core/reduce.ts';
import { kept as keptCopy } from '../core/kept-objects.ts';

type RunEnded = Extract<RunEvent, { type: 'run.ended' }>;

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * `run.ended` as the journal stores it, holding each artifact of the deliverable once: an artifact
 * equal to the output its task already journaled (in `task.succeeded`) becomes a reference in
 * `artifactRefs`, its value in `deliverable.artifacts` null. `reduceEvents` puts the value back,
 * so the RunResult is the same. Artifacts an integrator made or changed stay inline. The event
 * itself (what listeners get) is left whole; a copy is returned when anything was referenced.
 */
export function journaledForm(event: RunEnded, builder: RunResultBuilder): RunEnded {
  const { artifacts, provenance } = event.deliverable;
  const refs: Record<string, string> = {};
  const kept: Record<string, unknown> = {};
  for (const [type, value] of Object.entries(artifacts)) {
    const taskId = Object.hasOwn(provenance, type) ? provenance[type]?.task : undefined;
    const journaled = taskId === undefined ? undefined : builder.outputOf(taskId, type);
    if (taskId !== undefined && journaled !== undefined && journaled !== null && sameJson(value, journaled)) {
      setOwn(refs, type, taskId);
      setOwn(kept, type, null);
    } else {
      setOwn(kept, type, value);
    }
  }
  if (Object.keys(refs).length === 0) return event;
  return keptCopy({ ...event, deliverable: keptCopy({ ...event.deliverable, artifacts: kept }), artifactRefs: refs });
}
