/**
 * One structured model exchange: a system prompt, messages, an optional tool loop, and a reply
 * forced to a JSON Schema. Every model call Baton makes (planner, judge, llm agents) goes through
 * here, so usage is reported the same way everywhere: once per model call, as it happens.
 */
import { generateText, jsonSchema, NoObjectGeneratedError, NoOutputGeneratedError, Output, stepCountIs } from 'ai';
import type { JSONSchema7, ModelMessage, ToolSet } from 'ai';
import { errorMessage, untilAborted } from 'batonjs/internal';
import type { JsonSchema, Usage } from 'batonjs/internal';
import { lenientModel } from './lenient-reply.ts';
import type { ResolvedModel } from './model-config.ts';
import { modelFailure } from './model-error.ts';
import { usageOf } from './usage.ts';

export interface StructuredCallOptions {
  model: ResolvedModel;
  system: string;
  messages: ModelMessage[];
  /** The JSON Schema the reply must have (sent as the response format; not enforced here). */
  schema: JsonSchema;
  schemaName?: string;
  tools?: ToolSet;
  /** Model calls allowed in the tool loop (default 1: no tool results are fed back). */
  maxSteps?: number;
  signal?: AbortSignal;
  /** Called after every model call with that call's usage. */
  onUsage?: (usage: Usage) => void;
  /** Transport retries inside the AI SDK (default 0: Baton's retry ladder decides). */
  maxRetries?: number;
}

/** The reply: parsed JSON, or why there is none. Model/transport failures throw instead. */
export type StructuredReply =
  | { ok: true; value: unknown; text: string; responseMessages: ModelMessage[] }
  | { ok: false; problem: string; text: string | undefined };

/**
 * Calls the model once (or a bounded tool loop) and returns its JSON reply, unvalidated: the
 * caller checks it against its own rules and can send the exact problems back. A `<think>` block
 * before the JSON, or a code fence around it, is no problem ({@link lenientModel}); the reply's
 * `text` is without them.
 *
 * @throws BatonError `AGENT_FAILED` for transport and API failures (retryable as the API says).
 */
export async function structuredCall(o: StructuredCallOptions): Promise<StructuredReply> {
  try {
    // The AI SDK only hands the signal to the model: one that ignores it must not hold the caller.
    const result = await untilAborted(generateText({
      model: lenientModel(o.model.model),
      system: o.system,
      messages: o.messages,
      ...(o.tools && Object.keys(o.tools).length > 0 ? { tools: o.tools } : {}),
      stopWhen: stepCountIs(o.maxSteps ?? 1),
      output: Output.object({ schema: jsonSchema(o.schema as JSONSchema7), ...(o.schemaName ? { name: o.schemaName } : {}) }),
      providerOptions: o.model.providerOptions,
      maxRetries: o.maxRetries ?? 0,
      ...(o.signal ? { abortSignal: o.signal } : {}),
      onStepFinish: (step) => o.onUsage?.(usageOf(step.usage)),
    }), o.signal);
    let value: unknown;
    try {
      value = result.output;
    } catch (e) {
      if (!NoOutputGeneratedError.isInstance(e)) throw e;
      const steps = result.steps.length;
      return { ok: false, problem: `no final answer after ${steps} model call${steps === 1 ? '' : 's'}: the model was still calling tools; answer with the JSON object now`, text: result.text };
    }
    return { ok: true, value, text: result.text, responseMessages: result.response.messages };
  } catch (e) {
    if (NoObjectGeneratedError.isInstance(e)) {
      return { ok: false, problem: `the reply was not one JSON object (${oneLine(errorMessage(e.cause ?? e))}); reply with one JSON object only, without prose or code fences`, text: e.text };
    }
    throw modelFailure(e, o.model.id, o.signal);
  }
}

function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
