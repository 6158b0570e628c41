import type { Agent } from '../core/contracts.ts';
import { inThreadCode, lateAnswer } from '../agents/deadline.ts';
import { DEFAULT_MAX_OUTPUT_BYTES, MAX_ERROR_CHARS } from '../core/defaults.ts';
import { BatonError, boundedText, errorMessage, MAX_RETRY_AFTER_MS } from '../core/errors.ts';
import { addUsage, checkedUsage } from '../core/usage-check.ts';
import type { AgentInput, AgentOutput, AttemptStatus, Usage } from '../core/types.ts';
import { checkOutput } from '../validation/output-validator.ts';
import { AttemptContext } from './attempt-context.ts';
import { attemptDeadlines } from './deadlines.ts';
import type { DeadlineOwner } from './deadlines.ts';

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

/** Told when an {@link AttemptControl} is aborted: an object with a method, so no closure per attempt. */
export interface AbortWatcher {
  aborted(reason: Error): void;
}

/**
 * Cancels one attempt. The AbortController behind `signal` is made only when an agent reads
 * `ctx.signal`: most in-process agents never do, and a controller per attempt is a measurable
 * share of the scheduler's cost. The attempt that enforces timeouts does not need it.
 */
export class AttemptControl {
  reason: Error | undefined;
  private controller: AbortController | undefined;
  /** The attempt this control stops (told at once, so it ends without waiting for its agent). */
  private watcher: AbortWatcher | undefined;

  /** Set once the attempt has ended: its signal is aborted with it, so no work of it goes on. */
  private over: Error | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      const reason = this.reason ?? this.over;
      if (reason) this.controller.abort(reason);
    }
    return this.controller.signal;
  }

  abort(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
    this.watcher?.aborted(reason);
  }

  /**
   * The attempt has ended (its outcome is taken): work its agent left going is told to stop through
   * the signal, which only an agent that read it has. Not an abort of the attempt: its outcome stands.
   */
  ended(): void {
    if (this.over || this.reason) return;
    this.over = ATTEMPT_ENDED;
    this.controller?.abort(ATTEMPT_ENDED);
  }

  /** Tells `watcher` of the abort (at once if it happened already). One watcher: the attempt's. */
  whenAborted(watcher: AbortWatcher): void {
    if (this.reason) watcher.aborted(this.reason);
    else this.watcher = watcher;
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

/** The reason of the signal of an attempt that has ended: one object, since nothing reads it but `aborted`. */
const ATTEMPT_ENDED = new AttemptAbort('cancelled', 'the attempt has ended: its outcome was taken, and work still going for it is not wanted');

export type AttemptOutcome =
  | { status: 'succeeded'; output: AgentOutput; usage?: Usage }
  | {
      status: Exclude<AttemptStatus, 'succeeded'> | 'cancelled';
      error: string;
      retryable: boolean;
      usage?: Usage;
      /** The agent asked not to be tried again sooner (BatonError `retryAfterMs`). */
      retryAfterMs?: number;
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

/**
 * Runs one attempt of one agent: bounded by a timeout and by the caller's controller, whichever
 * fires first, and judged by the output validator. Never throws: every end is an outcome.
 *
 * The timeout is a verdict, not just a timer: when the timer fires, an agent that registered an
 * answer check (its work runs elsewhere: a process, a thread) is asked whether its answer was
 * complete by the deadline, after the I/O that arrived while this event loop was busy has been
 * read. Only then is the attempt declared a timeout. An agent without a check times out at once.
 */
export function runAttempt(opts: AttemptOptions): Promise<AttemptOutcome> {
  return new Promise((resolve) => startAttempt(opts, { attemptEnded: resolve }));
}

/**
 * Told once, with its outcome, when an attempt ends (never synchronously within
 * {@link startAttempt}). An object with a method: the scheduler's record of the attempt is the
 * listener itself, not a closure made per attempt.
 */
export interface AttemptListener {
  attemptEnded(outcome: AttemptOutcome): void;
}

/**
 * {@link runAttempt} without a promise of its own: `listener` is told the outcome. The scheduler's
 * hot path: an attempt is one object and one reaction to its agent's answer, not a chain of async
 * functions.
 */
export function startAttempt(opts: AttemptOptions, listener: AttemptListener): void {
  const control = opts.controller instanceof AttemptControl ? opts.controller : AttemptControl.following(opts.controller);
  startAttemptWith(opts.agent, opts.input, opts.produces, opts.timeoutMs, opts.maxOutputBytes, opts.extraChecks, opts.onUsage, control, listener);
}

/**
 * {@link startAttempt} with its options as arguments, for the scheduler: an options object per
 * attempt was ~90 bytes, read once.
 */
export function startAttemptWith(
  agent: Agent,
  input: AgentInput,
  produces: readonly string[],
  timeoutMs: number,
  maxOutputBytes: number | undefined,
  extraChecks: AttemptOptions['extraChecks'],
  onUsage: AttemptOptions['onUsage'],
  control: AttemptControl,
  listener: AttemptListener,
  run?: Agent['run'],
): void {
  new Attempt(agent, produces, timeoutMs, maxOutputBytes, extraChecks, onUsage, control, listener).start(input, run);
}

/**
 * One attempt in flight: its deadline, its agent's answer and the checks of that answer. It keeps
 * what it needs of its options, not the options object: with many attempts in flight, what each
 * one holds is copied by every minor GC.
 */
class Attempt implements DeadlineOwner, AbortWatcher {
  private usage: Usage | undefined;
  private finished = false;
  /** True once the output is with the extra checks (judges): a timeout from then on is theirs. */
  private checking = false;
  private running: Promise<unknown> | undefined;
  /** Whether the agent's work settled: watched only once the agent registers an answer check. */
  private work: { settled: boolean } | undefined;
  private answerCheck: (() => Promise<boolean>) | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  /** Set when the time is up and the agent's answer check runs: whether its answer was complete in time. */
  private verdict: Promise<boolean> | undefined;
  private readonly agent: Agent;
  private readonly produces: readonly string[];
  private readonly timeoutMs: number;
  private readonly extraChecks: AttemptOptions['extraChecks'];
  private readonly onUsage: AttemptOptions['onUsage'];
  /** The attempt's slot in {@link attemptDeadlines}. */
  private readonly deadline: number;
  private readonly ctx: AttemptContext;
  private readonly inThread: ReturnType<typeof inThreadCode>;
  private readonly maxOutputBytes: number;
  /** The `run` this attempt called: an answer Baton parsed for that very function needs no copy. */
  private called: Agent['run'] | undefined;

  constructor(
    agent: Agent,
    produces: readonly string[],
    timeoutMs: number,
    maxOutputBytes: number | undefined,
    extraChecks: AttemptOptions['extraChecks'],
    onUsage: AttemptOptions['onUsage'],
    private readonly control: AttemptControl,
    private readonly listener: AttemptListener,
  ) {
    this.agent = agent;
    this.produces = produces;
    this.timeoutMs = timeoutMs;
    this.extraChecks = extraChecks;
    this.onUsage = onUsage;
    // What the agent is told, in Date.now() milliseconds; the deadline itself runs on the monotonic clock.
    const at = Date.now() + timeoutMs;
    this.deadline = attemptDeadlines.add(timeoutMs, this);
    this.maxOutputBytes = maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.ctx = new AttemptContext(control, this.reportUsage, at, this.maxOutputBytes, this.setAnswerCheck);
    // An agent defined in code is called directly, and its answer held to the deadline here, as its `run` would.
    this.inThread = inThreadCode(agent);
  }

  /** Calls the agent; `run`, when given, is its `run` as the caller read it (it made the input for that function). */
  start(input: AgentInput, run?: Agent['run']): void {
    const { agent } = this;
    let running: Promise<unknown>;
    try {
      let answer: unknown;
      if (this.inThread) answer = this.inThread(input, this.ctx);
      else {
        // Read once: a getter may give another function each time.
        const called = run ?? agent.run;
        this.called = called;
        answer = called.call(agent, input, this.ctx);
      }
      // Inside the try: `instanceof` runs a proxy's getPrototypeOf trap, which may throw.
      running = answer instanceof Promise ? answer : Promise.resolve(answer);
    } catch (e) {
      running = Promise.reject(e as Error);
    }
    this.running = running;
    if (this.answerCheck) this.work = watch(running);
    this.control.whenAborted(this);
    running.then(this.onAnswer, this.onError);
  }

  /**
   * Counted while the attempt runs; a report after its end is not (its usage is journaled with its
   * outcome). A report that is not three counts is refused to the agent that made it.
   */
  private readonly reportUsage = (reported: Usage): void => {
    const u = checkedUsage(reported);
    if (this.finished) return;
    this.usage = addUsage(this.usage, u);
    this.onUsage?.(u);
  };

  private readonly setAnswerCheck = (check: () => Promise<boolean>): void => {
    if (!this.answerCheck && this.running) this.work = watch(this.running);
    this.answerCheck = check;
  };

  /** The attempt's deadline passed. */
  timeUp(): void {
    if (this.finished) return;
    if (!this.answerCheck || this.work?.settled) return this.timeOut();
    // The check is bounded too: an agent that cannot say in time is out of time.
    this.graceTimer = setTimeout(() => this.timeOut(), ANSWER_GRACE_MS);
    let verdict: Promise<boolean>;
    try {
      verdict = this.answerCheck().catch(() => false);
    } catch {
      verdict = Promise.resolve(false);
    }
    this.verdict = verdict;
    void verdict.then((inTime) => !inTime && this.timeOut());
  }

  /**
   * The attempt's control was aborted. Ends the attempt now (an answer coming later is not taken),
   * but tells its owner in a microtask, as a rejected promise would: an abort is made inside the
   * owner's own bookkeeping (a run stopping).
   */
  aborted(): void {
    if (this.finished) return;
    const { reason } = this.control;
    const outcome = failure((this.inThread && lateAnswer(this.ctx)) || reason, reason, this.usage);
    // Timed out while the extra checks judged the output: the agent had answered in time.
    if (this.checking && outcome.status === 'timeout') outcome.error += ": the agent had answered, and its output's quality checks (judges) gave no verdict in time";
    this.finish(outcome, true);
  }

  // Neither reaction may throw: the promise `then` returns is dropped, so a throw would be an
  // unhandled rejection, which ends the process.
  private readonly onAnswer = (raw: unknown): void => {
    try {
      this.answered(raw);
    } catch (e) {
      this.crashed(e);
    }
  };

  private answered(raw: unknown): void {
    if (this.finished) return;
    const late = this.inThread && lateAnswer(this.ctx);
    if (late) return this.finish(failure(late, this.control.reason, this.usage));
    if (this.verdict) return this.judgeAfterVerdict(this.verdict, raw);
    this.judge(raw);
  }

  /** Something threw while an answer was taken: the attempt fails with it, if it has not ended. */
  private crashed(e: unknown): void {
    if (!this.finished) this.finish(failure(e, this.control.reason, this.usage));
  }

  // The closures of the paths few attempts take are made in methods of their own: a function that
  // makes a closure over its variables allocates their context on every call, taken or not.

  /** An answer read while the verdict is being made counts only if the verdict says it was in time. */
  private judgeAfterVerdict(verdict: Promise<boolean>, raw: unknown): void {
    verdict.then((inTime) => {
      if (this.finished) return;
      if (inTime) return this.judge(raw);
      this.timeOut();
    }, this.onError);
  }

  private readonly onError = (e: unknown): void => {
    try {
      if (this.finished) return;
      this.finish(failure((this.inThread && lateAnswer(this.ctx)) || e, this.control.reason, this.usage));
    } catch (thrown) {
      this.crashed(thrown);
    }
  };

  /** Checks the answer, then the extra checks; ends the attempt with what they say. */
  private judge(raw: unknown): void {
    const { usage, extraChecks } = this;
    let check: ReturnType<typeof checkOutput>;
    try {
      check = checkOutput(this.agent.spec, this.produces, raw, this.maxOutputBytes === DEFAULT_MAX_OUTPUT_BYTES ? DEFAULT_CHECK : { maxOutputBytes: this.maxOutputBytes }, this.called);
    } catch (e) {
      return this.finish(failure(e, this.control.reason, usage));
    }
    if (!check.ok) return this.finish(invalid(check.problems, usage));
    const output = check.output;
    if (!extraChecks) return this.finish(usage ? { status: 'succeeded', output, usage } : { status: 'succeeded', output });
    this.checkFurther(extraChecks, output);
  }

  private checkFurther(extraChecks: NonNullable<AttemptOptions['extraChecks']>, output: AgentOutput): void {
    this.checking = true;
    let problems: Promise<string[]>;
    try {
      problems = Promise.resolve(extraChecks(output, this.control.signal, this.reportUsage));
    } catch (e) {
      return this.finish(failure(e, this.control.reason, this.usage));
    }
    problems.then((found) => {
      if (this.finished) return;
      // Anything but a list of problems is the check's failure, not the agent's success.
      if (!Array.isArray(found)) return this.onError(new Error(`an output check returned ${typeof found}, not a list of problems`));
      if (found.length > 0) return this.finish(invalid(found as string[], this.usage));
      const { usage: now } = this;
      this.finish(now ? { status: 'succeeded', output, usage: now } : { status: 'succeeded', output });
    }, this.onError);
  }

  private timeOut(): void {
    timeOut(this.control, this.timeoutMs);
  }

  private finish(outcome: AttemptOutcome, later = false): void {
    if (this.finished) return;
    this.finished = true;
    attemptDeadlines.cancel(this.deadline, this);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.control.ended();
    if (later) this.tellInAMicrotask(outcome);
    else this.listener.attemptEnded(outcome);
  }

  private tellInAMicrotask(outcome: AttemptOutcome): void {
    queueMicrotask(() => this.listener.attemptEnded(outcome));
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
  const outcome: AttemptOutcome = { status: 'invalid', error: boundedText(problems.join('; '), MAX_ERROR_CHARS), retryable: true };
  if (usage) outcome.usage = usage;
  return outcome;
}

/** The outcome of an attempt that ended with `e` thrown (or rejected). Never throws. */
function failure(e: unknown, reason: Error | undefined, usage: Usage | undefined): AttemptOutcome {
  let outcome: AttemptOutcome;
  if (reason instanceof AttemptAbort) {
    outcome = { status: reason.kind === 'timeout' ? 'timeout' : 'cancelled', error: reason.message, retryable: true };
  } else if (BatonError.isInstance(e)) {
    outcome = batonFailure(e);
  } else {
    outcome = { status: 'failed', error: boundedText(errorMessage(e, 'agent'), MAX_ERROR_CHARS), retryable: true };
  }
  if (usage) outcome.usage = usage;
  return outcome;
}

/** A BatonError's outcome; one made by an agent may still have getters that throw. */
function batonFailure(e: BatonError): AttemptOutcome {
  const error = boundedText(errorMessage(e, 'agent'), MAX_ERROR_CHARS);
  let code: unknown;
  let retryable = true;
  let retryAfterMs: unknown;
  try {
    code = e.code;
    retryable = e.retryable !== false;
    retryAfterMs = e.retryAfterMs;
  } catch {
    // Read as a plain failure below.
  }
  if (code === 'AGENT_TIMEOUT') return { status: 'timeout', error, retryable };
  if (code === 'OUTPUT_INVALID') return { status: 'invalid', error, retryable };
  if (typeof retryAfterMs === 'number' && retryAfterMs > 0) {
    // Longer than a retry waits (or no number at all): a fallback gets the task instead.
    if (!(retryAfterMs <= MAX_RETRY_AFTER_MS)) return { status: 'failed', error, retryable: false };
    return { status: 'failed', error, retryable, retryAfterMs };
  }
  return { status: 'failed', error, retryable };
}
