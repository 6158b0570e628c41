import type { Agent, AgentContext } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import type { AgentInput, AgentOutput, AttemptStatus, Usage } from '../core/types.ts';
import { checkOutput } from '../validation/output-validator.ts';

/** Why an attempt's signal was aborted. */
export class AttemptAbort extends Error {
  constructor(
    readonly kind: 'timeout' | 'cancelled',
    message: string,
  ) {
    super(message);
    this.name = kind === 'timeout' ? 'TimeoutError' : 'AbortError';
  }
}

export type AttemptOutcome =
  | { status: 'succeeded'; output: AgentOutput; usage?: Usage }
  | {
      status: Exclude<AttemptStatus, 'succeeded'> | 'cancelled';
      error: string;
      retryable: boolean;
      usage?: Usage;
    };

export interface AttemptOptions {
  agent: Agent;
  input: AgentInput;
  /** Artifacts the task must produce. */
  produces: readonly string[];
  timeoutMs: number;
  /** Aborting it cancels the attempt (run cancelled or timed out). */
  controller: AbortController;
  /**
   * Further checks of a valid output (e.g. LLM rubric judges); return problems, or [] to accept.
   * A check that calls a model reports its usage through `reportUsage`: it counts as the attempt's.
   */
  extraChecks?: (output: AgentOutput, signal: AbortSignal, reportUsage: (usage: Usage) => void) => Promise<string[]>;
}

function addUsage(total: Usage | undefined, u: Usage): Usage {
  if (!total) return { ...u };
  return { llmCalls: total.llmCalls + u.llmCalls, inputTokens: total.inputTokens + u.inputTokens, outputTokens: total.outputTokens + u.outputTokens };
}

/**
 * Runs one attempt of one agent: bounded by a timeout and by the caller's controller, whichever
 * fires first, and judged by the output validator. Never throws: every end is an outcome.
 */
export async function runAttempt(opts: AttemptOptions): Promise<AttemptOutcome> {
  const { agent, input, controller } = opts;
  const signal = controller.signal;
  let usage: Usage | undefined;
  const timer = setTimeout(() => {
    controller.abort(new AttemptAbort('timeout', `no result within ${opts.timeoutMs} ms`));
  }, opts.timeoutMs);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  const reportUsage = (u: Usage): void => {
    usage = addUsage(usage, u);
  };
  const ctx: AgentContext = { signal, reportUsage };
  try {
    const raw = await Promise.race([agent.run(input, ctx), aborted]);
    const check = checkOutput(agent.spec, opts.produces, raw);
    if (!check.ok) return invalid(check.problems, usage);
    if (opts.extraChecks) {
      const problems = await Promise.race([opts.extraChecks(check.output, signal, reportUsage), aborted]);
      if (problems.length > 0) return invalid(problems, usage);
    }
    return usage ? { status: 'succeeded', output: check.output, usage } : { status: 'succeeded', output: check.output };
  } catch (e) {
    return failure(e, signal, usage);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

function invalid(problems: string[], usage: Usage | undefined): AttemptOutcome {
  const outcome: AttemptOutcome = { status: 'invalid', error: problems.join('; '), retryable: true };
  if (usage) outcome.usage = usage;
  return outcome;
}

function failure(e: unknown, signal: AbortSignal, usage: Usage | undefined): AttemptOutcome {
  let outcome: AttemptOutcome;
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  if (reason instanceof AttemptAbort) {
    outcome = { status: reason.kind === 'timeout' ? 'timeout' : 'cancelled', error: reason.message, retryable: true };
  } else if (BatonError.isInstance(e) && e.code === 'OUTPUT_INVALID') {
    outcome = { status: 'invalid', error: e.message, retryable: e.retryable };
  } else {
    const retryable = BatonError.isInstance(e) ? e.retryable : true;
    outcome = { status: 'failed', error: errorMessage(e), retryable };
  }
  if (usage) outcome.usage = usage;
  return outcome;
}
