/**
 * An agent that sends its input elsewhere as it is called (a module agent's worker thread, a
 * command agent's process) is given the run's artifacts as they are; every other agent, including
 * one made by spreading such an agent, is given its own copies.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCommandAgent } from '../../src/agents/command-agent.ts';
import { defineAgent } from '../../src/agents/define-agent.ts';
import { createModuleAgent } from '../../src/agents/module-agent.ts';
import { markSendsInput, sendsInput } from '../../src/agents/sends-input.ts';
import type { Agent, AgentContext } from '../../src/core/contracts.ts';
import type { AgentInput, AgentSpec } from '../../src/core/types.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';

describe('agents that send their input elsewhere', () => {
  it('are module agents in a worker thread and command agents, not agents whose run wraps theirs', async () => {
    const spec = (kind: 'module' | 'command', isolation?: 'none'): AgentSpec => ({
      name: kind, description: 'd', version: '1.0.0', capabilities: [], consumes: [], produces: ['x'], kind, output: {}, fallback: [],
      module: path.resolve(import.meta.dirname, '../fixtures/agents/modules/tricky.ts'), command: ['node', '-e', ''], ...(isolation ? { isolation } : {}),
    });
    const thread = createModuleAgent(spec('module'));
    const inThisThread = createModuleAgent(spec('module', 'none'));
    try {
      expect(sendsInput(thread.run)).toBe(true);
      expect(sendsInput(createCommandAgent(spec('command')).run)).toBe(true);
      expect(sendsInput(inThisThread.run)).toBe(false);
      // What is marked is its run: a wrapper calling it gets a copy, as it may change its input first.
      expect(sendsInput({ ...thread }.run)).toBe(true);
      expect(sendsInput((Object.create(thread) as Agent).run)).toBe(true);
      const wrapper: Agent = { ...thread, run: (input, ctx) => thread.run(input, ctx) };
      expect(sendsInput(wrapper.run)).toBe(false);
    } finally {
      await Promise.all([thread.close?.(), inThisThread.close?.()]);
    }
  });

  it('are given the artifacts as they are; the others each their own copy, a replaced run too', async () => {
    const seen: Record<string, unknown> = {};
    const reader = (name: string, marked: boolean): Agent => {
      const agent = defineAgent({
        name, description: `reads the table (${name})`, consumes: ['table'], produces: [name],
        run: (input) => {
          seen[name] = input.inputs['table'];
          return { [name]: true };
        },
      });
      return marked ? markSendsInput(agent) : agent;
    };
    // Marked, then its run replaced by one that sorts what it is given before calling the first.
    const sorting = markSendsInput(reader('sorted', true));
    const first = sorting.run;
    sorting.run = (input, ctx) => {
      (input.inputs['table'] as { rows: number[] }).rows.sort((a, b) => b - a);
      return first(input, ctx);
    };
    // A getter giving the marked run when the input is made, and a wrapper that changes it when called.
    const flipping = markSendsInput(reader('flipped', true));
    const marked = flipping.run;
    let reads = -1;
    Object.defineProperty(flipping, 'run', {
      get: () =>
        reads < 0 || reads++ === 0
          ? marked
          : (input: AgentInput, ctx: AgentContext) => {
              (input.inputs['table'] as { rows: number[] }).rows.push(99);
              return marked(input, ctx);
            },
    });
    const o = createOrchestrator({
      name: 'readers',
      agents: [defineAgent({ name: 'maker', description: 'makes the table', produces: ['table'], run: () => ({ table: { rows: [1, 2, 3] } }) }), reader('sent1', true), reader('sent2', true), reader('own1', false), reader('own2', false), sorting, flipping],
      deliverable: ['sent1', 'sent2', 'own1', 'own2', 'sorted', 'flipped'],
    });
    // From its first read by the run on: the marked run, then the wrapper.
    reads = 0;
    try {
      const result = await o.run('read the table four times');
      expect(result.status).toBe('succeeded');
      expect(seen['sent1']).toEqual({ rows: [1, 2, 3] });
      expect(seen['sent1']).toBe(seen['sent2']);
      expect(seen['own1']).toEqual({ rows: [1, 2, 3] });
      expect(seen['own1']).not.toBe(seen['own2']);
      expect(seen['own1']).not.toBe(seen['sent1']);
      expect(seen['sorted']).toEqual({ rows: [3, 2, 1] });
      // The attempt called the run whose input was made for it: the marked one.
      expect(seen['flipped']).toEqual({ rows: [1, 2, 3] });
      expect(result.tasks.find((t) => t.agent === 'maker')?.output).toEqual({ table: { rows: [1, 2, 3] } });
    } finally {
      await o.close();
    }
  });

  it('do not change what an attempt of an agent whose run cannot be read comes to: it fails and is retried', async () => {
    let throws = 0;
    const made = defineAgent({ name: 'flaky', description: 'answers on its second attempt', produces: ['x'], run: () => ({ x: 1 }) });
    const flaky: Agent = {
      spec: made.spec,
      get run() {
        if (throws > 0) {
          throws--;
          throw new Error('run getter threw');
        }
        return made.run;
      },
    };
    const o = createOrchestrator({ name: 'flaky', agents: [flaky], deliverable: ['x'], policy: { retries: 1 } });
    // The scheduler's read and the attempt's: the attempt fails as its agent would have, and is retried.
    throws = 2;
    try {
      const result = await o.run('x');
      expect(result.status).toBe('succeeded');
      expect(result.tasks[0]!.attempts.map((a) => [a.status, a.error])).toEqual([['failed', 'run getter threw'], ['succeeded', undefined]]);
    } finally {
      await o.close();
    }
  });
});
