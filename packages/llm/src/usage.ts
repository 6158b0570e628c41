import type { LanguageModelUsage } from 'ai';
import type { Usage } from 'batonjs/internal';

/**
 * Baton's usage record of `calls` model calls that used `u` tokens. A count the server left out,
 * or gave as a negative or non-finite number, is 0: the call still counts, and a server's bad
 * number cannot lower the run's totals under its budget.
 */
export function usageOf(u: Pick<LanguageModelUsage, 'inputTokens' | 'outputTokens'> | undefined, calls = 1): Usage {
  return { llmCalls: calls, inputTokens: tokenCount(u?.inputTokens), outputTokens: tokenCount(u?.outputTokens) };
}

function tokenCount(n: number | undefined): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0;
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
