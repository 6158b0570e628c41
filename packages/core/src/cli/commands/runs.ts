import path from 'node:path';
import { BatonError } from '../../core/errors.ts';
import { reduceEvents } from '../../core/reduce.ts';
import { isFinalStatus } from '../../core/types.ts';
import type { RunResult, RunStatus } from '../../core/types.ts';
import type { CommonOptions } from '../context.ts';
import { missingJournalFile, openJournal, openJournalOfRun } from '../context.ts';
import { deleteRunAndFiles, pruneRuns, retentionOf, type DeletedRun } from '../../store/retention.ts';
import { color, formatMs } from '../format.ts';
import { deliverableText } from '../deliverable-output.ts';

/** `baton runs list`. */
export async function runsListCommand(opts: CommonOptions & { json?: boolean; limit?: number; status?: RunStatus }): Promise<number> {
  const missing = missingJournalFile(opts);
  if (missing !== undefined) {
    process.stdout.write(opts.json ? '[]\n' : `no runs yet: there is no journal at ${missing}\n`);
    return 0;
  }
  const store = await openJournal(opts);
  try {
    const runs = await store.listRuns({ limit: opts.limit ?? 20, ...(opts.status ? { status: opts.status } : {}) });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      return 0;
    }
    if (runs.length === 0) process.stdout.write(opts.status ? `no ${opts.status} runs\n` : 'no runs yet\n');
    for (const r of runs) {
      process.stdout.write(`${r.runId}  ${r.createdAt}  ${r.status.padEnd(r.status === 'awaiting-approval' ? 17 : 9)}  ${truncate(r.goal, 70)}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** `baton runs show <id>`: the plan and the timeline of every attempt. */
export async function runsShowCommand(runId: string, opts: CommonOptions & { json?: boolean }): Promise<number> {
  const store = await openJournalOfRun(runId, opts);
  try {
    const result = reduceEvents(await store.readEvents(runId));
    if (!result) throw new BatonError('RUN_NOT_FOUND', `no run ${runId} in the journal (see 'baton runs list')`, { retryable: false });
    if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${timeline(result)}\n\n${isFinalStatus(result.status) ? deliverableText(result) : color.dim(`(${result.status}: the deliverable comes at the end)\n`)}`);
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * `baton runs cancel <id>`: cancels the run wherever it runs. Its live process (a `baton run`, a
 * `baton serve` replica, here or on another machine) gets the request through the journal and
 * stops the run within about a second; a run whose process is gone is taken over and ended here,
 * and its jobs queued for workers are cancelled.
 */
export async function runsCancelCommand(runId: string, opts: CommonOptions & { redis?: string }): Promise<number> {
  // Loaded here: only a cancel that ends the run itself needs the orchestrator.
  const { runtimeForResume } = await import('./run.ts');
  const runtime = await runtimeForResume({ ...opts, ...(opts.redis ? { redis: opts.redis } : {}) }, runId);
  try {
    const outcome = await runtime.orchestrator.requestCancel(runId, 'cancelled from the command line');
    switch (outcome.kind) {
      case 'not-found':
        throw new BatonError('RUN_NOT_FOUND', `no run ${runId} in the journal (see 'baton runs list')`, { retryable: false });
      case 'ended':
        process.stderr.write(`run ${runId} already ended ${outcome.status}\n`);
        return 0;
      case 'cancelling':
        return 0;
      case 'requested':
        process.stderr.write(`asked ${outcome.owner}, which runs ${runId}, to cancel it\n`);
        return 0;
      case 'cancelled':
        process.stderr.write(`run ${runId} ${outcome.result.status}: its process was gone, so it was ended here${outcome.result.reason ? ` (${outcome.result.reason})` : ''}\n`);
        return 0;
    }
  } finally {
    await runtime.close();
  }
}

function timeline(r: RunResult): string {
  const t0 = Date.parse(r.startedAt);
  const lines = [
    `${color.bold(r.runId)}  ${r.status}${r.reason ? ` (${r.reason})` : ''}`,
    `goal:    ${r.goal}`,
    ...(Object.keys(r.params ?? {}).length > 0 ? [`params:  ${JSON.stringify(r.params)}`] : []),
    `planner: ${r.planner}   started ${r.startedAt}${r.endedAt ? `   took ${formatMs(Date.parse(r.endedAt) - t0)}` : ''}`,
    '',
  ];
  for (const task of r.plan.tasks) {
    const t = r.tasks.find((x) => x.id === task.id);
    const deps = task.dependsOn.length ? ` after ${task.dependsOn.join(', ')}` : '';
    lines.push(`${color.bold(task.id)} ${t?.status ?? 'pending'}${deps}  ${color.dim(task.reason ?? '')}`);
    for (const a of t?.attempts ?? []) {
      const start = Date.parse(a.startedAt) - t0;
      const dur = a.endedAt ? formatMs(Date.parse(a.endedAt) - Date.parse(a.startedAt)) : 'running';
      lines.push(`  #${a.n} ${a.agent}@${a.agentVersion ?? '?'}  +${formatMs(start)}  ${dur}  ${a.status ?? 'running'}${a.error ? `: ${a.error}` : ''}`);
    }
    if (t?.reason && t.status !== 'succeeded') lines.push(`  ${color.dim(t.reason)}`);
  }
  for (const a of r.approvals ?? []) {
    const what = a.kind === 'plan' ? `the plan${a.planEdited ? ' (edited)' : ''}` : `task ${a.taskId ?? '?'}`;
    lines.push(`${a.decision === 'approved' ? 'approved' : 'rejected'}: ${what} by ${a.by} at ${a.at}${a.reason ? ` (${a.reason})` : ''}${a.note ? ` — ${a.note}` : ''}`);
  }
  for (const p of r.awaiting ?? []) {
    lines.push(color.yellow(`waits for a decision: ${p.kind === 'plan' ? 'the plan' : `task ${p.taskId ?? '?'} (agent ${p.agent ?? '?'})`} since ${p.requestedAt}${p.expiresAt ? `, until ${p.expiresAt}` : ''}`));
  }
  if (r.deliverable.files.length) lines.push('', `files: ${r.deliverable.files.join(', ')}`);
  return lines.join('\n');
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** `baton runs delete <id>`: the run's journal rows and its out folder; a running run is refused. */
export async function runsDeleteCommand(runId: string, opts: CommonOptions): Promise<number> {
  const store = await openJournalOfRun(runId, opts);
  try {
    const journal = retentionOf(store);
    const deleted = await deleteRunAndFiles(journal, runId);
    if (!deleted) throw new BatonError('RUN_NOT_FOUND', `no run ${runId} in the journal (see 'baton runs list')`, { retryable: false });
    process.stderr.write(`deleted run ${runId} (${deleted.status})${filesNote(deleted)}\n`);
    if (deleted.filesError) {
      process.stderr.write(`baton: some files of the run could not be removed: ${deleted.filesError}\n`);
      return 1;
    }
    const space = await journal.reclaimSpace();
    if (space) process.stderr.write(color.dim(`journal: ${formatBytes(space.bytesBefore)} → ${formatBytes(space.bytesAfter)}\n`));
    return 0;
  } finally {
    await store.close();
  }
}

/** `baton runs prune --older-than D [--keep N] [--dry-run] [--vacuum]`. */
export async function runsPruneCommand(opts: CommonOptions & { olderThan: number; keep?: number; dryRun?: boolean; vacuum?: boolean; json?: boolean }): Promise<number> {
  const missing = missingJournalFile(opts);
  if (missing !== undefined) {
    if (opts.json) process.stdout.write(`${JSON.stringify({ deleted: [], skipped: [] }, null, 2)}\n`);
    else process.stderr.write(`${opts.dryRun ? 'would delete' : 'deleted'} 0 run(s): there is no journal at ${missing}\n`);
    return 0;
  }
  const store = await openJournal(opts);
  try {
    const report = await pruneRuns(retentionOf(store), {
      olderThanMs: opts.olderThan,
      keep: opts.keep ?? 0,
      ...(opts.dryRun ? { dryRun: true } : {}),
      ...(opts.vacuum ? { full: true } : {}),
    });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const verb = opts.dryRun ? 'would delete' : 'deleted';
      for (const d of report.deleted) process.stdout.write(`${verb} ${d.runId}  ${d.createdAt}  ${d.status}${d.outDir ? `  ${displayDir(d.outDir)}` : ''}${d.outDirKept ? ` (kept: ${d.outDirKept})` : ''}\n`);
      for (const id of report.skipped) process.stdout.write(`kept ${id}: it is running again\n`);
      process.stderr.write(`${verb} ${report.deleted.length} run(s)${opts.dryRun ? ' (dry run: nothing was deleted)' : ''}\n`);
      if (report.space) {
        const free = report.space.bytesFree ? `; ${formatBytes(report.space.bytesFree)} free inside the file for new runs (--vacuum gives it back to the disk)` : '';
        process.stderr.write(`journal: ${formatBytes(report.space.bytesBefore)} → ${formatBytes(report.space.bytesAfter)}${free}\n`);
      }
    }
    return report.deleted.some((d) => d.filesError) ? 1 : 0;
  } finally {
    await store.close();
  }
}

/** What became of a deleted run's out folder, for the line that reports the deletion. */
function filesNote(deleted: DeletedRun): string {
  if (!deleted.outDir) return '';
  const dir = displayDir(deleted.outDir);
  return deleted.outDirKept ? `; kept ${dir}: ${deleted.outDirKept}` : ` and ${dir}`;
}

function displayDir(dir: string): string {
  const rel = path.relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? `${rel}/` : `${dir}/`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
