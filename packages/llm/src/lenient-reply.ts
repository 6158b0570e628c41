/**
 * What a model's JSON reply may carry around it and still be read. Reasoning models served by
 * OpenAI-compatible servers (DeepSeek-R1, Qwen3 under vLLM, Ollama or llama.cpp) put a
 * `<think>…</think>` block before the answer in the content, and many models wrap JSON in a
 * Markdown code fence even when told not to.
 */
import { extractJsonMiddleware, extractReasoningMiddleware, wrapLanguageModel } from 'ai';
import type { LanguageModel } from 'ai';

/** One fenced code block, its language tag (`json`) optional, and nothing around it. */
const FENCED = /^```[\w-]*[ \t]*\r?\n?([\s\S]*?)\r?\n?[ \t]*```$/;

/**
 * `model` as Baton's structured calls use it: a `<think>…</think>` block in its text is taken as
 * reasoning (the AI SDK's `extractReasoningMiddleware`: the reply's text, and so what is parsed as
 * JSON, is what follows it), and a text that is one fenced code block is the block's content
 * (`extractJsonMiddleware`). Anything else, invalid JSON included, is read as it was. A model given
 * as a gateway id, or in the older v2 interface, is returned as it is.
 */
export function lenientModel(model: LanguageModel): LanguageModel {
  if (typeof model === 'string' || model.specificationVersion !== 'v3') return model;
  // The first middleware sees the reply last: the fence is looked for once the reasoning is out.
  return wrapLanguageModel({ model, middleware: [extractJsonMiddleware({ transform: unfenced }), extractReasoningMiddleware({ tagName: 'think' })] });
}

/**
 * The content of `text` when it is one fenced code block. Not the middleware's default transform:
 * that one wants the fence at the very start, where the reasoning taken out leaves line breaks.
 */
function unfenced(text: string): string {
  const block = FENCED.exec(text.trim())?.[1];
  return block === undefined || block.includes('```') ? text : block;
}
