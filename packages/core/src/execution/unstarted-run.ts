import type { Integrator, RunOwner, RunRecord } from '../core/contracts.ts';
import { kept } from '../core/kept-objects.ts';
import type { Manifest, RunResult } from '../core/types.ts';
import { deliver } from '../integration/delivery.ts';
import { snapshotOf } from '../manifest/snapshot.ts';
import type { RunJournal } from './journal.ts';
import { ownerInfo } from './owner-identity.ts';
import type { RunControl } from './run-control.ts';

/** A run the journal holds without its `run.started`, as this process took it over. */
export interface UnstartedRun {
  record: RunRecord;
  /** The journal to end it in, holding the fence of this process's claim. */
  journal: RunJournal;
  /** The process that registered the run, when the journal recorded it. */
  startedBy: RunOwner | undefined;
  /** This process. */
  takenBy: RunOwner;
  /** Why its owner was judged gone. */
  why: string | undefined;
  /** The manifest it is recorded under: this orchestrator's (the run journaled none). */
  manifest: Manifest;
  control: RunControl;
  integrator: () => Promise<Integrator>;
}

/**
 * Ends, `failed`, a run registered without its start: its process died between registering it and
 * journaling `run.started`, which only a store without `createRunWithEvents` (or an earlier Baton)
 * allows. Nothing tells what it was started with (its parameters, its plan or workflow), so it
 * cannot be carried on; ended, it no longer shows as running for ever, and can be deleted.
 */
export function endUnstartedRun(run: UnstartedRun): Promise<RunResult> {
  const { record, journal, startedBy } = run;
  const by = startedBy ?? run.takenBy;
  journal.emit(
    kept({
      type: 'run.started',
      goal: record.goal,
      orchestrator: run.manifest.orchestrator.name,
      ...(record.manifestFile ? { manifestFile: record.manifestFile } : {}),
      options: kept({ pid: by.pid, host: by.host, owner: by.id }),
      manifest: snapshotOf(run.manifest),
      params: {},
    }),
  );
  journal.emit({ type: 'run.resumed', interruptedAttempts: [], owner: ownerInfo(run.takenBy), ...(run.why ? { reason: run.why } : {}) });
  const reason =
    `the process that registered this run (created ${record.createdAt}) stopped before it journaled the run's start, ` +
    'so what the run was started with (its parameters, plan or workflow) is unknown and it cannot be carried on; start it again';
  return deliver({
    journal,
    manifest: run.manifest,
    verdict: { status: 'failed', reason },
    loop: undefined,
    outDir: undefined,
    integrator: run.integrator,
    integratorName: run.manifest.orchestrator.integrator ?? 'default',
    control: run.control,
  });
}
