import { generateText } from 'ai';
import { describe, expect, it } from 'vitest';
import { parseModelId, resolveModel } from '../src/model-config.ts';
import { replySchemaOf } from '../src/output-schema.ts';
import { checkReplanProgress, renameReusedIds } from '../../core/src/planning/replan-rules.ts';
import { ScriptedModel } from '../src/testing/index.ts';
import { salesPlan } from './helpers.ts';

describe('model configuration', () => {
  it('parses provider:name, keeping colons of the name', () => {
    expect(parseModelId('ollama:llama3.1:8b')).toEqual({ provider: 'ollama', name: 'llama3.1:8b' });
    expect(() => parseModelId('gemini:pro', 'agents.x.model')).toThrow("agents.x.model is 'gemini:pro': expected provider:name with provider one of openai, anthropic, ollama, openai-compatible");
  });

  it('builds each provider from the usual environment variables and names the missing one', () => {
    expect(resolveModel('openai:gpt-4o-mini', 'm', { OPENAI_API_KEY: 'sk-1' }).model).toMatchObject({ modelId: 'gpt-4o-mini', provider: 'openai.chat' });
    expect(resolveModel('anthropic:claude-3-5-haiku-latest', 'm', { ANTHROPIC_API_KEY: 'k' }).model).toMatchObject({ provider: 'anthropic.messages' });
    expect(resolveModel('ollama:llama3.1', 'm', {}).model).toMatchObject({ modelId: 'llama3.1', provider: 'openaiCompatible.chat' });
    expect(resolveModel('openai-compatible:qwen', 'm', { OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1' }).model).toMatchObject({ modelId: 'qwen' });
    expect(() => resolveModel('openai:gpt-4o-mini', 'orchestrator.model in baton.yaml', {})).toThrow(
      "orchestrator.model in baton.yaml is 'openai:gpt-4o-mini', which needs the environment variable OPENAI_API_KEY: set it (e.g. export OPENAI_API_KEY=sk-...) or choose another model",
    );
    expect(() => resolveModel('anthropic:claude', 'm', {})).toThrow(/ANTHROPIC_API_KEY/);
    expect(() => resolveModel('openai-compatible:qwen', 'm', { OPENAI_API_KEY: 'x' })).toThrow(/OPENAI_BASE_URL/);
  });
});

describe('reply schema of an llm agent', () => {
  it('nests each artifact schema under its key and rewrites local references', () => {
    const schema = replySchemaOf(
      { output: { summary: { schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { headline: { $ref: '#/$defs/finding' } }, $defs: { finding: { type: 'string' } } } } } },
      ['summary', 'notes'],
    );
    expect(schema).toEqual({
      type: 'object',
      required: ['summary', 'notes'],
      additionalProperties: false,
      properties: {
        summary: { type: 'object', properties: { headline: { $ref: '#/properties/summary/$defs/finding' } }, $defs: { finding: { type: 'string' } } },
        notes: {},
      },
    });
  });

  it('points a reference to the root of an artifact schema ("#", "#/") at its new place', () => {
    const tree = { type: 'object', properties: { kids: { type: 'array', items: { $ref: '#' } }, next: { $ref: '#/' } } };
    const schema = replySchemaOf({ output: { tree: { schema: tree } } }, ['tree']);
    expect(schema.properties).toEqual({ tree: { type: 'object', properties: { kids: { type: 'array', items: { $ref: '#/properties/tree' } }, next: { $ref: '#/properties/tree' } } } });
  });
});

describe('re-plan rules', () => {
  const previous = salesPlan();
  const request = { previous, succeeded: ['t1-extract-sales-dataset', 't2-compute-metrics'], failed: [{ taskId: 't3-write-summary', agent: 'summary', reason: 'down' }] };

  it('gives fresh ids to tasks that reuse the id of a task that did not succeed', () => {
    const next = { tasks: [{ ...previous.tasks[2]!, agent: 'brief' }, { ...previous.tasks[2]!, id: 't4-review', dependsOn: ['t3-write-summary'], produces: ['review'] }] };
    expect(renameReusedIds(next, request).tasks.map((t) => [t.id, t.dependsOn])).toEqual([
      ['t3-write-summary-r1', ['t2-compute-metrics']],
      ['t4-review', ['t3-write-summary-r1']],
    ]);
  });

  it('flags failed work given back to the agent that failed at it', () => {
    const again = { tasks: [{ ...previous.tasks[2]!, id: 't9' }] };
    expect(checkReplanProgress(again, request)).toEqual([{ taskId: 't9', message: expect.stringContaining("agent 'summary' already failed for good at t3-write-summary making summary") as string }]);
    expect(checkReplanProgress({ tasks: [{ ...previous.tasks[2]!, id: 't9', agent: 'brief' }] }, request)).toEqual([]);
  });
});

describe('ScriptedModel', () => {
  it('replies in order and fails loudly on an unexpected or an unconsumed call', async () => {
    const model = new ScriptedModel([{ text: 'one' }, { text: 'two' }, { text: 'three' }]);
    expect((await generateText({ model, prompt: 'hi' })).text).toBe('one');
    expect(() => model.assertAllConsumed()).toThrow('2 scripted replies were never used (text, text) after 1 calls');
    await generateText({ model, prompt: 'a' });
    await generateText({ model, prompt: 'b' });
    model.assertAllConsumed();
    await expect(generateText({ model, prompt: 'one too many', maxRetries: 0 })).rejects.toThrow(/unexpected call #4 \(only 3 replies were scripted\)/);
    expect(model.calls.map((c) => c.transcript)).toEqual(['user: hi', 'user: a', 'user: b', 'user: one too many']);
  });
});

describe('ScriptedModel expectations', () => {
  it('keeps a failed expectation for assertAllConsumed, even when the caller swallowed the failed call', async () => {
    const model = new ScriptedModel([{ text: 'x', expect: (call) => expect(call.transcript).toContain('budget') }]);
    await generateText({ model, prompt: 'plan the report', maxRetries: 0 }).catch(() => undefined);
    expect(() => model.assertAllConsumed()).toThrow(/budget/);
  });
});
