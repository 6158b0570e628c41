import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pendingTask, startedAttempt, startedIntegration, startedRun } from '../../src/core/result-records.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { MemoryRunStore } from '../../src/store/index.ts';
import { scriptedAgent } from '../../src/testing/index.ts';

/** Equal as deep strict equality sees it (prototypes included), with the same keys in the same order. */
function expectSameAsLiteral(made: object, literal: object): void {
  expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
  expect(Object.keys(made)).toEqual(Object.keys(literal));
  expect(JSON.stringify(made)).toBe(JSON.stringify(literal));
  expect(isDeepStrictEqual(made, literal)).toBe(true);
}

/** Every object in `value` is plain (Object.prototype) or an array. */
function everyObjectPlain(value: unknown, path = 'result'): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => everyObjectPlain(v, `${path}[${i}]`));
    return;
  }
  expect(Object.getPrototypeOf(value), path).toBe(Object.prototype);
  for (const [k, v] of Object.entries(value)) everyObjectPlain(v, `${path}.${k}`);
}

describe('the records of a RunResult, made by constructors', () => {
  it('are records no reader can tell from the literals they replaced, before and after they gain fields', () => {
    const attempt = startedAttempt(2, 'r_1:t:2:x', 'a', '1.0.0', '2026-12-04T00:00:00.000Z');
    expectSameAsLiteral(attempt, { n: 2, attemptId: 'r_1:t:2:x', agent: 'a', agentVersion: '1.0.0', startedAt: '2026-12-04T00:00:00.000Z' });
    attempt.status = 'failed';
    attempt.endedAt = '2026-12-04T00:00:01.000Z';
    attempt.error = 'boom';
    expectSameAsLiteral(attempt, { n: 2, attemptId: 'r_1:t:2:x', agent: 'a', agentVersion: '1.0.0', startedAt: '2026-12-04T00:00:00.000Z', status: 'failed', endedAt: '2026-12-04T00:00:01.000Z', error: 'boom' });

    const task = pendingTask('t', 'a');
    expectSameAsLiteral(task, { id: 't', agent: 'a', status: 'pending', attempts: [] });
    task.output = { report: 'ok' };
    expectSameAsLiteral(task, { id: 't', agent: 'a', status: 'pending', attempts: [], output: { report: 'ok' } });

    const integration = startedIntegration('default', '2026-12-04T00:00:00.000Z');
    expectSameAsLiteral(integration, { integrator: 'default', startedAt: '2026-12-04T00:00:00.000Z' });
    integration.endedAt = '2026-12-04T00:00:01.000Z';
    integration.ok = true;
    integration.durationMs = 1000;
    expectSameAsLiteral(integration, { integrator: 'default', startedAt: '2026-12-04T00:00:00.000Z', endedAt: '2026-12-04T00:00:01.000Z', ok: true, durationMs: 1000 });

    const run = startedRun('r_1', 'a goal', { quarter: 'Q2' }, '2026-12-04T00:00:00.000Z');
    expectSameAsLiteral(run, {
      runId: 'r_1',
      goal: 'a goal',
      status: 'running',
      planner: 'builtin',
      params: { quarter: 'Q2' },
      plan: { tasks: [] },
      tasks: [],
      deliverable: { artifacts: {}, files: [], provenance: {} },
      usage: { llmCalls: 0, inputTokens: 0, outputTokens: 0 },
      startedAt: '2026-12-04T00:00:00.000Z',
      approvals: [],
    });
  });

  it('make each run its own records: nothing is shared between two runs\' results', () => {
    const a = startedRun('r_1', 'g', {}, 'at');
    const b = startedRun('r_2', 'g', {}, 'at');
    expect(a.plan).not.toBe(b.plan);
    expect(a.tasks).not.toBe(b.tasks);
    expect(a.deliverable).not.toBe(b.deliverable);
    expect(a.usage).not.toBe(b.usage);
    expect(a.approvals).not.toBe(b.approvals);
    expect(pendingTask('t', 'a').attempts).not.toBe(pendingTask('t', 'a').attempts);
  });

  it('leave a whole result, with a failed attempt and its retry, plain objects equal to its JSON round trip', async () => {
    const agents = [
      scriptedAgent({ name: 'data', description: 'Extracts the rows', produces: ['rows'], script: [{ throw: 'db down' }, { output: { rows: [{ r: 1 }] } }] }),
      scriptedAgent({ name: 'summary', description: 'Summarises', consumes: ['rows'], produces: ['summary'], script: [{ output: { summary: 'ok' } }] }),
    ];
    const o = createOrchestrator({ name: 'plain', agents, deliverable: ['summary'], store: new MemoryRunStore(), policy: { backoff: { initialDelayMs: 1, factor: 1, maxDelayMs: 1, jitter: 0 } } });
    const result = await o.run('summarise the rows');
    expect(result.status).toBe('succeeded');
    const data = result.tasks.find((t) => t.id === result.plan.tasks.find((p) => p.agent === 'data')?.id);
    expect(data?.attempts.map((a) => [a.status, a.error])).toEqual([
      ['failed', expect.stringContaining('db down')],
      ['succeeded', undefined],
    ]);
    everyObjectPlain(result);
    expect(isDeepStrictEqual(JSON.parse(JSON.stringify(result)), result)).toBe(true);
    await o.close();
  });
});
