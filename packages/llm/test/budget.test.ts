import { describe, expect, it } from 'vitest';
import { createLlmAgentFactory } from '../src/llm-agent.ts';
import { AgentRegistry } from '../../core/src/agents/registry.ts';
import type { Planner } from '../../core/src/core/contracts.ts';
import type { AgentSpec, Manifest, Plan, Policy, Usage } from '../../core/src/core/types.ts';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { StaticPlanner } from '../../core/src/planning/static-planner.ts';
import { ScriptedModel } from '../src/testing/index.ts';
import type { ModelReply } from '../src/testing/index.ts';
import { manifestOf } from './helpers.ts';

function llmSpec(name: string, consumes: string[], produces: string, extra: Partial<AgentSpec> = {}): AgentSpec {
  return {
    name,
    description: `writes the ${produces}`,
    version: '1.0.0',
    capabilities: [],
    consumes,
    produces: [produces],
    kind: 'llm',
    model: 'openai-compatible:test-model',
    output: { [produces]: { schema: { type: 'string', minLength: 5 } } },
    fallback: [],
    ...extra,
  };
}

function setup(replies: ModelReply[], policy: Partial<Policy>, options: { maxSteps?: number; specs?: AgentSpec[]; planUsage?: Usage } = {}) {
  const specs = options.specs ?? [llmSpec('drafter', [], 'draft'), llmSpec('editor', ['draft'], 'summary')];
  const manifest: Manifest = manifestOf([], { policy });
  manifest.orchestrator.subagents = specs.map((s) => s.name);
  manifest.agents = Object.fromEntries(specs.map((s) => [s.name, s]));
  const model = new ScriptedModel(replies);
  const registry = new AgentRegistry().register('llm', createLlmAgentFactory({ resolveModel: model.resolver(), ...(options.maxSteps ? { maxSteps: options.maxSteps } : {}) }));
  const plan: Plan = {
    tasks: specs.map((s, i) => ({ id: `t${i + 1}-${s.name}`, title: s.name, instructions: s.description, agent: s.name, dependsOn: i === 0 ? [] : [`t${i}-${specs[i - 1]!.name}`], consumes: s.consumes, produces: s.produces })),
  };
  const planner = new StaticPlanner(plan);
  const { planUsage } = options;
  // A planner that reports what planning used, as the LLM planner does.
  const planning: Planner = planUsage ? { name: 'llm', plan: async (goal) => ({ ...(await planner.plan(goal)), usage: planUsage }) } : planner;
  return { model, orch: new Orchestrator({ manifest, registry, planner: planning }) };
}

describe('budgets', () => {
  it('policy.maxTokens stops the run cleanly once exceeded, before the next task calls the model', async () => {
    const { model, orch } = setup([{ json: { draft: 'a long first draft' }, usage: { inputTokens: 500, outputTokens: 120 } }], { maxTokens: 500 });
    const result = await orch.run('write the summary');
    await orch.close();

    expect(result.status).toBe('failed');
    expect(result.reason).toBe('token budget exhausted: 620 tokens used, policy.maxTokens is 500');
    expect(result.usage).toEqual({ llmCalls: 1, inputTokens: 500, outputTokens: 120 });
    expect(result.tasks.find((t) => t.id === 't2-editor')?.status).toBe('cancelled');
    expect(model.calls).toHaveLength(1);
  });

  it('policy.maxLlmCalls stops a run whose agent keeps failing instead of retrying on', async () => {
    const bad: ModelReply = { json: { draft: 'x' } };
    const { model, orch } = setup([bad, bad, bad, bad, bad, bad], { maxLlmCalls: 3, retries: 5 }, { specs: [llmSpec('drafter', [], 'draft')] });
    const result = await orch.run('write a draft');
    await orch.close();

    expect(result.status).toBe('failed');
    expect(result.reason).toBe('LLM call budget exhausted: 4 calls, policy.maxLlmCalls is 3');
    expect(model.calls).toHaveLength(4);
    // The budget is enforced as usage is reported: the fourth attempt is stopped at its first call over the limit.
    expect(result.tasks[0]?.attempts.map((a) => a.status)).toEqual(['invalid', 'invalid', 'invalid', 'failed']);
    expect(result.tasks[0]?.attempts[3]?.error).toBe('cancelled: LLM call budget exhausted: 4 calls, policy.maxLlmCalls is 3');
  });

  it('counts a call whose server reports negative or missing tokens, as 0 tokens, so the budget holds', async () => {
    const { model, orch } = setup([{ json: { draft: 'a long first draft' }, usage: { inputTokens: -1_000_000, outputTokens: 700 } }], { maxTokens: 500 });
    const result = await orch.run('write the summary');
    await orch.close();

    expect(result.usage).toEqual({ llmCalls: 1, inputTokens: 0, outputTokens: 700 });
    expect(result.reason).toBe('token budget exhausted: 700 tokens used, policy.maxTokens is 500');
    expect(model.calls).toHaveLength(1);
  });

  it('starts no attempt when planning alone spent the budget', async () => {
    const { model, orch } = setup([{ json: { draft: 'a long first draft' } }], { maxTokens: 1_000 }, { planUsage: { llmCalls: 1, inputTokens: 10_000, outputTokens: 0 } });
    const result = await orch.run('write the summary');
    await orch.close();

    expect(result.status).toBe('failed');
    expect(result.reason).toBe('token budget exhausted: 10000 tokens used, policy.maxTokens is 1000');
    expect(result.tasks.map((t) => [t.status, t.attempts.length])).toEqual([
      ['cancelled', 0],
      ['cancelled', 0],
    ]);
    expect(model.calls).toHaveLength(0);
  });

  it("bounds an agent's tool loop: a model that never stops calling tools ends the attempt", async () => {
    const loop: ModelReply = { toolCalls: [{ name: 'calculator', input: { expression: '1+1' } }] };
    const spec = llmSpec('drafter', [], 'draft', { tools: [{ kind: 'builtin', name: 'calculator' }] });
    const { model, orch } = setup([loop, loop, loop], {}, { maxSteps: 3, specs: [spec] });
    const result = await orch.run('write a draft');
    await orch.close();

    expect(result.status).toBe('failed');
    expect(result.tasks[0]?.attempts[0]?.status).toBe('invalid');
    expect(result.tasks[0]?.attempts[0]?.error).toContain('no final answer after 3 model calls');
    expect(model.calls[1]?.transcript).toContain('[tool-result calculator');
    expect(result.usage.llmCalls).toBe(3);
  });
});
