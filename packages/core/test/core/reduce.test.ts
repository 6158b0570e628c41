import { describe, expect, it } from 'vitest';
import type { RunEventBody } from '../../src/core/events.ts';
import { reduceEvents } from '../../src/core/reduce.ts';
import { stamp } from '../store/sample-journal.ts';

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
