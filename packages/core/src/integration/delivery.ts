import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Integrator } from '../core/contracts.ts';
import { ownCopy, setOwn } from '../core/artifact-names.ts';
import { MAX_TIMER_MS } from '../core/defaults.ts';
import { errorMessage } from '../core/errors.ts';
import { kept } from '../core/kept-objects.ts';
import { isFinalStatus } from '../core/types.ts';
import { untilAborted } from '../core/within.ts';
import { writeText } from '../core/write-text.ts';
import type { Deliverable, FinalRunStatus, Manifest, RunResult, RunStatus } from '../core/types.ts';
import type { RunJournal } from '../execution/journal.ts';
import type { RunControl } from '../execution/run-control.ts';
import type { RunLoop } from '../execution/run-loop.ts';
import { requestedArtifacts } from '../execution/outcome.ts';
import { dataCopy, resultCopy } from '../validation/json-copy.ts';
import { collectArtifacts } from './collect.ts';
import { checkedDeliverable } from './deliverable-check.ts';
import { writeDefaultDeliverable } from './default-deliverable.ts';

export interface DeliveryOptions {
  journal: RunJournal;
  manifest: Manifest;
  /** How the run ends, as decided from its tasks (integration can still lower it). */
  verdict: { status: RunStatus; reason?: string };
  /** The loop that ran the tasks; undefined when the run ended before any (planning failed, cancelled). */
  loop: RunLoop | undefined;
  outDir: string | undefined;
  integrator: () => Promise<Integrator>;
  /** What the integration events call the integrator (`default`, or the module path). */
  integratorName: string;
  control: RunControl;
}

/**
 * Ends a run: integrates its artifacts into the deliverable (a journaled phase, cancelled with the
 * run and bounded by `policy.taskTimeoutMs`), writes `run.json`, then journals `run.ended`, and returns
 * the final RunResult once every event is stored.
 */
export async function deliver(o: DeliveryOptions): Promise<RunResult> {
  const { journal } = o;
  const result = journal.builder.current()!;
  let status: FinalRunStatus = isFinalStatus(o.verdict.status) ? o.verdict.status : 'failed';
  let reason = o.verdict.reason;
  const made = o.loop?.artifacts ?? NONE;
  const madeBy = o.loop ? o.loop.provenanceFor(requestedArtifacts(result.plan)) : NONE;
  let deliverable: Deliverable = collectArtifacts({ plan: result.plan, artifacts: made, provenance: madeBy });
  const unwritable = o.outDir ? await folderProblem(o.outDir) : undefined;
  // Without its folder the run still ends, with its artifacts and no files: nothing more is written.
  const outDir = unwritable ? undefined : o.outDir;
  if (unwritable) {
    if (status === 'succeeded') status = 'partial';
    reason = reason ? `${reason}; ${unwritable}` : unwritable;
  }
  if (o.loop && status !== 'cancelled' && o.loop.hasArtifacts) {
    journal.emit(kept({ type: 'integration.started', integrator: o.integratorName }));
    const started = Date.now();
    try {
      const integrator = await o.integrator();
      if (integrator !== collectArtifacts) {
        // Plain objects for the integrator (the run loop's records have no prototype), and its own
        // copies: what it changes is not what the tasks' outputs in the journal hold.
        const artifacts = ownCopy(made);
        for (const key in artifacts) setOwn(artifacts, key, dataCopy(artifacts[key]));
        const provenance = o.loop.allProvenance();
        const snapshot: RunResult = { ...resultCopy(result), status };
        // Within what a timer holds: past it, Node fires the timeout after 1 ms.
        const signal = AbortSignal.any([o.control.signal, AbortSignal.timeout(Math.min(o.manifest.orchestrator.policy.taskTimeoutMs, MAX_TIMER_MS))]);
        const returned = await untilAborted(
          Promise.resolve(
            integrator({
              runId: result.runId,
              goal: result.goal,
              manifest: o.manifest,
              plan: snapshot.plan,
              tasks: snapshot.tasks,
              artifacts,
              provenance,
              missing: deliverable.missing ?? [],
              outDir: outDir ?? '',
              result: snapshot,
              signal,
            }),
          ),
          signal,
        );
        deliverable = checkedDeliverable(returned, o.integratorName);
      } else if (outDir) {
        deliverable = await writeDefaultDeliverable(outDir, deliverable, { runId: result.runId, goal: result.goal, status, ...(reason === undefined ? {} : { reason }) });
      }
      journal.emit(kept({ type: 'integration.ended', ok: true, durationMs: Date.now() - started }));
      const stop = o.control.stopped();
      if (stop?.kind === 'cancelled') reason = `${reason ? `${reason}; ` : ''}a cancel (${stop.message}) arrived after the deliverable was complete`;
    } catch (e) {
      const stop = o.control.stopped();
      const timedOut = !stop && e instanceof DOMException && e.name === 'TimeoutError';
      const error = stop ? stop.message : timedOut ? `the integrator took longer than policy.taskTimeoutMs (${o.manifest.orchestrator.policy.taskTimeoutMs} ms)` : errorMessage(e);
      journal.emit(kept({ type: 'integration.ended', ok: false, durationMs: Date.now() - started, error }));
      if (stop?.kind === 'cancelled') {
        status = 'cancelled';
        reason = `cancelled during integration: ${stop.message}`;
      } else {
        if (status === 'succeeded') status = 'partial';
        reason = `integration failed: ${error}${reason ? `; ${reason}` : ''}`;
      }
    }
  }
  // Handed over to another process during the integration: that process integrates and ends it.
  if (o.control.leftHere()) {
    await journal.flush();
    return resultCopy(journal.builder.current()!);
  }
  const runJson = outDir ? path.join(outDir, 'run.json') : undefined;
  const files = [...(deliverable.files ?? [])].map(displayPath);
  if (runJson && !files.includes(displayPath(runJson))) files.push(displayPath(runJson));
  deliverable = kept({ ...deliverable, files });
  // run.json is written before the end is journaled: a process killed in between leaves a run that
  // is carried on and writes it again, never an ended run whose listed run.json is missing or cut.
  journal.hold();
  cancelUnended(journal, status, reason);
  journal.emit(kept(reason === undefined ? { type: 'run.ended', status, deliverable } : { type: 'run.ended', status, reason, deliverable }));
  // No event follows run.ended, so the live result is final: hand it over without a copy.
  const final = journal.builder.current()!;
  if (runJson) {
    // A copy of the journal's result that cannot be made (too long for one string) or written (the
    // disk filled up) must not keep the run's end from the journal.
    try {
      await writeText(runJson, `${JSON.stringify(final, null, 2)}\n`);
    } catch {
      // The journal holds the result.
    }
  }
  await journal.flush();
  return final;
}

/** Why the deliverable's folder cannot be made (a file in its way, no permission), or undefined once it exists. */
async function folderProblem(outDir: string): Promise<string | undefined> {
  try {
    await mkdir(outDir, { recursive: true });
    return undefined;
  } catch (e) {
    return `the deliverable's folder ${displayPath(outDir)} could not be made (${errorMessage(e)}): no file was written`;
  }
}

/**
 * Ends a run that met an error of Baton's own on its way (not an agent's: those are in its
 * tasks): `run.ended` failed with the error, so that no run stays `running` with nobody to end it.
 * Throws when even that cannot be journaled (the journal itself fails): the run is then carried on
 * by whoever takes it over.
 */
export async function endAfterError(journal: RunJournal, error: unknown): Promise<RunResult> {
  const reason = `internal error: ${errorMessage(error)}`;
  cancelUnended(journal, 'failed', reason);
  journal.emit(kept({ type: 'run.ended', status: 'failed', reason, deliverable: { artifacts: {}, files: [], provenance: {} } }));
  await journal.flush();
  return journal.builder.current()!;
}

/**
 * Ends, as cancelled, the tasks of a run that ends before they did: a plan rejected or left
 * undecided, a run cancelled while it waited for a decision. An ended run has no pending task.
 */
function cancelUnended(journal: RunJournal, status: FinalRunStatus, reason: string | undefined): void {
  for (const task of journal.builder.current()!.tasks) {
    if (task.status !== 'pending' && task.status !== 'running') continue;
    journal.emit({ type: 'task.cancelled', taskId: task.id, reason: `the run ended ${status} before this task ${task.status === 'pending' ? 'ran' : 'ended'}${reason === undefined ? '' : `: ${reason}`}` });
  }
}

const NONE: Readonly<Record<string, never>> = Object.freeze({});

/** A path relative to the working folder when it is inside it, else absolute. */
export function displayPath(p: string): string {
  const abs = path.resolve(p);
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}
