import { BatonError } from './errors.ts';
import type { Usage } from './types.ts';

const FIELDS = ['llmCalls', 'inputTokens', 'outputTokens'] as const;

/**
 * The usage an agent reported, as three numbers: a count left out (or `undefined`, as some model
 * providers give) is 0. Anything else that is not a finite number of 0 or more is refused, since
 * one bad count would turn the run's totals into NaN or text and switch its budget off.
 *
 * @throws BatonError `BAD_REQUEST` naming the field and what it got.
 */
export function checkedUsage(usage: unknown): Usage {
  if (typeof usage !== 'object' || usage === null || Array.isArray(usage)) {
    throw new BatonError('BAD_REQUEST', `reportUsage expects an object { llmCalls, inputTokens, outputTokens } of numbers, got ${usage === null ? 'null' : Array.isArray(usage) ? 'an array' : typeof usage}`, { retryable: false });
  }
  const counts = usage as Partial<Record<(typeof FIELDS)[number], unknown>>;
  const checked: Usage = { llmCalls: 0, inputTokens: 0, outputTokens: 0 };
  for (const field of FIELDS) {
    const n = counts[field];
    if (n === undefined || n === null) continue;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
      const got = typeof n === 'number' ? String(n) : typeof n === 'string' ? `the string ${JSON.stringify(n.slice(0, 40))}` : `a ${typeof n}`;
      throw new BatonError('BAD_REQUEST', `reportUsage: ${field} must be a finite number of 0 or more, got ${got}`, { retryable: false });
    }
    checked[field] = n;
  }
  return checked;
}

/** `u` added to `total` (a copy of `u` when there is no total yet). */
export function addUsage(total: Usage | undefined, u: Usage): Usage {
  if (!total) return { ...u };
  return { llmCalls: total.llmCalls + u.llmCalls, inputTokens: total.inputTokens + u.inputTokens, outputTokens: total.outputTokens + u.outputTokens };
}
