import { describe, expect, it } from 'vitest';
import type { Plan, PlanTask, TaskResult } from '../../src/core/types.ts';
import { decideRunStatus } from '../../src/execution/outcome.ts';

const task = (id: string): PlanTask => ({ id, title: id, instructions: '', agent: 'a', dependsOn: [], consumes: [], produces: [id] });
const result = (id: string, status: TaskResult['status']): TaskResult => ({ id, agent: 'a', status, attempts: [] });

describe('decideRunStatus', () => {
  it('is succeeded when every planned task succeeded', () => {
    const plan: Plan = { tasks: [task('a'), task('b')] };
    expect(decideRunStatus(plan, [result('a', 'succeeded'), result('b', 'succeeded')], { a: 1, b: 1 }, undefined)).toEqual({ status: 'succeeded' });
  });

  it('judges the planned tasks only, not as many others that succeeded', () => {
    const plan: Plan = { tasks: [task('new')] };
    expect(decideRunStatus(plan, [result('old', 'succeeded')], { old: 1 }, undefined).status).toBe('succeeded');
    expect(decideRunStatus(plan, [result('old', 'succeeded'), result('new', 'failed')], { old: 1 }, undefined)).toMatchObject({ status: 'failed' });
  });

  it('is partial when a requested artifact was delivered and a task failed', () => {
    const plan: Plan = { tasks: [task('a'), task('b')], requested: ['a', 'b'] };
    expect(decideRunStatus(plan, [result('a', 'succeeded'), { ...result('b', 'failed'), reason: 'boom' }], { a: 1 }, undefined)).toEqual({
      status: 'partial',
      reason: 'b failed: boom (missing: b)',
    });
  });

  it('is not succeeded when the run was stopped, even with every task done', () => {
    const plan: Plan = { tasks: [task('a')] };
    expect(decideRunStatus(plan, [result('a', 'succeeded')], { a: 1 }, { kind: 'timeout', message: 'late' }).status).toBe('partial');
  });
});
