/**
 * What a model's JSON reply may carry around it and still be read. Reasoning models served by
 * OpenAI-compatible servers (DeepSeek-R1, Qwen3 under vLLM, Ollama or llama.cpp) put a
 * `<think>…</think>` block before the answer in the content, and many models wrap JSON in a
 * Markdown code fence even when told not to.
 */
import { wrapLanguageModel } from 'ai';
import type { LanguageModel, LanguageModelMiddleware } from 'ai';

/** A `<think>…</think>` block at the start of a reply (after white space only). */
const LEADING_REASONING = /^\s*<think>([\s\S]*?)<\/think>/;

/** One fenced code block, its language tag (`json`) optional, and nothing around it. */
const FENCED = /^```[\w-]*[ \t]*\r?\n?([\s\S]*?)\r?\n?[ \t]*```$/;

type GeneratedContent = Awaited<ReturnType<NonNullable<LanguageModelMiddleware['wrapGenerate']>>>['content'];

/**
 * A reply's text parts as Baton reads JSON from them: a `<think>…</think>` block that opens the text
 * becomes a reasoning part (so it is never parsed, nor returned as output), and what is left, when
 * it is one fenced code block, becomes the block's content. Only a leading block is reasoning: the
 * same tags inside the answer (a JSON string quoting them) are the answer's.
 */
const READABLE_REPLY: LanguageModelMiddleware = {
  specificationVersion: 'v3',
  wrapGenerate: async ({ doGenerate }) => {
    const { content, ...rest } = await doGenerate();
    return { content: content.flatMap(readable), ...rest };
  },
};

function readable(part: GeneratedContent[number]): GeneratedContent {
  if (part.type !== 'text') return [part];
  const reasoning = LEADING_REASONING.exec(part.text);
  const answer = unfenced(reasoning ? part.text.slice(reasoning[0].length) : part.text);
  return reasoning ? [{ type: 'reasoning', text: reasoning[1]! }, { ...part, text: answer }] : [{ ...part, text: answer }];
}

/**
 * `model` as Baton's structured calls use it (see {@link READABLE_REPLY}); anything else, invalid
 * JSON included, is read as it was. A model given as a gateway id, or in the older v2 interface, is
 * returned as it is.
 */
export function lenientModel(model: LanguageModel): LanguageModel {
  if (typeof model === 'string' || model.specificationVersion !== 'v3') return model;
  return wrapLanguageModel({ model, middleware: READABLE_REPLY });
}

/** The content of `text` when it is one fenced code block, else `text`. */
function unfenced(text: string): string {
  const block = FENCED.exec(text.trim())?.[1];
  return block === undefined || block.includes('```') ? text : block;
}
