import { MockLanguageModelV3 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/src/core/events.ts';
import { resolveModel } from '../src/model-config.ts';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { LlmPlanner } from '../src/planning/llm-planner.ts';
import { validatePlan } from '../../core/src/planning/validate-plan.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { ScriptedModel } from '../src/testing/index.ts';
import { manifestOf, salesPlan } from './helpers.ts';

const data = scriptedAgent({ name: 'data', description: 'Extracts sales data from the sales database', version: '1.2.0', capabilities: ['sql', 'sales'], produces: ['sales-dataset'] });
const analytics = scriptedAgent({ name: 'analytics', description: 'Computes KPIs from the dataset', consumes: ['sales-dataset'], produces: ['metrics'] });
const summary = scriptedAgent({ name: 'summary', description: 'Writes the executive summary', consumes: ['metrics'], produces: ['summary'] });
const manifest = manifestOf([data, analytics, summary], { instructions: 'Always compare with the previous quarter.' });
const goal = 'Q2 2024 sales report with a summary';

describe('LlmPlanner', () => {
  it('asks the model with the goal, the instructions and the catalogue, and returns its valid plan', async () => {
    const model = new ScriptedModel([{ json: salesPlan(), usage: { inputTokens: 300, outputTokens: 120 } }]);
    const outcome = await new LlmPlanner({ resolveModel: model.resolver() }).plan(goal, manifest);

    expect(outcome.planner).toBe('llm');
    expect(outcome.plan.tasks.map((t) => t.id)).toEqual(['t1-extract-sales-dataset', 't2-compute-metrics', 't3-write-summary']);
    expect(outcome.plan.requested).toEqual(['summary']);
    expect(outcome.usage).toEqual({ llmCalls: 1, inputTokens: 300, outputTokens: 120 });
    const [call] = model.calls;
    expect(call?.json).toBe(true);
    expect(call?.system).toContain('Always compare with the previous quarter.');
    expect(call?.transcript).toContain(goal);
    for (const field of ['"name": "data"', '"description": "Extracts sales data from the sales database"', '"version": "1.2.0"', '"capabilities"', '"consumes"', '"produces"']) {
      expect(call?.transcript).toContain(field);
    }
    model.assertAllConsumed();
  });

  it('sends an invalid plan back once with the exact validation errors and uses the repaired plan', async () => {
    const broken = salesPlan();
    broken.tasks[1]!.dependsOn = [];
    broken.tasks[2]!.agent = 'writer';
    const model = new ScriptedModel([{ json: broken }, { json: salesPlan() }]);
    const outcome = await new LlmPlanner({ resolveModel: model.resolver() }).plan(goal, manifest);

    expect(outcome.planner).toBe('llm');
    expect(outcome.reason).toContain('repaired');
    const feedback = model.calls[1]!.transcript;
    expect(feedback).toContain('rejected by the plan validator (2 problems)');
    const problems = validatePlan(broken, manifest);
    expect(problems).toHaveLength(2);
    for (const p of problems) expect(feedback).toContain(p.message);
    expect(outcome.usage?.llmCalls).toBe(2);
    model.assertAllConsumed();
  });

  it('falls back to the builtin planner after a second invalid plan, and the RunResult says why', async () => {
    const broken = { tasks: [{ id: 'T1', title: 'x', instructions: 'x', agent: 'nobody', dependsOn: [], consumes: [], produces: ['summary'] }], requested: ['summary'] };
    const model = new ScriptedModel([{ json: broken }, { text: 'I cannot do JSON today' }]);
    const events: RunEvent[] = [];
    const orch = new Orchestrator({ manifest, agents: [data, analytics, summary], planner: new LlmPlanner({ resolveModel: model.resolver() }) });
    const result = await orch.run(goal, { onEvent: (e) => events.push(e) });

    expect(result.status).toBe('succeeded');
    expect(result.planner).toBe('builtin');
    const created = events.find((e) => e.type === 'plan.created');
    expect(created?.type === 'plan.created' && created.reason).toMatch(/LLM plan was invalid twice .*fell back to the builtin planner/);
    expect(result.plan.notes?.join(' ')).toContain('fell back to the builtin planner');
    expect(result.usage.llmCalls).toBe(2);
    expect(model.calls[1]!.transcript).toContain('agent "nobody", which the manifest does not define');
    model.assertAllConsumed();
    await orch.close();
  });

  it('falls back to the builtin planner when the model cannot be reached', async () => {
    const model = new ScriptedModel([{ error: 'connect ECONNREFUSED 127.0.0.1:9' }]);
    const outcome = await new LlmPlanner({ resolveModel: model.resolver(), maxRetries: 0 }).plan(goal, manifest);
    expect(outcome.planner).toBe('builtin');
    expect(outcome.reason).toMatch(/LLM planner .* failed: .*ECONNREFUSED.*fell back/);
  });

  it('falls back to the builtin planner when the model does not answer within policy.taskTimeoutMs', async () => {
    const hangs = new MockLanguageModelV3({
      doGenerate: (options) =>
        new Promise((_, reject) => {
          options.abortSignal?.addEventListener('abort', () => reject(options.abortSignal?.reason as Error), { once: true });
        }),
    });
    const quick = manifestOf([data, analytics, summary], { policy: { taskTimeoutMs: 300 } });
    const started = Date.now();
    const outcome = await new LlmPlanner({ resolveModel: (id) => ({ id, model: hangs, providerOptions: {} }) }).plan(goal, quick);
    expect(outcome.planner).toBe('builtin');
    expect(outcome.reason).toMatch(/LLM planner .* failed: no plan within 300 ms \(policy.taskTimeoutMs\); fell back to the builtin planner/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('falls back within policy.taskTimeoutMs also when the model ignores its abort signal', async () => {
    // A provider of the caller's that never answers and never looks at its signal.
    const deaf = new MockLanguageModelV3({ doGenerate: () => new Promise(() => undefined) });
    const quick = manifestOf([data, analytics, summary], { policy: { taskTimeoutMs: 300 } });
    const started = Date.now();
    const outcome = await new LlmPlanner({ resolveModel: (id) => ({ id, model: deaf, providerOptions: {} }) }).plan(goal, quick);
    expect(outcome.planner).toBe('builtin');
    expect(outcome.reason).toMatch(/no plan within 300 ms \(policy.taskTimeoutMs\); fell back to the builtin planner/);
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 15_000);

  it('gives the model the time of a policy.taskTimeoutMs of 3e9 ms, not 1 ms', async () => {
    const scripted = new ScriptedModel([{ json: salesPlan() }]);
    // Answers after 30 ms, unless its call is aborted first (as a real provider's fetch is).
    const slow = new MockLanguageModelV3({
      doGenerate: (options) =>
        new Promise((resolve, reject) => {
          const answer = setTimeout(() => resolve(scripted.doGenerate(options)), 30);
          options.abortSignal?.addEventListener(
            'abort',
            () => {
              clearTimeout(answer);
              reject(options.abortSignal?.reason as Error);
            },
            { once: true },
          );
        }),
    });
    const patient = manifestOf([data, analytics, summary], { policy: { taskTimeoutMs: 3e9 } });
    const outcome = await new LlmPlanner({ resolveModel: (id) => ({ id, model: slow, providerOptions: {} }) }).plan(goal, patient);
    expect(outcome.planner).toBe('llm');
  });

  it('reports a missing API key by naming the variable', async () => {
    const planner = new LlmPlanner({ resolveModel: (id, where) => resolveModel(id, where, {}) });
    await expect(planner.plan(goal, { ...manifest, orchestrator: { ...manifest.orchestrator, model: 'openai:gpt-4o-mini' } })).rejects.toThrow(/OPENAI_API_KEY/);
  });
});
