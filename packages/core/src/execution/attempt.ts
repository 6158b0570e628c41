import type { Agent, AgentContext } from '../core/contracts.ts';
import { inThreadCode, lateAnswer } from '../agents/deadline.ts';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../core/defaults.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import type { AgentInput, AgentOutput, AttemptStatus, Usage } from '../core/types.ts';
import { checkOutput } from '../validation/output-validator.ts';
import { AttemptContext } from './attempt-context.ts';
import { attemptDeadlines } from './deadlines.ts';

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

/**
 * Cancels one attempt. The AbortController behind `signal` is made only when an agent reads
 * `ctx.signal`: most in-process agents never do, and a controller per attempt is a measurable
 * share of the scheduler's cost. The race that enforces timeouts does not need it.
 */
export class AttemptControl {
  reason: Error | undefined;
  private controller: AbortController | undefined;
  private rejectRace: ((e: Error) => void) | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
    this.rejectRace?.(reason);
  }

  /**
   * `work`, or a rejection with the abort reason as soon as the attempt is aborted, whichever
   * comes first. One promise per call: `Promise.race` with a standing "aborted" promise cost three.
   */
  race<T>(work: T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.reason) reject(this.reason);
      else this.rejectRace = reject;
      Promise.resolve(work).then(resolve, reject);
    });
  }

  /** Follows an external AbortController (tests, embedders). */
  static following(controller: AbortController): AttemptControl {
    const control = new AttemptControl();
    const { signal } = controller;
    if (signal.aborted) control.abort(signal.reason as Error);
    else signal.addEventListener('abort', () => control.abort(signal.reason as Error), { once: true });
    return control;
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
  /** Largest output accepted, in bytes of JSON (`policy.maxOutputBytes`; default {@link DEFAULT_MAX_OUTPUT_BYTES}, 16 MiB). */
  maxOutputBytes?: number | undefined;
  /** Aborting it cancels the attempt (run cancelled or timed out). */
  controller: AttemptControl | AbortController;
  /**
   * Further checks of a valid output (e.g. LLM rubric judges); return problems, or [] to accept.
   * A check that calls a model reports its usage through `reportUsage`: it counts as the attempt's.
   */
  extraChecks?: ((output: AgentOutput, signal: AbortSignal, reportUsage: (usage: Usage) => void) => Promise<string[]>) | undefined;
  /** Told of every usage report as it happens, so budgets are enforced mid-attempt. */
  onUsage?: ((usage: Usage) => void) | undefined;
}

/**
 * After an agent said at the deadline that its answer is complete (its process exited), how long
 * the attempt waits for that answer before declaring a timeout after all.
 */
const ANSWER_GRACE_MS = 5_000;

function addUsage(total: Usage | undefined, u: Usage): Usage {
  if (!total) return { ...u };
  return { llmCalls: total.llmCalls + u.llmCalls, inputTokens: total.inputTokens + u.inputTokens, outputTokens: total.outputTokens + u.outputTokens };
}

/**
 * Runs one attempt of one agent: bounded by a timeout and by the caller's controller, whichever
 * fires first, and judged by the output validator. Never throws: every end is an outcome.
 *
 * The timeout is a verdict, not just a timer: when the timer fires, an agent that registered an
 * answer check (its work runs elsewhere: a process, a thread) is asked whether its answer was
 * complete by the deadline, after the I/O that arrived while this event loop was busy has been
 * read. Only then is the attempt declared a timeout. An agent without a check times out at once.
 */
export async function runAttempt(opts: AttemptOptions): Promise<AttemptOutcome> {
  const { agent, input } = opts;
  const control = opts.controller instanceof AttemptControl ? opts.controller : AttemptControl.following(opts.controller);
  let usage: Usage | undefined;
  let finished = false;
  let running: Promise<unknown> | undefined;
  /** Whether the agent's work settled: watched only once the agent registers an answer check. */
  let work: { settled: boolean } | undefined;
  let answerCheck: (() => Promise<boolean>) | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  /** Set when the time is up and the agent's answer check runs: whether its answer was complete in time. */
  let verdict: Promise<boolean> | undefined;
  const onTimeUp = (): void => {
    if (finished) return;
    if (!answerCheck || work?.settled) return timeOut(control, opts.timeoutMs);
    // The check is bounded too: an agent that cannot say in time is out of time.
    const timeUp = (): void => timeOut(control, opts.timeoutMs);
    graceTimer = setTimeout(timeUp, ANSWER_GRACE_MS);
    try {
      verdict = answerCheck().catch(() => false);
    } catch {
      verdict = Promise.resolve(false);
    }
    void verdict.then((inTime) => !inTime && timeUp());
  };
  const deadline = attemptDeadlines.add(opts.timeoutMs, onTimeUp);
  const reportUsage = (u: Usage): void => {
    usage = addUsage(usage, u);
    opts.onUsage?.(u);
  };
  const maxOutputBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const ctx: AgentContext = new AttemptContext(control, reportUsage, deadline.at, maxOutputBytes, (check) => {
    if (!answerCheck && running) work = watch(running);
    answerCheck = check;
  });
  // An agent defined in code is called directly, and its answer held to the deadline here, as its `run` would.
  const inThread = inThreadCode(agent);
  try {
    running = Promise.resolve(inThread ? callInThread(inThread, input, ctx) : agent.run(input, ctx));
    if (answerCheck) work = watch(running);
    let raw: unknown;
    try {
      raw = await control.race(running);
    } catch (e) {
      throw (inThread && lateAnswer(ctx)) || e;
    }
    const late = inThread && lateAnswer(ctx);
    if (late) throw late;
    // An answer read while the verdict is being made counts only if the verdict says it was in time.
    if (verdict && !(await control.race(verdict))) {
      timeOut(control, opts.timeoutMs);
      return failure(undefined, control.reason, usage);
    }
    const check = checkOutput(agent.spec, opts.produces, raw, maxOutputBytes === DEFAULT_MAX_OUTPUT_BYTES ? DEFAULT_CHECK : { maxOutputBytes });
    if (!check.ok) return invalid(check.problems, usage);
    if (opts.extraChecks) {
      const problems = await control.race(opts.extraChecks(check.output, control.signal, reportUsage));
      if (problems.length > 0) return invalid(problems, usage);
    }
    return usage ? { status: 'succeeded', output: check.output, usage } : { status: 'succeeded', output: check.output };
  } catch (e) {
    return failure(e, control.reason, usage);
  } finally {
    finished = true;
    attemptDeadlines.cancel(deadline);
    if (graceTimer) clearTimeout(graceTimer);
  }
}

/** The code's answer; a synchronous throw becomes a rejection, as from the `async` wrapper it replaces. */
function callInThread(code: NonNullable<ReturnType<typeof inThreadCode>>, input: AgentInput, ctx: AgentContext): Promise<AgentOutput> | AgentOutput {
  try {
    return code(input, ctx);
  } catch (e) {
    return Promise.reject(e as Error);
  }
}

const DEFAULT_CHECK = { maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES };

/** Tells when `running` settles (made only for an agent that registered an answer check). */
function watch(running: Promise<unknown>): { settled: boolean } {
  const work = { settled: false };
  const settled = (): void => void (work.settled = true);
  void running.then(settled, settled);
  return work;
}

function timeOut(control: AttemptControl, timeoutMs: number): void {
  control.abort(new AttemptAbort('timeout', `no result within ${timeoutMs} ms`));
}

function invalid(problems: string[], usage: Usage | undefined): AttemptOutcome {
  const outcome: AttemptOutcome = { status: 'invalid', error: problems.join('; '), retryable: true };
  if (usage) outcome.usage = usage;
  return outcome;
}

function failure(e: unknown, reason: Error | undefined, usage: Usage | undefined): AttemptOutcome {
  let outcome: AttemptOutcome;
  if (reason instanceof AttemptAbort) {
    outcome = { status: reason.kind === 'timeout' ? 'timeout' : 'cancelled', error: reason.message, retryable: true };
  } else if (BatonError.isInstance(e) && e.code === 'AGENT_TIMEOUT') {
    outcome = { status: 'timeout', error: e.message, retryable: e.retryable };
  } else if (BatonError.isInstance(e) && e.code === 'OUTPUT_INVALID') {
    outcome = { status: 'invalid', error: e.message, retryable: e.retryable };
  } else {
    const retryable = BatonError.isInstance(e) ? e.retryable : true;
    outcome = { status: 'failed', error: errorMessage(e, 'agent'), retryable };
  }
  if (usage) outcome.usage = usage;
  return outcome;
}
