import { setOwn } from '../core/artifact-names.ts';
import type { RunEventBody } from '../core/events.ts';
import type { RunResultBuilder } from '../core/reduce.ts';

type RunEnded = Extract<RunEventBody, { type: 'run.ended' }>;

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Journals each artifact of the deliverable once: an artifact equal to the output its task
 * already journaled (in `task.succeeded`) becomes a reference in `artifactRefs`, its value in
 * `deliverable.artifacts` null. `reduceEvents` puts the value back, so the RunResult is the same.
 * Artifacts an integrator made or changed stay inline.
 */
export function referenceJournaledArtifacts(body: RunEnded, builder: RunResultBuilder): void {
  const { artifacts, provenance } = body.deliverable;
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
  if (Object.keys(refs).length === 0) return;
  body.deliverable = { ...body.deliverable, artifacts: kept };
  body.artifactRefs = refs;
}
