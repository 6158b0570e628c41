import { describe, expect, it } from 'vitest';
import { AgentRegistry } from '../../core/src/agents/registry.ts';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { StaticPlanner } from '../../core/src/planning/static-planner.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { createJudge } from '../src/judge.ts';
import { createLlmAgentFactory } from '../src/llm-agent.ts';
import { envModelResolver, resolveModel } from '../src/model-config.ts';
import { LlmPlanner } from '../src/planning/llm-planner.ts';
import { ScriptedModel } from '../src/testing/index.ts';
import { manifestOf, pricerSpec, salesPlan, singleTaskManifest } from './helpers.ts';
import { stubPerTest, textOf } from './support/openai-stub.ts';

const serve = stubPerTest();

const quotePlan = { tasks: [{ id: 't1-price-quote', title: 'Price the quote', instructions: 'Price two widgets', agent: 'pricer', dependsOn: [], consumes: [], produces: ['quote'] }], requested: ['quote'] };

/** A reasoning model's thoughts, with JSON and a fence of their own that must not be taken for the answer. */
const THINKING = '<think>\nThe user wants two widgets at 12.5. Maybe {"quote": {"total": 999}}?\n```json\n{"quote": {"total": 1}}\n```\nNo: 2 * 12.5 = 25.\n</think>';
const ANSWER = '{"quote": {"total": 25}}';

/** Runs the pricer once against the stub, its model answering `content`. */
async function priceWith(content: string) {
  const s = await serve(() => ({ content }));
  const registry = new AgentRegistry().register('llm', createLlmAgentFactory({ resolveModel: envModelResolver({ OPENAI_BASE_URL: s.url }) }));
  const orch = new Orchestrator({ manifest: singleTaskManifest(pricerSpec('', { tools: [] })), registry, planner: new StaticPlanner(quotePlan) });
  try {
    return await orch.run('a quote for two widgets');
  } finally {
    await orch.close();
  }
}

describe('a JSON reply in a code fence or after a <think> block', () => {
  it.each([
    ['fenced JSON', `\`\`\`json\n${ANSWER}\n\`\`\``],
    ['a fence without a language', `\`\`\`\n${ANSWER}\n\`\`\`\n`],
    ['JSON after a <think> block', `${THINKING}\n\n${ANSWER}`],
    ['fenced JSON after a <think> block', `${THINKING}\n\n\`\`\`json\n${ANSWER}\n\`\`\``],
  ])('is the output of an llm agent through the OpenAI-compatible provider: %s', async (_name, content) => {
    const result = await priceWith(content);
    expect(result.tasks[0]?.attempts[0]?.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(result.deliverable.artifacts.quote).toEqual({ total: 25 });
  });

  it.each([
    ['invalid JSON in a fence after a <think> block', `${THINKING}\n\`\`\`json\n{"quote": {"total": 25}\n\`\`\``],
    ['JSON after prose', `Here is the quote: ${ANSWER}`],
    ['two fenced blocks', `\`\`\`json\n${ANSWER}\n\`\`\`\n\`\`\`json\n${ANSWER}\n\`\`\``],
    ['a <think> block that never ends', `<think>\nThe total is 25.\n${ANSWER}`],
  ])('is still refused, with the same error, when it is %s', async (_name, content) => {
    const result = await priceWith(content);
    expect(result.status).toBe('failed');
    expect(result.tasks[0]?.attempts[0]?.status).toBe('invalid');
    expect(result.tasks[0]?.attempts[0]?.error).toMatch(/^the reply was not one JSON object \(.+\); reply with one JSON object only, without prose or code fences$/);
  });

  it('is a plan of the LLM planner, and its repair is asked without the reasoning', async () => {
    const unknownAgent = salesPlan('writer');
    const s = await serve((_req, n) => ({ content: `<think>Three steps; the summary by writer.</think>\n\`\`\`json\n${JSON.stringify(n === 1 ? unknownAgent : salesPlan())}\n\`\`\`` }));
    const team = ['data', 'analytics', 'summary'].map((name, i) =>
      scriptedAgent({ name, consumes: i === 0 ? [] : [['sales-dataset', 'metrics'][i - 1]!], produces: [['sales-dataset', 'metrics', 'summary'][i]!] }),
    );
    const planner = new LlmPlanner({ model: resolveModel('openai-compatible:stub-model', 'orchestrator.model', { OPENAI_BASE_URL: s.url }) });
    const outcome = await planner.plan('Q2 summary', manifestOf(team));

    expect(outcome.planner).toBe('llm');
    expect(outcome.plan.tasks.map((t) => t.agent)).toEqual(['data', 'analytics', 'summary']);
    expect(s.requests).toHaveLength(2);
    const answered = s.requests[1]?.messages.filter((m) => m.role === 'assistant').map(textOf);
    expect(answered).toEqual([JSON.stringify(unknownAgent)]);
  });

  it("is a judge's verdict (the scripted model)", async () => {
    const verdicts = { verdicts: [{ rubric: 1, pass: false, reason: 'no figure is cited' }] };
    const model = new ScriptedModel([{ text: `<think>Is a figure cited? {"verdicts": []}</think>\n\`\`\`json\n${JSON.stringify(verdicts)}\n\`\`\`` }]);
    const summary = scriptedAgent({ name: 'summary', produces: ['summary'], script: [{ output: { summary: 'Sales went up.' } }] });
    summary.spec.output.summary = { checks: [{ rubric: 'Cites at least one figure' }] };
    const judge = createJudge(manifestOf([summary]), { resolveModel: model.resolver() });
    const task = { id: 't1-write-summary', title: 'Write the summary', instructions: 'Summarize Q2', agent: 'summary', dependsOn: [], consumes: [], produces: ['summary'] };
    const problems = await judge(task, summary, { summary: 'Sales went up.' }, new AbortController().signal);

    expect(problems).toEqual(['quality check of summary failed (rubric "Cites at least one figure"): no figure is cited']);
    model.assertAllConsumed();
  });

  it('keeps <think> tags that are part of the answer (a JSON string quoting them): only a block opening the reply is reasoning', async () => {
    const reason = 'it pastes the model\'s <think>Q2 went up</think> notes instead of a figure';
    const verdicts = { verdicts: [{ rubric: 1, pass: false, reason }] };
    const model = new ScriptedModel([{ text: JSON.stringify(verdicts) }, { text: `<think>Judge it.</think>${JSON.stringify(verdicts)}` }]);
    const summary = scriptedAgent({ name: 'summary', produces: ['summary'], script: [{ output: { summary: 'Sales went up.' } }] });
    summary.spec.output.summary = { checks: [{ rubric: 'Cites at least one figure' }] };
    const judge = createJudge(manifestOf([summary]), { resolveModel: model.resolver() });
    const task = { id: 't1-write-summary', title: 'Write the summary', instructions: 'Summarize Q2', agent: 'summary', dependsOn: [], consumes: [], produces: ['summary'] };
    for (let i = 0; i < 2; i++) {
      const problems = await judge(task, summary, { summary: 'Sales went up.' }, new AbortController().signal);
      expect(problems).toEqual([`quality check of summary failed (rubric "Cites at least one figure"): ${reason}`]);
    }
    model.assertAllConsumed();
  });
});
