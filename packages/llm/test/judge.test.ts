import { APICallError } from 'ai';
import { describe, expect, it } from 'vitest';
import { createJudge, hasJudgedChecks } from '../src/judge.ts';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { StaticPlanner } from '../../core/src/planning/static-planner.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { ScriptedModel } from '../src/testing/index.ts';
import { manifestOf } from './helpers.ts';

const plan = { tasks: [{ id: 't1-write-summary', title: 'Write the summary', instructions: 'Summarize Q2', agent: 'summary', dependsOn: [], consumes: [], produces: ['summary'] }], requested: ['summary'] };

function summaryAgent() {
  const agent = scriptedAgent({
    name: 'summary',
    description: 'Writes the executive summary',
    produces: ['summary'],
    retries: 2,
    script: [{ output: { summary: 'Sales went up.' } }, { output: { summary: 'Revenue rose 12% to $1.2M, led by EMEA (+20%).' } }],
  });
  agent.spec.output.summary = { checks: [{ rubric: 'Cites at least one figure from the metrics' }, { rubric: 'Names the leading region' }] };
  return agent;
}

describe('quality judge', () => {
  it('rejects an output with the judge reason as feedback, then accepts the fixed one; judge usage counts', async () => {
    const agent = summaryAgent();
    const manifest = manifestOf([agent]);
    const judgeModel = new ScriptedModel([
      {
        json: { verdicts: [{ rubric: 1, pass: false, reason: 'no figure is cited; quote revenue and growth' }, { rubric: 2, pass: false, reason: 'no region is named' }] },
        usage: { inputTokens: 80, outputTokens: 30 },
        expect: (call) => {
          expect(call.transcript).toContain('1. Cites at least one figure from the metrics');
          expect(call.transcript).toMatch(/<data name="summary">\s*"Sales went up."\s*<\/data>/);
        },
      },
      { json: { verdicts: [{ rubric: 1, pass: true, reason: 'cites 12% and $1.2M' }, { rubric: 2, pass: true, reason: 'EMEA' }] }, usage: { inputTokens: 90, outputTokens: 25 } },
    ]);
    expect(hasJudgedChecks(manifest)).toBe(true);
    const orch = new Orchestrator({ manifest, agents: [agent], planner: new StaticPlanner(plan), extraChecks: createJudge(manifest, { resolveModel: judgeModel.resolver() }) });
    const result = await orch.run('Q2 summary');

    expect(result.status).toBe('succeeded');
    const [first, second] = result.tasks[0]!.attempts;
    expect(first?.status).toBe('invalid');
    expect(first?.error).toContain('quality check of summary failed (rubric "Cites at least one figure from the metrics"): no figure is cited; quote revenue and growth');
    expect(first?.error).toContain('no region is named');
    expect(agent.calls[1]?.feedback).toContain('no figure is cited');
    expect(second?.status).toBe('succeeded');
    expect(result.deliverable.artifacts.summary).toContain('EMEA');
    expect(first?.usage).toEqual({ llmCalls: 1, inputTokens: 80, outputTokens: 30 });
    expect(result.usage).toEqual({ llmCalls: 2, inputTokens: 170, outputTokens: 55 });
    judgeModel.assertAllConsumed();
  });

  it('is not needed when no artifact has checks or the orchestrator has no model', () => {
    const plain = scriptedAgent({ name: 'summary', produces: ['summary'] });
    expect(hasJudgedChecks(manifestOf([plain]))).toBe(false);
    const checked = summaryAgent();
    const noModel = manifestOf([checked]);
    delete noModel.orchestrator.model;
    expect(hasJudgedChecks(noModel)).toBe(false);
    expect(() => createJudge(noModel)).toThrow(/set orchestrator.model/);
  });
});

describe('a judge that gives no verdict', () => {
  function judged(replies: ConstructorParameters<typeof ScriptedModel>[0]) {
    const agent = summaryAgent();
    const manifest = manifestOf([agent]);
    const judgeModel = new ScriptedModel(replies);
    const orch = new Orchestrator({ manifest, agents: [agent], planner: new StaticPlanner(plan), extraChecks: createJudge(manifest, { resolveModel: judgeModel.resolver() }) });
    return { agent, judgeModel, run: () => orch.run('Q2 summary') };
  }
  const pass = { json: { verdicts: [{ rubric: 1, pass: true, reason: 'cites 12%' }, { rubric: 2, pass: true, reason: 'EMEA' }] } };

  it.each([
    ['cannot be read', { text: 'Looks fine to me!' }],
    ['leaves a rubric out', { json: { verdicts: [{ rubric: 1, pass: true, reason: 'ok' }] } }],
  ])('is asked again when its reply %s, rather than the agent run again', async (_, first) => {
    const { agent, judgeModel, run } = judged([first, pass]);
    const result = await run();
    expect(result.status).toBe('succeeded');
    expect(agent.calls).toHaveLength(1);
    expect(result.tasks[0]!.attempts).toHaveLength(1);
    judgeModel.assertAllConsumed();
  });

  it('is named in the attempt it failed, with the cause: the agent is not blamed', async () => {
    const refused = new APICallError({ message: 'Unauthorized', url: 'https://judge.example/v1/chat/completions', requestBodyValues: {}, statusCode: 401, responseBody: '{"error":"bad key"}', isRetryable: false });
    const { agent, run } = judged([{ error: refused }]);
    const result = await run();
    expect(result.status).toBe('failed');
    const [attempt] = result.tasks[0]!.attempts;
    expect(attempt?.status).toBe('failed');
    expect(attempt?.error).toMatch(/^quality check of summary not made: the judge \(.+\) gave no verdict: model .+ call failed: HTTP 401 .*check the API key/);
    // Not retryable (a key refused): the agent, whose output was never judged, is not run again for it.
    expect(agent.calls).toHaveLength(1);
  });
});

describe('a judge that leaves a rubric without a verdict twice', () => {
  it('fails the attempt as the judge, naming the rubric, rather than making the output invalid', async () => {
    const agent = summaryAgent();
    const manifest = manifestOf([agent]);
    const partial = { json: { verdicts: [{ rubric: 1, pass: true, reason: 'cites 12%' }] } };
    const judgeModel = new ScriptedModel([partial, partial]);
    const orch = new Orchestrator({ manifest, agents: [agent], planner: new StaticPlanner(plan), extraChecks: createJudge(manifest, { resolveModel: judgeModel.resolver() }) });
    const result = await orch.run('Q2 summary');
    const [first] = result.tasks[0]!.attempts;
    expect(first?.status).toBe('failed');
    expect(first?.error).toMatch(/^quality check of summary not made: the judge \(.+\) gave no verdict: no verdict on rubric "Names the leading region" \(asked 2 times\)/);
  });
});
