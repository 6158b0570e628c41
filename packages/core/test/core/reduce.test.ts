import { describe, expect, it } from 'vitest';
import type { RunEvent, RunEventBody } from '../../src/core/events.ts';
import { reduceEvents, reshapesRun } from '../../src/core/reduce.ts';
import { sampleJournal, stamp } from '../store/sample-journal.ts';

const plan = { tasks: [{ id: 't1', title: 't1', instructions: '', agent: 'a', dependsOn: [], consumes: [], produces: ['x'] }] };
const started = (attempt: number): RunEventBody => ({ type: 'task.started', taskId: 't1', agent: 'a', agentVersion: '1', attempt, attemptId: `r:t1:${attempt}` });

describe('reduceEvents: attempts', () => {
  it('marks the attempts a resume names as interrupted, and ignores a late result for one of them', () => {
    const result = reduceEvents(
      stamp('r', [
        { type: 'run.started', goal: 'g', orchestrator: 'o' },
        { type: 'plan.created', plan, planner: 'builtin' },
        started(1),
        { type: 'run.resumed', interruptedAttempts: ['r:t1:1'] },
        { type: 'task.succeeded', taskId: 't1', agent: 'a', attempt: 1, attemptId: 'r:t1:1', output: { x: 'late' } },
        started(2),
        { type: 'task.succeeded', taskId: 't1', agent: 'a', attempt: 2, attemptId: 'r:t1:2', output: { x: 'ok' } },
      ]),
    );
    const task = result!.tasks[0]!;
    expect(task.attempts.map((a) => [a.n, a.status, a.error])).toEqual([
      [1, 'failed', 'interrupted: the orchestrator stopped during this attempt'],
      [2, 'succeeded', undefined],
    ]);
    expect(task.output).toEqual({ x: 'ok' });
  });

  it('ignores the result of an attempt given up on while a later one runs, and one for an unknown attempt', () => {
    const result = reduceEvents(
      stamp('r', [
        { type: 'run.started', goal: 'g', orchestrator: 'o' },
        { type: 'plan.created', plan, planner: 'builtin' },
        started(1),
        { type: 'task.attempt.failed', taskId: 't1', agent: 'a', attempt: 1, attemptId: 'r:t1:1', status: 'timeout', error: 'slow' },
        started(2),
        { type: 'task.succeeded', taskId: 't1', agent: 'a', attempt: 1, attemptId: 'r:t1:1', output: { x: 'late' } },
        { type: 'task.succeeded', taskId: 't1', agent: 'a', attempt: 9, attemptId: 'r:t1:9', output: { x: 'ghost' } },
      ]),
    );
    const task = result!.tasks[0]!;
    expect(task.status).toBe('running');
    expect(task.output).toBeUndefined();
    expect(task.attempts.map((a) => a.status)).toEqual(['timeout', undefined]);
  });
});

describe('reduceEvents: journals written by older versions', () => {
  it('reads a plan event without its plan as an empty plan, so the run can still be read and ended', () => {
    const result = reduceEvents(
      stamp('r', [
        { type: 'run.started', goal: 'workflow toString', orchestrator: 'o' },
        { type: 'plan.created', plan: undefined as never, planner: 'workflow' },
        { type: 'run.ended', status: 'cancelled', reason: 'cancelled by request', deliverable: { artifacts: {}, files: [], provenance: {} } },
      ]),
    );
    expect(result).toMatchObject({ status: 'cancelled', plan: { tasks: [] }, tasks: [] });
  });
});

describe('reshapesRun: what a reader of changes since an event must send whole', () => {
  /** A run asked about its plan and a task, approved with an edit, integrated: the events the sample journal lacks. */
  const approvals = (runId: string): RunEvent[] => {
    const t1 = { id: 't1', title: 't1', instructions: '', agent: 'a', dependsOn: [], consumes: [], produces: ['x'] };
    const t2 = { ...t1, id: 't2', produces: ['y'] };
    return stamp(runId, [
      { type: 'run.started', goal: 'g', orchestrator: 'o' },
      { type: 'plan.created', plan: { tasks: [t1, t2] }, planner: 'builtin' },
      { type: 'approval.requested', kind: 'plan', plan: { tasks: [t1, t2] } },
      { type: 'approval.decided', kind: 'plan', decision: 'approved', by: 'ops', planEdited: true, plan: { tasks: [t2] }, waiting: 0 },
      { type: 'task.started', taskId: 't2', agent: 'a', agentVersion: '1', attempt: 1, attemptId: `${runId}:t2:1` },
      { type: 'approval.requested', kind: 'task', taskId: 't2', agent: 'a' },
      { type: 'approval.decided', kind: 'task', taskId: 't2', decision: 'approved', by: 'ops', planEdited: false, waiting: 0 },
      { type: 'task.succeeded', taskId: 't2', agent: 'a', attempt: 1, attemptId: `${runId}:t2:1`, output: { y: 2 } },
      { type: 'integration.started', integrator: 'default' },
      { type: 'integration.ended', ok: true, durationMs: 3 },
      { type: 'run.ended', status: 'succeeded', deliverable: { artifacts: { y: null }, files: [], provenance: {} }, artifactRefs: { y: 't2' } },
    ]);
  };

  it.each([
    ['the sample journal (every task event, a replan, a resumption)', sampleJournal('r')],
    ['approvals of a plan edited and of a task, and an integration', approvals('r')],
  ])('%s: between any two of its events that reshape nothing, only the tasks named changed', (_name, events) => {
    const reshaping = events.filter(reshapesRun).map((e) => e.type);
    expect(reshaping.length).toBeGreaterThan(1);
    let pairs = 0;
    for (let i = 1; i <= events.length; i++) {
      const before = reduceEvents(events.slice(0, i))!;
      for (let j = i + 1; j <= events.length; j++) {
        const since = events.slice(i, j);
        if (since.some(reshapesRun)) break;
        const after = reduceEvents(events.slice(0, j))!;
        const named = new Set(since.flatMap((e) => ('taskId' in e && e.taskId !== undefined ? [e.taskId] : [])));
        // A delta of `since`, folded into `before`, must give `after`.
        const tasks = [...before.tasks];
        for (const id of named) {
          const changed = after.tasks.find((t) => t.id === id);
          if (!changed) continue;
          const k = tasks.findIndex((t) => t.id === id);
          if (k < 0) tasks.push(changed);
          else tasks[k] = changed;
        }
        const { plan: _plan, previousPlans: _previous, tasks: _tasks, ...rest } = after;
        expect({ ...rest, plan: before.plan, ...(before.previousPlans ? { previousPlans: before.previousPlans } : {}), tasks }, `events ${i + 1}-${j}`).toEqual(after);
        pairs++;
      }
    }
    expect(pairs).toBeGreaterThan(20);
  });
});
