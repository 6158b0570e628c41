import type { RunEvent, RunEventBody } from '../../src/core/events.ts';
import type { PlanTask } from '../../src/core/types.ts';

/** Stamps event bodies with run id, seqs from `firstSeq` and one ms apart timestamps. */
export function stamp(runId: string, bodies: RunEventBody[], firstSeq = 1, start = Date.UTC(2024, 5, 30, 9, 0, 0)): RunEvent[] {
  return bodies.map((body, i) => ({ ...body, runId, seq: firstSeq + i, at: new Date(start + (firstSeq + i) * 1000).toISOString() }));
}

function task(id: string, agent: string, consumes: string[], produces: string[], dependsOn: string[] = []): PlanTask {
  return { id, title: `Task ${id}`, instructions: `Do ${id}`, agent, dependsOn, consumes, produces, reason: `needed for ${produces.join(', ')}` };
}

/** A payload with the values JSON stores awkwardly: unicode, NUL, escapes, extreme numbers, nulls. */
export const awkwardValues = {
  unicode: 'café 漢字 🎉 \u2028 \u2029',
  control: 'tab\tnewline\nnul\u0000bell\u0007',
  quotes: 'say "hi" \\ back\\slash',
  loneSurrogate: 'half \ud83d pair',
  numbers: [0, -1.5, 1e21, 123456789012345, Number.MAX_SAFE_INTEGER, 5e-324, -0.000001],
  nothing: null,
  empty: { list: [], object: {}, text: '' },
  nested: { a: { b: { c: [1, [2, [3, { d: true, e: false }]]] } } },
};

/**
 * A journal using every event type with its optional fields, ending `partial`. Folding it with
 * `reduceEvents` gives a RunResult with retries, a reassignment, a replan, usage and a deliverable.
 */
export function sampleJournal(runId: string): RunEvent[] {
  const t1 = task('t1-extract-sales-dataset', 'data', [], ['sales-dataset']);
  const t2 = task('t2-analyze-metrics', 'analytics', ['sales-dataset'], ['metrics'], [t1.id]);
  const t3 = task('t3-write-report', 'summary', ['metrics'], ['report'], [t2.id]);
  const usage = { llmCalls: 1, inputTokens: 120, outputTokens: 45 };
  return stamp(runId, [
    {
      type: 'run.started',
      goal: 'Build the Q2 sales report',
      orchestrator: 'reports',
      manifestFile: '/srv/reports/baton.yaml',
      options: { outDir: 'out', pid: 4242, host: 'build-1' },
    },
    { type: 'plan.created', plan: { tasks: [t1, t2], requested: ['metrics'], notes: ['goal named metrics'] }, planner: 'builtin', reason: 'no model' },
    { type: 'task.started', taskId: t1.id, agent: 'data', agentVersion: '1.0.0', attempt: 1, attemptId: `${runId}:t1:1:aa` },
    {
      type: 'task.attempt.failed',
      taskId: t1.id,
      agent: 'data',
      attempt: 1,
      attemptId: `${runId}:t1:1:aa`,
      status: 'timeout',
      error: 'took longer than 30000 ms',
      usage,
    },
    { type: 'task.retrying', taskId: t1.id, agent: 'data', attempt: 2, delayMs: 250, feedback: 'answer faster' },
    {
      type: 'task.started',
      taskId: t1.id,
      agent: 'data',
      agentVersion: '1.0.0',
      attempt: 2,
      attemptId: `${runId}:t1:2:bb`,
      feedback: 'answer faster',
    },
    {
      type: 'task.succeeded',
      taskId: t1.id,
      agent: 'data',
      attempt: 2,
      attemptId: `${runId}:t1:2:bb`,
      output: { 'sales-dataset': { rows: [{ region: 'EMEA', revenue: 1250.5 }], awkward: awkwardValues } },
      usage,
    },
    { type: 'usage', usage, taskId: t1.id },
    { type: 'usage', usage },
    { type: 'plan.replaced', plan: { tasks: [t1, t2, t3] }, planner: 'llm', reason: 'the goal also asked for a report' },
    { type: 'task.started', taskId: t2.id, agent: 'analytics', agentVersion: '2.1.0', attempt: 1, attemptId: `${runId}:t2:1:cc` },
    {
      type: 'task.attempt.failed',
      taskId: t2.id,
      agent: 'analytics',
      attempt: 1,
      attemptId: `${runId}:t2:1:cc`,
      status: 'invalid',
      error: 'metrics.total: must be a number',
    },
    { type: 'task.reassigned', taskId: t2.id, from: 'analytics', to: 'analytics-b', reason: 'retries exhausted' },
    { type: 'task.started', taskId: t2.id, agent: 'analytics-b', agentVersion: '0.9.0', attempt: 1, attemptId: `${runId}:t2:1:dd` },
    { type: 'run.resumed', interruptedAttempts: [`${runId}:t2:1:dd`] },
    { type: 'task.failed', taskId: t2.id, reason: 'every agent failed' },
    { type: 'task.skipped', taskId: t3.id, reason: `depends on ${t2.id}, which failed` },
    { type: 'task.cancelled', taskId: 't4-never-ran', reason: 'run ended' },
    {
      type: 'run.ended',
      status: 'partial',
      reason: `${t2.id} failed`,
      deliverable: {
        artifacts: { 'sales-dataset': { rows: 1 } },
        files: ['out/report.html'],
        provenance: {
          'sales-dataset': { task: t1.id, agent: 'data', agentVersion: '1.0.0', attempt: 2, attemptId: `${runId}:t1:2:bb`, at: '2024-06-30T09:00:07.000Z' },
        },
        missing: ['metrics', 'report'],
      },
    },
  ]);
}
