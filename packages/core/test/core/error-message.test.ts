import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/define-agent.ts';
import { errorMessage } from '../../src/core/errors.ts';
import type { AgentInput } from '../../src/core/types.ts';
import { runAttempt } from '../../src/execution/attempt.ts';

const input: AgentInput = { runId: 'r_test', goal: 'g', task: { id: 't1', title: 't', instructions: '' }, inputs: {}, attempt: 1 };

async function errorOfThrowing(value: unknown): Promise<string> {
  const agent = defineAgent({
    name: 'thrower',
    description: 'throws what it is told',
    produces: ['x'],
    run: () => {
      throw value;
    },
  });
  const outcome = await runAttempt({ agent, input, produces: ['x'], timeoutMs: 5_000, controller: new AbortController() });
  if (outcome.status === 'succeeded') throw new Error('the attempt succeeded');
  expect(outcome.status).toBe('failed');
  return outcome.error;
}

describe('messages of thrown values', () => {
  it('say what an agent threw when it is not an Error', async () => {
    expect(await errorOfThrowing(undefined)).toBe('agent threw undefined');
    expect(await errorOfThrowing(null)).toBe('agent threw null');
    expect(await errorOfThrowing(Symbol('x'))).toBe('agent threw Symbol(x)');
    expect(await errorOfThrowing(42)).toBe('agent threw a non-Error value: 42');
    expect(await errorOfThrowing({ a: 1 })).toBe('agent threw a non-Error value: {"a":1}');
    expect(await errorOfThrowing(10n)).toBe('agent threw a non-Error value: 10n');
    expect(await errorOfThrowing('')).toBe('agent threw an empty string');
  });

  it('keep the message of an Error and of a thrown string', async () => {
    expect(await errorOfThrowing(new Error('disk full'))).toBe('disk full');
    expect(await errorOfThrowing('plain text')).toBe('plain text');
    expect(await errorOfThrowing(new TypeError(''))).toBe('TypeError (without a message)');
  });

  it('describe values JSON cannot hold, and never throw', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(errorMessage(cyclic)).toMatch(/^threw a non-Error value: <ref \*1> \{ self: \[Circular \*1\] \}$/);
    expect(errorMessage(Object.create(null))).toBe('threw a non-Error value: {}');
    expect(errorMessage(() => 1)).toMatch(/^threw a non-Error value: \[Function/);
    expect(errorMessage('x'.repeat(5_000)).length).toBe(5_000);
    expect(errorMessage({ big: 'y'.repeat(5_000) }).length).toBeLessThan(700);
  });
});
