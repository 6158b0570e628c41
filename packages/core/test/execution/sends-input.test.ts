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
import type { Agent } from '../../src/core/contracts.ts';
import type { AgentSpec } from '../../src/core/types.ts';
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
      expect(sendsInput(thread)).toBe(true);
      expect(sendsInput(createCommandAgent(spec('command')))).toBe(true);
      expect(sendsInput(inThisThread)).toBe(false);
      // What is marked is its run: a wrapper calling it gets a copy, as it may change its input first.
      expect(sendsInput({ ...thread })).toBe(true);
      expect(sendsInput(Object.create(thread) as Agent)).toBe(true);
      expect(sendsInput({ ...thread, run: (input, ctx) => thread.run(input, ctx) })).toBe(false);
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
    const o = createOrchestrator({
      name: 'readers',
      agents: [defineAgent({ name: 'maker', description: 'makes the table', produces: ['table'], run: () => ({ table: { rows: [1, 2, 3] } }) }), reader('sent1', true), reader('sent2', true), reader('own1', false), reader('own2', false), sorting],
      deliverable: ['sent1', 'sent2', 'own1', 'own2', 'sorted'],
    });
    try {
      const result = await o.run('read the table four times');
      expect(result.status).toBe('succeeded');
      expect(seen['sent1']).toEqual({ rows: [1, 2, 3] });
      expect(seen['sent1']).toBe(seen['sent2']);
      expect(seen['own1']).toEqual({ rows: [1, 2, 3] });
      expect(seen['own1']).not.toBe(seen['own2']);
      expect(seen['own1']).not.toBe(seen['sent1']);
      expect(seen['sorted']).toEqual({ rows: [3, 2, 1] });
      expect(result.tasks.find((t) => t.agent === 'maker')?.output).toEqual({ table: { rows: [1, 2, 3] } });
    } finally {
      await o.close();
    }
  });
});
