import type { Policy, Usage } from '../core/types.ts';

/**
 * Why the run must stop for its budget (`policy.maxTokens`, `policy.maxLlmCalls`), counting usage
 * already journaled and usage reported by attempts still in flight; undefined while within it.
 */
export function budgetExceeded(policy: Pick<Policy, 'maxTokens' | 'maxLlmCalls'>, journaled: Usage | undefined, inFlight: Usage): string | undefined {
  const { maxTokens, maxLlmCalls } = policy;
  if (!journaled || (maxTokens === undefined && maxLlmCalls === undefined)) return undefined;
  const tokens = journaled.inputTokens + journaled.outputTokens + inFlight.inputTokens + inFlight.outputTokens;
  const calls = journaled.llmCalls + inFlight.llmCalls;
  if (maxTokens !== undefined && tokens > maxTokens) return `token budget exhausted: ${tokens} tokens used, policy.maxTokens is ${maxTokens}`;
  if (maxLlmCalls !== undefined && calls > maxLlmCalls) return `LLM call budget exhausted: ${calls} calls, policy.maxLlmCalls is ${maxLlmCalls}`;
  return undefined;
}
