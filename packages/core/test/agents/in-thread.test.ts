import { describe, expect, it } from 'vitest';
import { inThreadCode } from '../../src/agents/deadline.ts';
import { defineAgent } from '../../src/agents/define-agent.ts';
import type { Agent } from '../../src/core/contracts.ts';
import type { AgentInput } from '../../src/core/types.ts';
import { AttemptControl, runAttempt } from '../../src/execution/attempt.ts';

const input: AgentInput = { runId: 'r', goal: 'g', task: { id: 't', title: 't', instructions: '' }, inputs: {}, params: {}, attempt: 1 };

function blockLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

describe('agents defined in code, called directly by the attempt', () => {
  it('holds a late answer, a late error and a late synchronous throw to the deadline', async () => {
    const late = (fail: 'no' | 'reject' | 'throw'): Agent =>
      defineAgent({
        name: 'slow', description: 'd', produces: ['x'],
        run: (() => {
          blockLoop(80);
          if (fail === 'throw') throw new Error('boom');
          return fail === 'reject' ? Promise.reject(new Error('boom')) : Promise.resolve({ x: 1 });
        }) as () => Promise<{ x: number }>,
      });
    for (const fail of ['no', 'reject', 'throw'] as const) {
      const outcome = await runAttempt({ agent: late(fail), input, produces: ['x'], timeoutMs: 20, controller: new AttemptControl() });
      expect(outcome).toMatchObject({ status: 'timeout', error: expect.stringContaining('past its deadline') });
    }
  });

  it('takes a timely answer and reports a timely synchronous throw as the agent failing', async () => {
    const ok = defineAgent({ name: 'ok', description: 'd', produces: ['x'], run: () => ({ x: 1 }) });
    expect(await runAttempt({ agent: ok, input, produces: ['x'], timeoutMs: 5_000, controller: new AttemptControl() })).toEqual({ status: 'succeeded', output: { x: 1 } });
    const thrower = defineAgent({
      name: 'thrower', description: 'd', produces: ['x'],
      run: () => {
        throw new Error('boom');
      },
    });
    expect(await runAttempt({ agent: thrower, input, produces: ['x'], timeoutMs: 5_000, controller: new AttemptControl() })).toMatchObject({ status: 'failed', error: expect.stringContaining('boom') });
  });

  it('goes through run when run was replaced or the agent copied', async () => {
    const agent = defineAgent({ name: 'a', description: 'd', produces: ['x'], run: () => ({ x: 1 }) });
    expect(inThreadCode(agent)).toBeDefined();
    let calls = 0;
    const copy: Agent = { ...agent, run: async () => ({ x: ++calls }) };
    expect(inThreadCode(copy)).toBeUndefined();
    expect(await runAttempt({ agent: copy, input, produces: ['x'], timeoutMs: 5_000, controller: new AttemptControl() })).toEqual({ status: 'succeeded', output: { x: 1 } });
    agent.run = async () => ({ x: 41 + ++calls });
    expect(inThreadCode(agent)).toBeUndefined();
    expect(await runAttempt({ agent, input, produces: ['x'], timeoutMs: 5_000, controller: new AttemptControl() })).toEqual({ status: 'succeeded', output: { x: 43 } });
  });
});
