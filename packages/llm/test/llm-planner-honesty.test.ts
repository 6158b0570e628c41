import { describe, expect, it } from 'vitest';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { LlmPlanner } from '../src/planning/llm-planner.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { ScriptedModel } from '../src/testing/index.ts';
import { manifestOf, salesPlan } from './helpers.ts';

// The LLM planner follows the builtin planner's honesty rules: it is told them, a plan that
// delivers what the goal excluded goes back as invalid, and a refusal ends planning.

const data = scriptedAgent({ name: 'data', description: 'Extracts sales data from the sales database', produces: ['sales-dataset'], script: [{ output: { 'sales-dataset': { rows: 1 } } }] });
const analytics = scriptedAgent({ name: 'analytics', description: 'Computes KPIs from the dataset', consumes: ['sales-dataset'], produces: ['metrics'], script: [{ output: { metrics: { revenue: 1 } } }] });
const summary = scriptedAgent({ name: 'summary', description: 'Writes the executive summary', consumes: ['metrics'], produces: ['summary'] });
const manifest = manifestOf([data, analytics, summary], { deliverable: ['metrics', 'summary'] });

/** The sales plan without its summary task, requesting the metrics. */
function metricsOnly(): ReturnType<typeof salesPlan> {
  const plan = salesPlan();
  plan.tasks = plan.tasks.slice(0, 2);
  plan.requested = ['metrics'];
  return plan;
}

describe('LlmPlanner honesty', () => {
  it('tells the model about exclusions, the deliverable as a default only, and refusal', async () => {
    const model = new ScriptedModel([{ json: metricsOnly() }]);
    await new LlmPlanner({ resolveModel: model.resolver() }).plan('Q2 KPIs', manifest);
    const system = model.calls[0]?.system ?? '';
    expect(system).toContain('"no X", "without X", "except X", "skip X", "not X"');
    expect(system).toContain('never in "requested"');
    expect(system).toContain('Request the deliverable only when the goal asks for nothing more specific');
    expect(system).toContain('"refused"');
    expect(model.calls[0]?.transcript).toContain('When the goal asks for nothing more specific, request the deliverable: ["metrics","summary"]');
  });

  it('sends back a plan that delivers an artifact the goal excluded, and keeps the exclusion in the plan', async () => {
    const model = new ScriptedModel([{ json: salesPlan() }, { json: metricsOnly() }]);
    const outcome = await new LlmPlanner({ resolveModel: model.resolver() }).plan('Q2 numbers, no summary', manifest);

    const feedback = model.calls[1]?.transcript ?? '';
    expect(feedback).toContain('the plan requests "summary", which the goal excludes');
    expect(outcome.planner).toBe('llm');
    expect(outcome.plan.requested).toEqual(['metrics']);
    expect(outcome.plan.excluded).toEqual(['summary']);
    model.assertAllConsumed();
  });

  it('keeps what the model itself says it excluded', async () => {
    const model = new ScriptedModel([{ json: { ...metricsOnly(), excluded: ['summary'] } }]);
    const outcome = await new LlmPlanner({ resolveModel: model.resolver() }).plan('the KPIs alone', manifest);
    expect(outcome.plan.excluded).toEqual(['summary']);
  });

  it('turns the model’s refusal into GOAL_REFUSED, naming what the orchestrator can produce, without falling back', async () => {
    const model = new ScriptedModel([{ json: { tasks: [], requested: [], refused: 'The goal asks for a poem.' } }]);
    const error = await new LlmPlanner({ resolveModel: model.resolver() }).plan('write me a poem about cats', manifest).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'GOAL_REFUSED', retryable: false });
    expect((error as Error).message).toBe(
      'goal refused: the LLM planner (openai-compatible:test-model) found nothing in it that the sub-agents make (The goal asks for a poem). Orchestrator "reports" (Builds business reports from company data) can produce: metrics, summary and sales dataset; ask for one of these',
    );
    model.assertAllConsumed();
  });

  it('a refused run ends failed before any agent runs', async () => {
    const model = new ScriptedModel([{ json: { tasks: [], requested: [], refused: 'Nothing here makes poems.' } }]);
    const orch = new Orchestrator({ manifest, agents: [data, analytics, summary], planner: new LlmPlanner({ resolveModel: model.resolver() }) });
    const result = await orch.run('write me a poem about cats');
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/^planning failed: goal refused: .* can produce: metrics, summary and sales dataset/);
    expect(result.tasks).toEqual([]);
    await orch.close();
  });

  it("counts the model calls of a refused goal in the run's usage", async () => {
    const model = new ScriptedModel([{ json: { tasks: [], requested: [], refused: 'Nothing here makes poems.' }, usage: { inputTokens: 300, outputTokens: 20 } }]);
    const orch = new Orchestrator({ manifest, agents: [data, analytics, summary], planner: new LlmPlanner({ resolveModel: model.resolver() }) });
    const result = await orch.run('write me a poem about cats');
    await orch.close();
    expect(result.status).toBe('failed');
    expect(result.usage).toEqual({ llmCalls: 1, inputTokens: 300, outputTokens: 20 });
  });

  it('says that the LLM planner failed when the builtin planner it fell back to refuses the goal, and counts its calls', async () => {
    const model = new ScriptedModel([{ error: 'connect ECONNREFUSED 127.0.0.1:9' }]);
    const planner = new LlmPlanner({ resolveModel: model.resolver(), maxRetries: 0 });
    const error = await planner.plan('write me a poem about cats', manifest).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'GOAL_REFUSED', retryable: false, details: { canProduce: 'metrics, summary and sales dataset' } });
    expect((error as Error).message).toMatch(/^goal refused: .*can produce: metrics, summary and sales dataset; ask for one of these \(refused by the builtin planner, which planned because the LLM planner \(openai-compatible:test-model\) failed: .*ECONNREFUSED.*\)$/);

    const refusing = new ScriptedModel([{ json: { tasks: [{ id: 'T1', title: 'x', instructions: 'x', agent: 'nobody', dependsOn: [], consumes: [], produces: ['summary'] }], requested: ['summary'] } }, { text: 'no' }]);
    const orch = new Orchestrator({ manifest, agents: [data, analytics, summary], planner: new LlmPlanner({ resolveModel: refusing.resolver() }) });
    const result = await orch.run('write me a poem about cats');
    await orch.close();
    expect(result.reason).toMatch(/refused by the builtin planner, which planned because the LLM plan was invalid twice/);
    expect(result.usage.llmCalls).toBe(2);
  });
});
