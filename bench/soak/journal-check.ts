/**
 * The journal consistency check of one run: its stored events replay (reduceEvents) to exactly
 * the RunResult the orchestrator returned, and they obey the journal's rules: seq 1..n without
 * gaps, one `run.ended` and nothing after it, every attempt started ends exactly once, every
 * planned task ends, and the run record's status matches.
 */
import { isDeepStrictEqual } from 'node:util';
import type { RunStore } from '../../packages/core/src/core/contracts.ts';
import type { RunEvent } from '../../packages/core/src/core/events.ts';
import { reduceEvents } from '../../packages/core/src/core/reduce.ts';
import type { RunResult } from '../../packages/core/src/core/types.ts';

/** What is wrong with one run's journal; empty when it is consistent. */
export function journalProblems(events: readonly RunEvent[], returned: RunResult, recordStatus: string | undefined): string[] {
  const problems: string[] = [];
  events.forEach((e, i) => {
    if (e.seq !== i + 1) problems.push(`event ${i + 1} has seq ${e.seq}`);
  });
  const ends = events.filter((e) => e.type === 'run.ended');
  if (ends.length !== 1) problems.push(`${ends.length} run.ended events (expected 1)`);
  else if (events[events.length - 1]?.type !== 'run.ended') problems.push(`events after run.ended: ${events.slice(events.indexOf(ends[0]!) + 1).map((e) => e.type).join(', ')}`);

  const open = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'task.started') open.set(e.attemptId, (open.get(e.attemptId) ?? 0) + 1);
    else if (e.type === 'task.succeeded' || e.type === 'task.attempt.failed') {
      const n = open.get(e.attemptId);
      if (n !== 1) problems.push(`attempt ${e.attemptId} ended ${n === undefined ? 'without starting' : 'twice'}`);
      open.set(e.attemptId, 0);
    }
  }
  for (const [attemptId, n] of open) if (n !== 0) problems.push(`attempt ${attemptId} never ended`);

  const replayed = reduceEvents(events);
  if (!replayed) problems.push('the journal has no run.started');
  else if (!isDeepStrictEqual(replayed, returned)) problems.push(`replay differs from the returned RunResult: ${firstDifference(replayed, returned)}`);
  if (returned.status === 'running') problems.push('the returned RunResult is still running');
  const planned = new Set(returned.plan.tasks.map((t) => t.id));
  for (const t of returned.tasks) {
    if (planned.has(t.id) && (t.status === 'pending' || t.status === 'running')) problems.push(`task ${t.id} ended ${t.status}`);
  }
  if (recordStatus !== returned.status) problems.push(`run record says ${recordStatus ?? 'nothing'}, result says ${returned.status}`);
  return problems;
}

/** Reads a run back from the store and checks it against what the orchestrator returned. */
export async function checkRun(store: RunStore, returned: RunResult): Promise<string[]> {
  const [events, record] = await Promise.all([store.readEvents(returned.runId), store.getRun(returned.runId)]);
  return journalProblems(events, returned, record?.status);
}

/** The path of the first value that differs between two JSON-like values (for messages). */
function firstDifference(a: unknown, b: unknown, at = '$'): string {
  if (isDeepStrictEqual(a, b)) return '(none)';
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return `${at}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (!isDeepStrictEqual(x, y)) return firstDifference(x, y, `${at}.${k}`);
  }
  return `${at}: different prototypes`;
}
