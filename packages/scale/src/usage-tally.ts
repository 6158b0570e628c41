import { checkedUsage } from 'batonjs/internal';
import type { Usage } from 'batonjs/internal';

const FIELDS = ['llmCalls', 'inputTokens', 'outputTokens'] as const;

/**
 * The usage of one attempt as its worker reports it: totals so far, per run of its job (a job
 * handed back, or taken again, runs again from zero). Each total says what the attempt has used
 * in all; `add` gives only what was not counted before, so a total sent twice (streamed, then in
 * the job's result or failure note) is counted once.
 */
export class UsageTally {
  private readonly byRun = new Map<string, Usage>();
  private counted: Usage = { llmCalls: 0, inputTokens: 0, outputTokens: 0 };

  /**
   * Takes a run's total so far (`run` undefined: a worker that does not say, taken as one run) and
   * returns what it adds to the counts already given, or undefined when nothing.
   *
   * @throws BatonError `BAD_REQUEST` when `total` is not three counts.
   */
  add(run: string | undefined, total: unknown): Usage | undefined {
    const checked = checkedUsage(total);
    const key = run ?? '';
    const earlier = this.byRun.get(key);
    this.byRun.set(key, earlier ? combine(earlier, checked, Math.max) : checked);
    let sum: Usage = { llmCalls: 0, inputTokens: 0, outputTokens: 0 };
    for (const u of this.byRun.values()) sum = combine(sum, u, (a, b) => a + b);
    const added = combine(sum, this.counted, (a, b) => Math.max(0, a - b));
    this.counted = combine(this.counted, sum, Math.max);
    return FIELDS.some((f) => added[f] > 0) ? added : undefined;
  }
}

function combine(a: Usage, b: Usage, op: (x: number, y: number) => number): Usage {
  return { llmCalls: op(a.llmCalls, b.llmCalls), inputTokens: op(a.inputTokens, b.inputTokens), outputTokens: op(a.outputTokens, b.outputTokens) };
}
