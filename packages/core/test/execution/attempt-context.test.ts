import { describe, expect, it } from 'vitest';
import type { AgentContext } from '../../src/core/contracts.ts';
import type { AgentInput } from '../../src/core/types.ts';
import { defineAgent } from '../../src/agents/define-agent.ts';
import { AttemptControl, runAttempt } from '../../src/execution/attempt.ts';

const input: AgentInput = { runId: 'r', goal: 'g', task: { id: 't', title: 't', instructions: '' }, inputs: {}, params: {}, attempt: 1 };

async function contextsOfTwoAttempts(): Promise<AgentContext[]> {
  const seen: AgentContext[] = [];
  const agent = defineAgent({ name: 'a', description: 'a', produces: ['x'], run: (_i, ctx) => (seen.push(ctx), { x: 1 }) });
  for (let i = 0; i < 2; i++) await runAttempt({ agent, input, produces: ['x'], timeoutMs: 1000, controller: new AttemptControl() });
  return seen;
}

describe('the context an attempt gives its agent', () => {
  // V8 keeps accessor pairs in its old generation: a getter closure made per attempt (an object
  // literal with `get signal()`) would keep the whole attempt alive through every minor GC.
  it('reads signal through one getter shared by every attempt, not a closure per attempt', async () => {
    const [a, b] = await contextsOfTwoAttempts();
    const getter = (ctx: AgentContext): unknown => Object.getOwnPropertyDescriptor(ctx, 'signal')?.get;
    expect(getter(a!)).toBeTypeOf('function');
    expect(getter(a!)).toBe(getter(b!));
  });

  it('keeps signal an own, enumerable property that a spread copies, tied to its attempt', async () => {
    const [a, b] = await contextsOfTwoAttempts();
    expect(Object.keys(a!).sort()).toEqual(['deadline', 'maxOutputBytes', 'reportUsage', 'setAnswerCheck', 'signal']);
    const copy = { ...a! };
    expect(copy.signal).toBeInstanceOf(AbortSignal);
    expect(copy.signal).toBe(a!.signal);
    expect(a!.signal).not.toBe(b!.signal);
  });

  it('aborts its signal when the attempt is cancelled', async () => {
    const controller = new AttemptControl();
    let ctx: AgentContext | undefined;
    const agent = defineAgent({ name: 'a', description: 'a', produces: ['x'], run: (_i, c) => ((ctx = c), new Promise(() => undefined)) });
    const running = runAttempt({ agent, input, produces: ['x'], timeoutMs: 5000, controller });
    await new Promise((r) => setImmediate(r));
    controller.abort(new Error('stop'));
    expect((await running).status).toBe('failed');
    expect(ctx!.signal.aborted).toBe(true);
  });
});

describe('an attempt whose agent ignores its signal', () => {
  const never = defineAgent({ name: 'a', description: 'a', produces: ['x'], run: () => new Promise(() => undefined) });

  it('ends at its timeout with the reason', async () => {
    const outcome = await runAttempt({ agent: never, input, produces: ['x'], timeoutMs: 30, controller: new AttemptControl() });
    expect(outcome).toMatchObject({ status: 'timeout', error: 'no result within 30 ms' });
  });

  it('ends at once when aborted before it started', async () => {
    const controller = new AttemptControl();
    controller.abort(new Error('gone'));
    const outcome = await runAttempt({ agent: never, input, produces: ['x'], timeoutMs: 60_000, controller });
    expect(outcome).toMatchObject({ status: 'failed', error: 'gone' });
  });

  it('takes a plain value from an agent that does not return a promise', async () => {
    const plain = { spec: never.spec, run: (() => ({ x: 1 })) as unknown as typeof never.run };
    const outcome = await runAttempt({ agent: plain, input, produces: ['x'], timeoutMs: 1000, controller: new AttemptControl() });
    expect(outcome).toEqual({ status: 'succeeded', output: { x: 1 } });
  });
});

describe('an attempt whose output checks (judges) outlast its time', () => {
  it('times out saying the agent had answered and the checks gave no verdict in time', async () => {
    const agent = defineAgent({ name: 'a', description: 'a', produces: ['x'], run: () => ({ x: 1 }) });
    const judging = (_output: unknown, signal: AbortSignal): Promise<string[]> => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
    const outcome = await runAttempt({ agent, input, produces: ['x'], timeoutMs: 50, controller: new AttemptControl(), extraChecks: judging });
    expect(outcome).toEqual({ status: 'timeout', error: 'no result within 50 ms: the agent had answered, and its output\'s quality checks (judges) gave no verdict in time', retryable: true });
  });
});
