/**
 * A language model that follows a script, for testing LLM planners, judges and `llm` agents
 * without a provider: `new ScriptedModel([{ json: plan }, { toolCalls: [{ name: 'query', input }] }, { json: out }])`.
 * It answers calls in order and fails loudly on a call nobody scripted; `assertAllConsumed()`
 * fails when scripted replies were never asked for (like openai-agents' ScriptedModel).
 */
import { MockLanguageModelV3 } from 'ai/test';
import type { ModelResolver } from '../model-config.ts';

type CallOptions = Parameters<MockLanguageModelV3['doGenerate']>[0];
type GenerateResult = Awaited<ReturnType<MockLanguageModelV3['doGenerate']>>;

/** Tokens a scripted reply claims to have used (default 10 in, 20 out). */
export interface ScriptedUsage {
  inputTokens: number;
  outputTokens: number;
}

/** One scripted reply to one model call. */
export type ModelReply = (
  | { text: string }
  /** Replies with this value as JSON text (structured output). */
  | { json: unknown }
  | { toolCalls: { name: string; input: Record<string, unknown>; id?: string }[] }
  /** The call fails with this error. */
  | { error: string | Error }
) & {
  usage?: ScriptedUsage;
  /** Runs on the call before replying: assert on what the model was sent. */
  expect?: (call: ScriptedCall) => void;
};

/** What one call sent to the model, flattened for assertions. */
export interface ScriptedCall {
  /** 1-based position of the call. */
  n: number;
  /** The system prompt(s). */
  system: string;
  /** Every non-system message as `role: text` lines (tool calls and results included). */
  transcript: string;
  /** Names of the tools offered. */
  tools: string[];
  /** Whether a JSON response format was requested. */
  json: boolean;
  options: CallOptions;
}

const DEFAULT_USAGE: ScriptedUsage = { inputTokens: 10, outputTokens: 20 };

/** A scripted language model (AI SDK model interface v3). */
export class ScriptedModel extends MockLanguageModelV3 {
  readonly calls: ScriptedCall[] = [];
  /** Errors thrown by `expect` hooks (they also fail the call that ran them). */
  readonly expectationErrors: unknown[] = [];
  private readonly replies: ModelReply[];

  constructor(replies: ModelReply[] | ((call: ScriptedCall) => ModelReply), options: { modelId?: string; provider?: string } = {}) {
    super({ provider: options.provider ?? 'scripted', modelId: options.modelId ?? 'scripted-model' });
    this.replies = Array.isArray(replies) ? [...replies] : [];
    const dynamic = Array.isArray(replies) ? undefined : replies;
    this.doGenerate = async (opts: CallOptions): Promise<GenerateResult> => {
      const call = describeCall(this.calls.length + 1, opts);
      this.calls.push(call);
      const reply = dynamic ? dynamic(call) : this.replies.shift();
      if (!reply) {
        throw new Error(`ScriptedModel ${this.modelId}: unexpected call #${call.n} (only ${call.n - 1} replies were scripted). Last message:\n${lastLines(call.transcript)}`);
      }
      try {
        reply.expect?.(call);
      } catch (e) {
        // The caller may turn a failed call into a fallback; keep the error for assertAllConsumed.
        this.expectationErrors.push(e);
        throw e;
      }
      return toResult(reply, call.n);
    };
  }

  /** Replies scripted but not yet asked for. */
  get remaining(): number {
    return this.replies.length;
  }

  /** Throws the first failed `expect` hook, or when some scripted replies were never used. */
  assertAllConsumed(): void {
    if (this.expectationErrors.length > 0) throw this.expectationErrors[0];
    if (this.replies.length === 0) return;
    const kinds = this.replies.map((r) => Object.keys(r).filter((k) => k !== 'usage' && k !== 'expect')[0]);
    throw new Error(`ScriptedModel ${this.modelId}: ${this.replies.length} scripted repl${this.replies.length === 1 ? 'y was' : 'ies were'} never used (${kinds.join(', ')}) after ${this.calls.length} calls`);
  }

  /** A resolver that gives this model for any `provider:name` id (for planners, judges and agents). */
  resolver(): ModelResolver {
    return (id) => ({ id, model: this, providerOptions: {} });
  }
}

function toResult(reply: ModelReply, n: number): GenerateResult {
  const u = reply.usage ?? DEFAULT_USAGE;
  const usage = {
    inputTokens: { total: u.inputTokens, noCache: u.inputTokens, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: u.outputTokens, text: u.outputTokens, reasoning: undefined },
  };
  const base = { usage, warnings: [], response: { id: `scripted-${n}`, modelId: 'scripted-model', timestamp: new Date(0) } };
  if ('error' in reply) throw typeof reply.error === 'string' ? new Error(reply.error) : reply.error;
  if ('toolCalls' in reply) {
    return {
      ...base,
      content: reply.toolCalls.map((c, i) => ({ type: 'tool-call' as const, toolCallId: c.id ?? `call-${n}-${i + 1}`, toolName: c.name, input: JSON.stringify(c.input) })),
      finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
    };
  }
  const text = 'json' in reply ? JSON.stringify(reply.json) : reply.text;
  return { ...base, content: [{ type: 'text', text }], finishReason: { unified: 'stop', raw: 'stop' } };
}

function describeCall(n: number, options: CallOptions): ScriptedCall {
  const system: string[] = [];
  const lines: string[] = [];
  for (const message of options.prompt) {
    if (message.role === 'system') {
      system.push(message.content);
      continue;
    }
    const parts = message.content.map((part) => {
      switch (part.type) {
        case 'text':
        case 'reasoning':
          return part.text;
        case 'tool-call':
          return `[tool-call ${part.toolName} ${JSON.stringify(part.input)}]`;
        case 'tool-result':
          return `[tool-result ${part.toolName} ${JSON.stringify(part.output)}]`;
        case 'file':
        case 'tool-approval-response':
          return `[${part.type}]`;
      }
    });
    lines.push(`${message.role}: ${parts.join('\n')}`);
  }
  return {
    n,
    system: system.join('\n'),
    transcript: lines.join('\n'),
    tools: (options.tools ?? []).map((t) => t.name),
    json: options.responseFormat?.type === 'json',
    options,
  };
}

function lastLines(text: string): string {
  return text.split('\n').slice(-6).join('\n');
}
