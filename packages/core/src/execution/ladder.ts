import type { AttemptStatus, BackoffPolicy } from '../core/types.ts';

/** What happened to one attempt, as the ladder sees it. */
export interface FailedAttempt {
  agent: string;
  status: Exclude<AttemptStatus, 'succeeded'>;
  /** False when trying the same agent again cannot help. */
  retryable: boolean;
  /** Why the attempt was rejected: sent to the next attempt as feedback. */
  error: string;
  /** The agent asked not to be tried again sooner (a remote's Retry-After). */
  retryAfterMs?: number | undefined;
}

/** The state of one task's ladder: which agent is on it and how it has fared. */
export interface LadderState {
  /** Agents in the order they may be tried (planned agent, fallbacks, other capable agents). */
  candidates: readonly string[];
  /** Index into `candidates` of the agent currently assigned. */
  current: number;
  /** Failed attempts by the current agent since it was assigned. */
  failuresOfCurrent: number;
}

export type LadderDecision =
  | { action: 'retry'; agent: string; delayMs: number; feedback: string }
  | { action: 'reassign'; from: string; to: string; feedback: string; reason: string }
  | { action: 'fail'; reason: string };

/**
 * The self-healing ladder, as a pure decision: retry the same agent while it has retries left
 * and the failure is retryable; then move to the next candidate agent; then give up.
 */
export function decideAfterFailure(
  state: LadderState,
  failed: FailedAttempt,
  retriesOf: (agent: string) => number,
  backoff: BackoffPolicy,
  random: () => number = Math.random,
): LadderDecision {
  const agent = state.candidates[state.current] ?? failed.agent;
  const failures = state.failuresOfCurrent + 1;
  const feedback = describeFailure(failed);
  if (failed.retryable && failures <= retriesOf(agent)) {
    return { action: 'retry', agent, delayMs: Math.max(backoffDelay(backoff, failures, random), failed.retryAfterMs ?? 0), feedback };
  }
  const next = state.candidates[state.current + 1];
  if (next !== undefined) {
    const why = failed.retryable ? `${agent} failed ${failures} time${failures === 1 ? '' : 's'}` : `${agent} failed unrecoverably`;
    return { action: 'reassign', from: agent, to: next, feedback, reason: `${why}: ${failed.error}` };
  }
  const tried = state.candidates.length === 1 ? agent : state.candidates.join(', ');
  return { action: 'fail', reason: `no agent could complete the task (tried ${tried}); last error: ${failed.error}` };
}

/** Applies a decision to the ladder state. */
export function advance(state: LadderState, decision: LadderDecision): LadderState {
  if (decision.action === 'retry') return { ...state, failuresOfCurrent: state.failuresOfCurrent + 1 };
  if (decision.action === 'reassign') return { ...state, current: state.current + 1, failuresOfCurrent: 0 };
  return state;
}

/** Exponential backoff with jitter: the delay before retry number `retry` (1-based). */
export function backoffDelay(policy: BackoffPolicy, retry: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (retry - 1));
  const jitter = base * policy.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(base + jitter));
}

/**
 * The last feedback made, and what it was made of: a task retried thousands of times with the same
 * error (a poll that keeps failing) has each attempt's record and events hold the one text, not a
 * copy each (56 B per attempt for a short error, kept as long as its run's result is).
 */
let lastFeedback: { status: FailedAttempt['status']; error: string; text: string } | undefined;

function describeFailure(f: FailedAttempt): string {
  if (lastFeedback?.error === f.error && lastFeedback.status === f.status) return lastFeedback.text;
  const text = feedbackFor(f);
  lastFeedback = { status: f.status, error: f.error, text };
  return text;
}

function feedbackFor(f: FailedAttempt): string {
  switch (f.status) {
    case 'invalid':
      return `Your previous output was rejected: ${f.error}`;
    case 'timeout':
      return `Your previous attempt timed out: ${f.error}`;
    case 'failed':
      return `Your previous attempt failed: ${f.error}`;
  }
}
