import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/src/core/events.ts';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { LlmPlanner } from '../src/planning/llm-planner.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { ScriptedModel } from '../src/testing/index.ts';
import { manifestOf, salesPlan } from './helpers.ts';

function team() {
  return {
    data: scriptedAgent({ name: 'data', description: 'Extracts sales data', produces: ['sales-dataset'], script: [{ output: { 'sales-dataset': { rows: 3 } } }] }),
    analytics: scriptedAgent({ name: 'analytics', description: 'Computes KPIs', consumes: ['sales-dataset'], produces: ['metrics'], script: [{ output: { metrics: { revenue: 10 } } }] }),
    summary: scriptedAgent({ name: 'summary', description: 'Writes the summary from metrics', consumes: ['metrics'], produces: ['summary'], script: [{ throw: 'summary service is down', unrecoverable: true }] }),
    brief: scriptedAgent({ name: 'brief', description: 'Writes a brief summary straight from the dataset', consumes: ['sales-dataset'], produces: ['summary'], script: [{ output: { summary: 'brief: 3 rows' } }] }),
  };
}

const briefTask = { id: 't3-write-summary', title: 'Write a brief summary', instructions: 'Summarize from the raw dataset', agent: 'brief', dependsOn: [], consumes: ['sales-dataset'], produces: ['summary'] };

describe('re-planning', () => {
  it('re-plans the remaining work once after a permanent failure, keeping produced artifacts', async () => {
    const t = team();
    const agents = [t.data, t.analytics, t.summary, t.brief];
    const model = new ScriptedModel([
      { json: salesPlan() },
      {
        json: { tasks: [briefTask], requested: ['summary'] },
        expect: (call) => {
          expect(call.transcript).toContain('Tasks that failed for good');
          expect(call.transcript).toMatch(/<data name="failures">[\s\S]*summary service is down[\s\S]*<\/data>/);
          expect(call.transcript).toContain('["sales-dataset","metrics"]');
        },
      },
    ]);
    const events: RunEvent[] = [];
    const orch = new Orchestrator({ manifest: manifestOf(agents), agents, planner: new LlmPlanner({ resolveModel: model.resolver() }) });
    const result = await orch.run('Q2 summary', { onEvent: (e) => events.push(e) });

    expect(result.status).toBe('succeeded');
    expect(result.planner).toBe('llm');
    expect(result.previousPlans).toHaveLength(1);
    expect(result.previousPlans?.[0]?.tasks.map((x) => x.agent)).toEqual(['data', 'analytics', 'summary']);
    // The failed task's id cannot run again: the new task got a fresh one.
    expect(result.plan.tasks.map((x) => x.id)).toEqual(['t3-write-summary-r1']);
    const replaced = events.find((e) => e.type === 'plan.replaced');
    expect(replaced?.type === 'plan.replaced' && replaced.reason).toMatch(/re-planned by .* after t3-write-summary failed for good/);
    expect(result.deliverable.artifacts.summary).toBe('brief: 3 rows');
    expect(t.data.calls).toHaveLength(1);
    expect(t.brief.calls[0]?.inputs).toEqual({ 'sales-dataset': { rows: 3 } });
    expect(result.usage.llmCalls).toBe(2);
    model.assertAllConsumed();
  });

  it('stops with the reason when the new plan gives the failed work back to the agent that failed', async () => {
    const t = team();
    const agents = [t.data, t.analytics, t.summary, t.brief];
    const again = { ...salesPlan().tasks[2]!, id: 't4-write-summary-again', dependsOn: [] };
    const model = new ScriptedModel([{ json: salesPlan() }, { json: { tasks: [again], requested: ['summary'] } }, { json: { tasks: [again], requested: ['summary'] } }]);
    const orch = new Orchestrator({ manifest: manifestOf(agents), agents, planner: new LlmPlanner({ resolveModel: model.resolver() }) });
    const result = await orch.run('Q2 summary');

    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/re-planning failed: .*no usable plan.*agent 'summary' already failed for good at t3-write-summary/);
    expect(result.previousPlans).toBeUndefined();
    expect(t.summary.calls).toHaveLength(1);
    expect(model.calls[2]?.transcript).toContain('makes no progress');
    model.assertAllConsumed();
    // The re-planner's two calls count, though no plan came of them.
    expect(result.usage.llmCalls).toBe(3);
  });

  it('stops when the model finds no other way', async () => {
    const t = team();
    const agents = [t.data, t.analytics, t.summary];
    const model = new ScriptedModel([{ json: salesPlan() }, { json: { tasks: [], requested: [], notes: ['only the summary agent writes summaries'] } }]);
    const orch = new Orchestrator({ manifest: manifestOf(agents), agents, planner: new LlmPlanner({ resolveModel: model.resolver() }) });
    const result = await orch.run('Q2 summary');
    expect(result.status).toBe('failed');
    expect(result.reason).toContain('found no other way to reach the goal: only the summary agent writes summaries');
    expect(result.usage.llmCalls).toBe(2);
  });
});
