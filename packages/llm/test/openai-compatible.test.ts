import { describe, expect, it } from 'vitest';
import { createLlmAgentFactory } from '../src/llm-agent.ts';
import { AgentRegistry } from '../../core/src/agents/registry.ts';
import { envModelResolver, resolveModel } from '../src/model-config.ts';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { LlmPlanner } from '../src/planning/llm-planner.ts';
import { StaticPlanner } from '../../core/src/planning/static-planner.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { manifestOf, pricerSpec, salesPlan, singleTaskManifest } from './helpers.ts';
import { stubPerTest, textOf } from './support/openai-stub.ts';

const serve = stubPerTest();

/** data -> analytics -> summary, the agents of {@link salesPlan}. */
function salesTeam() {
  return ['data', 'analytics', 'summary'].map((name, i) =>
    scriptedAgent({ name, consumes: i === 0 ? [] : [['sales-dataset', 'metrics'][i - 1]!], produces: [['sales-dataset', 'metrics', 'summary'][i]!] }),
  );
}

const quotePlan = { tasks: [{ id: 't1-price-quote', title: 'Price the quote', instructions: 'Price two widgets', agent: 'pricer', dependsOn: [], consumes: [], produces: ['quote'] }], requested: ['quote'] };

describe('through the OpenAI-compatible provider over HTTP', () => {
  it('plans with structured output (response_format json_schema) and counts the reported tokens', async () => {
    const s = await serve(() => ({ json: salesPlan(), usage: { prompt: 321, completion: 123 } }));
    const planner = new LlmPlanner({ model: resolveModel('openai-compatible:stub-model', 'orchestrator.model', { OPENAI_BASE_URL: s.url }) });
    const outcome = await planner.plan('Q2 summary', manifestOf(salesTeam()));

    expect(outcome.planner).toBe('llm');
    expect(outcome.plan.tasks).toHaveLength(3);
    expect(outcome.usage).toEqual({ llmCalls: 1, inputTokens: 321, outputTokens: 123 });
    const [req] = s.requests;
    expect(req?.model).toBe('stub-model');
    expect(req?.response_format?.type).toBe('json_schema');
    expect(JSON.stringify(req?.response_format?.json_schema?.schema)).toContain('"dependsOn"');
    expect(req?.messages[0]?.role).toBe('system');
  });

  it('runs an llm agent whose tool calls and results travel over the real protocol', async () => {
    const s = await serve((req) => {
      const toolResult = req.messages.find((m) => m.role === 'tool');
      if (!toolResult) return { toolCalls: [{ name: 'calculator', arguments: { expression: '2 * 12.5' } }] };
      const total = (JSON.parse(textOf(toolResult)) as { result: number }).result;
      return { json: { quote: { total } } };
    });
    const registry = new AgentRegistry().register('llm', createLlmAgentFactory({ resolveModel: envModelResolver({ OPENAI_BASE_URL: s.url }) }));
    const manifest = singleTaskManifest(pricerSpec('', { tools: [{ kind: 'builtin', name: 'calculator' }] }));
    const orch = new Orchestrator({ manifest, registry, planner: new StaticPlanner(quotePlan) });
    const result = await orch.run('a quote for two widgets');
    await orch.close();

    expect(result.status).toBe('succeeded');
    expect(result.deliverable.artifacts.quote).toEqual({ total: 25 });
    expect(s.requests).toHaveLength(2);
    expect(s.requests[0]?.tools?.map((t) => t.function.name)).toEqual(['calculator']);
    expect(s.requests[1]?.messages.some((m) => m.role === 'assistant' && m.tool_calls?.[0]?.function.name === 'calculator')).toBe(true);
    expect(result.usage).toEqual({ llmCalls: 2, inputTokens: 200, outputTokens: 100 });
  });

  it("names the reply's response format within OpenAI's 64 characters, whatever the agent's name", async () => {
    const s = await serve(() => ({ json: { quote: { total: 25 } } }));
    const registry = new AgentRegistry().register('llm', createLlmAgentFactory({ resolveModel: envModelResolver({ OPENAI_BASE_URL: s.url }) }));
    // A manifest agent name may be as long as its author likes; OpenAI refuses a json_schema name over 64.
    const name = `pricer-for-the-european-wholesale-catalogue-of-spare-parts-${'x'.repeat(20)}`;
    const manifest = singleTaskManifest(pricerSpec('', { name, tools: [] }));
    const plan = { ...quotePlan, tasks: quotePlan.tasks.map((t) => ({ ...t, agent: name })) };
    const orch = new Orchestrator({ manifest, registry, planner: new StaticPlanner(plan) });
    const result = await orch.run('a quote');
    await orch.close();

    expect(result.status).toBe('succeeded');
    const schemaName = s.requests[0]?.response_format?.json_schema?.name ?? '';
    expect(schemaName).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(schemaName.startsWith('pricer-for-the-european')).toBe(true);
  });

  it("waits as long as a rate-limited server's Retry-After asks before an llm agent's next attempt", async () => {
    const at: number[] = [];
    const s = await serve((_req, n) => {
      at.push(Date.now());
      return n === 1 ? { status: 429, error: 'rate limited', headers: { 'retry-after': '1' } } : { json: { quote: { total: 25 } } };
    });
    const registry = new AgentRegistry().register('llm', createLlmAgentFactory({ resolveModel: envModelResolver({ OPENAI_BASE_URL: s.url }) }));
    const manifest = singleTaskManifest(pricerSpec('', { tools: [], retries: 1 }));
    const orch = new Orchestrator({ manifest, registry, planner: new StaticPlanner(quotePlan) });
    const result = await orch.run('a quote');
    await orch.close();

    expect(result.status).toBe('succeeded');
    expect(result.tasks[0]?.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(result.tasks[0]?.attempts[0]?.error).toMatch(/HTTP 429 .*rate limited/);
    // The policy's backoff is 1 ms: the wait is the server's.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(950);
  });

  it('treats a rejected key as a failure that retrying cannot fix, and says what to check', async () => {
    const s = await serve(() => ({ status: 401, error: 'invalid api key' }));
    const registry = new AgentRegistry().register('llm', createLlmAgentFactory({ resolveModel: envModelResolver({ OPENAI_BASE_URL: s.url, OPENAI_API_KEY: 'sk-wrong' }) }));
    const manifest = singleTaskManifest(pricerSpec('', { model: 'openai:gpt-4o-mini', tools: [] }));
    manifest.orchestrator.policy.retries = 3;
    const orch = new Orchestrator({ manifest, registry, planner: new StaticPlanner(quotePlan) });
    const result = await orch.run('a quote');
    await orch.close();

    expect(result.status).toBe('failed');
    expect(result.tasks[0]?.attempts).toHaveLength(1);
    expect(result.tasks[0]?.attempts[0]?.error).toMatch(/model openai:gpt-4o-mini call failed: HTTP 401 from http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: invalid api key; check the API key/);
  });

  it('says what failed when the planner model still fails after the AI SDK retries: status, endpoint, body', async () => {
    // A proxy's plain-text 503, retried at once (Retry-After-Ms) rather than after seconds.
    const s = await serve(() => ({ status: 503, error: 'upstream overloaded', plainText: true, headers: { 'retry-after-ms': '1' } }));
    const planner = new LlmPlanner({ model: resolveModel('openai-compatible:stub-model', 'orchestrator.model', { OPENAI_BASE_URL: s.url }) });
    const manifest = manifestOf(salesTeam());
    const failed = `model openai-compatible:stub-model call failed: Failed after 3 attempts. Last error: HTTP 503 from ${s.url}/chat/completions: Service Unavailable: upstream overloaded`;

    const outcome = await planner.plan('Q2 summary', manifest);
    expect(outcome.planner).toBe('builtin');
    expect(outcome.reason).toContain(`failed: ${failed}; fell back`);

    const replan = planner.replan({
      goal: 'Q2 summary',
      manifest,
      previous: salesPlan(),
      failed: [{ taskId: 't3-write-summary', agent: 'summary', reason: 'down' }],
      produced: ['sales-dataset', 'metrics'],
      succeeded: ['t1-extract-sales-dataset', 't2-compute-metrics'],
    });
    await expect(replan).rejects.toMatchObject({
      code: 'PLAN_INVALID',
      message: expect.stringContaining(failed) as string,
      details: { statusCode: 503, url: `${s.url}/chat/completions`, attempts: 3, model: 'openai-compatible:stub-model' },
    });
    expect(s.requests).toHaveLength(6);
  });
});
