import { hostname } from 'node:os';
import type { RunEvent } from '../../core/events.ts';
import { BatonError } from '../../core/errors.ts';
import { reduceEvents } from '../../core/reduce.ts';
import type { RunResult, RunStatus } from '../../core/types.ts';
import type { CommonOptions } from '../context.ts';
import { openJournal } from '../context.ts';
import { color, formatMs } from '../format.ts';

/** `baton runs list`. */
export async function runsListCommand(opts: CommonOptions & { json?: boolean; limit?: string; status?: string }): Promise<number> {
  const store = await openJournal(opts);
  try {
    const limit = opts.limit === undefined ? 20 : Number(opts.limit);
    const runs = await store.listRuns({ limit, ...(opts.status ? { status: opts.status as RunStatus } : {}) });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      return 0;
    }
    if (runs.length === 0) process.stdout.write('no runs yet\n');
    for (const r of runs) {
      process.stdout.write(`${r.runId}  ${r.createdAt}  ${r.status.padEnd(9)}  ${truncate(r.goal, 70)}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** `baton runs show <id>`: the plan and the timeline of every attempt. */
export async function runsShowCommand(runId: string, opts: CommonOptions & { json?: boolean }): Promise<number> {
  const store = await openJournal(opts);
  try {
    const result = reduceEvents(await store.readEvents(runId));
    if (!result) throw new BatonError('RUN_NOT_FOUND', `no run ${runId} in the journal (see 'baton runs list')`, { retryable: false });
    if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${timeline(result)}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * `baton runs cancel <id>`: a run whose process is alive on this host gets SIGTERM (it cancels
 * itself cleanly); a run whose process is gone is closed in the journal as cancelled.
 */
export async function runsCancelCommand(runId: string, opts: CommonOptions): Promise<number> {
  const store = await openJournal(opts);
  try {
    const events = await store.readEvents(runId);
    const result = reduceEvents(events);
    if (!result) throw new BatonError('RUN_NOT_FOUND', `no run ${runId} in the journal`, { retryable: false });
    if (result.status !== 'running') {
      process.stderr.write(`run ${runId} already ended ${result.status}\n`);
      return 0;
    }
    const started = events.find((e): e is Extract<RunEvent, { type: 'run.started' }> => e.type === 'run.started');
    const pid = Number(started?.options?.pid);
    if (started?.options?.host === hostname() && pid > 0 && isAlive(pid)) {
      process.kill(pid, 'SIGTERM');
      process.stderr.write(`sent SIGTERM to process ${pid}, which is running ${runId}\n`);
      return 0;
    }
    const last = events[events.length - 1];
    const end: RunEvent = {
      type: 'run.ended',
      status: 'cancelled',
      reason: 'cancelled from the command line; its process was no longer running',
      deliverable: result.deliverable,
      runId,
      seq: (last?.seq ?? 0) + 1,
      at: new Date().toISOString(),
    };
    await store.append(runId, [end]);
    process.stderr.write(`run ${runId} closed as cancelled (its process was gone)\n`);
    return 0;
  } finally {
    await store.close();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function timeline(r: RunResult): string {
  const t0 = Date.parse(r.startedAt);
  const lines = [
    `${color.bold(r.runId)}  ${r.status}${r.reason ? ` (${r.reason})` : ''}`,
    `goal:    ${r.goal}`,
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
  if (r.deliverable.files.length) lines.push('', `files: ${r.deliverable.files.join(', ')}`);
  return lines.join('\n');
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
