import { describe, expect, it } from 'vitest';
import { advance, backoffDelay, decideAfterFailure } from '../../src/execution/ladder.ts';
import type { LadderState } from '../../src/execution/ladder.ts';

const backoff = { initialDelayMs: 100, factor: 2, maxDelayMs: 1000, jitter: 0 };
const retries = (n: number) => () => n;

describe('the self-healing ladder', () => {
  it('retries the same agent with feedback, then reassigns, then fails', () => {
    let state: LadderState = { candidates: ['data', 'replica'], current: 0, failuresOfCurrent: 0 };
    const fail = (agent: string) => ({ agent, status: 'invalid' as const, retryable: true, error: "artifact 'rows': /0/price is required" });

    const d1 = decideAfterFailure(state, fail('data'), retries(1), backoff);
    expect(d1).toMatchObject({ action: 'retry', agent: 'data', delayMs: 100 });
    expect(d1.action === 'retry' && d1.feedback).toContain('/0/price is required');
    state = advance(state, d1);

    const d2 = decideAfterFailure(state, fail('data'), retries(1), backoff);
    expect(d2).toMatchObject({ action: 'reassign', from: 'data', to: 'replica' });
    state = advance(state, d2);
    expect(state).toEqual({ candidates: ['data', 'replica'], current: 1, failuresOfCurrent: 0 });

    state = advance(state, decideAfterFailure(state, fail('replica'), retries(1), backoff));
    const last = decideAfterFailure(state, fail('replica'), retries(1), backoff);
    expect(last.action).toBe('fail');
    expect(last.action === 'fail' && last.reason).toMatch(/tried data, replica/);
  });

  it('gives each retry the feedback of the failure before it, the same failure again or another', () => {
    const state: LadderState = { candidates: ['poll'], current: 0, failuresOfCurrent: 0 };
    const feedbackAfter = (status: 'failed' | 'invalid' | 'timeout', error: string): string | false => {
      const d = decideAfterFailure(state, { agent: 'poll', status, retryable: true, error }, retries(100), backoff);
      return d.action === 'retry' && d.feedback;
    };
    expect(feedbackAfter('failed', 'not yet')).toBe('Your previous attempt failed: not yet');
    expect(feedbackAfter('failed', 'not yet')).toBe('Your previous attempt failed: not yet');
    expect(feedbackAfter('failed', 'still not')).toBe('Your previous attempt failed: still not');
    expect(feedbackAfter('timeout', 'still not')).toBe('Your previous attempt timed out: still not');
    expect(feedbackAfter('invalid', 'still not')).toBe('Your previous output was rejected: still not');
    expect(feedbackAfter('failed', 'not yet')).toBe('Your previous attempt failed: not yet');
  });

  it('does not burn retries on an unrecoverable failure', () => {
    const state: LadderState = { candidates: ['data'], current: 0, failuresOfCurrent: 0 };
    const d = decideAfterFailure(state, { agent: 'data', status: 'failed', retryable: false, error: 'no data for Q3 2031' }, retries(5), backoff);
    expect(d.action).toBe('fail');
  });

  it("waits at least what the agent asked (retryAfterMs) before retrying it, the backoff's cap notwithstanding", () => {
    const state: LadderState = { candidates: ['remote'], current: 0, failuresOfCurrent: 0 };
    const busy = (retryAfterMs: number | undefined) => ({ agent: 'remote', status: 'failed' as const, retryable: true, error: '503 Service Unavailable', retryAfterMs });
    expect(decideAfterFailure(state, busy(30_000), retries(2), backoff)).toMatchObject({ action: 'retry', delayMs: 30_000 });
    expect(decideAfterFailure(state, busy(10), retries(2), backoff)).toMatchObject({ action: 'retry', delayMs: 100 });
    expect(decideAfterFailure(state, busy(undefined), retries(2), backoff)).toMatchObject({ action: 'retry', delayMs: 100 });
  });

  it('grows the backoff exponentially up to its cap, with bounded jitter', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(backoff, n))).toEqual([100, 200, 400, 800, 1000]);
    const jittered = { ...backoff, jitter: 0.5 };
    expect(backoffDelay(jittered, 1, () => 0)).toBe(50);
    expect(backoffDelay(jittered, 1, () => 1)).toBe(150);
  });
});
