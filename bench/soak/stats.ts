/**
 * The soak's tally: run outcomes, attempts by outcome, and which injected fault led to which
 * attempt outcome. The fault of every journaled attempt is recomputed from the seed (decisions
 * are pure), so the table is the same whether agents ran here or in workers that died.
 */
import type { AttemptRecord, RunResult } from '../../packages/core/src/core/types.ts';
import { attemptKey } from '../../packages/core/src/testing/fault-injector.ts';

export type AttemptOutcome = 'succeeded' | 'failed' | 'timeout' | 'invalid' | 'cancelled' | 'interrupted';
export const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ['succeeded', 'failed', 'timeout', 'invalid', 'cancelled', 'interrupted'];
export type RunOutcome = 'succeeded' | 'partial' | 'failed' | 'cancelled';
export const RUN_OUTCOMES: readonly RunOutcome[] = ['succeeded', 'partial', 'failed', 'cancelled'];

/** Tells the fault injected into one attempt of one agent (recomputed from the seed). */
export type FaultOf = (key: string, agent: string) => string;

export interface SoakTally {
  runs: Record<RunOutcome, number>;
  /** Runs the soak cancelled on purpose (cancel rate). */
  cancelledBySoak: number;
  hung: number;
  /** Runs whose result promise rejected (must be 0: failures belong in the result). */
  rejected: number;
  attempts: Record<AttemptOutcome, number>;
  /** Attempts per run, summed by run outcome (divide by `runs` for the mean). */
  attemptsByRunOutcome: Record<RunOutcome, number>;
  /** Injected fault → attempt outcome → count. */
  faults: Record<string, Record<AttemptOutcome, number>>;
  /** Tasks that ended failed, skipped or cancelled, by status. */
  unfinishedTasks: Record<string, number>;
}

const zeros = <K extends string>(keys: readonly K[]): Record<K, number> => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

export function emptyTally(): SoakTally {
  return {
    runs: zeros(RUN_OUTCOMES),
    cancelledBySoak: 0,
    hung: 0,
    rejected: 0,
    attempts: zeros(ATTEMPT_OUTCOMES),
    attemptsByRunOutcome: zeros(RUN_OUTCOMES),
    faults: {},
    unfinishedTasks: {},
  };
}

function outcomeOf(a: AttemptRecord): AttemptOutcome {
  if (a.status === undefined) return 'interrupted';
  if (a.status === 'failed' && a.error?.startsWith('cancelled:')) return 'cancelled';
  return a.status;
}

/** Adds one finished run to the tally. */
export function tallyRun(t: SoakTally, r: RunResult, faultOf: FaultOf): void {
  const status = r.status === 'running' || r.status === 'awaiting-approval' ? 'failed' : r.status;
  t.runs[status]++;
  for (const task of r.tasks) {
    if (task.status !== 'succeeded') t.unfinishedTasks[task.status] = (t.unfinishedTasks[task.status] ?? 0) + 1;
    for (const a of task.attempts) {
      const outcome = outcomeOf(a);
      t.attempts[outcome]++;
      t.attemptsByRunOutcome[status]++;
      const fault = faultOf(attemptKey({ runId: r.runId, task: { id: task.id }, attempt: a.n }, a.agent), a.agent);
      (t.faults[fault] ??= zeros(ATTEMPT_OUTCOMES))[outcome]++;
    }
  }
}

const pad = (s: string, n: number): string => s.padEnd(n);
const num = (n: number): string => String(n);

/** The fault × outcome table, as text. */
export function faultTable(t: SoakTally): string {
  const kinds = Object.keys(t.faults).sort((a, b) => (a === 'none' ? -1 : b === 'none' ? 1 : a.localeCompare(b)));
  const used = ATTEMPT_OUTCOMES.filter((o) => kinds.some((k) => t.faults[k]![o] > 0));
  const header = [pad('injected fault', 18), ...used.map((o) => o.padStart(11))].join('');
  const rows = kinds.map((k) => [pad(k, 18), ...used.map((o) => num(t.faults[k]![o]).padStart(11))].join(''));
  return [header, ...rows].join('\n');
}
