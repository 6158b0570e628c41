import type { LanguageModelUsage } from 'ai';
import type { Usage } from 'batonjs/internal';

/** Baton's usage record of `calls` model calls that used `u` tokens. */
export function usageOf(u: Pick<LanguageModelUsage, 'inputTokens' | 'outputTokens'> | undefined, calls = 1): Usage {
  return { llmCalls: calls, inputTokens: u?.inputTokens ?? 0, outputTokens: u?.outputTokens ?? 0 };
}

/** Sums usage records. */
export function sumUsage(records: readonly Usage[]): Usage {
  const total: Usage = { llmCalls: 0, inputTokens: 0, outputTokens: 0 };
  for (const u of records) {
    total.llmCalls += u.llmCalls;
    total.inputTokens += u.inputTokens;
    total.outputTokens += u.outputTokens;
  }
  return total;
}
