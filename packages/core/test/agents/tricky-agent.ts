import path from 'node:path';
import { createModuleAgent } from '../../src/agents/module-agent.ts';
import type { Agent } from '../../src/core/contracts.ts';
import type { AgentInput, AgentSpec } from '../../src/core/types.ts';
import { runAttempt } from '../../src/execution/attempt.ts';

/** The module agent that does what its task's instructions say (see the fixture's first lines). */
export const TRICKY_MODULE = path.resolve(import.meta.dirname, '../fixtures/agents/modules/tricky.ts');

/** A module agent on {@link TRICKY_MODULE}, `extra` changing its spec; pushed onto `made`, for the test to close. */
export function trickyAgent(made: Agent[], extra: Partial<AgentSpec> = {}): Agent {
  const spec: AgentSpec = {
    name: 'tricky', description: 'd', version: '0.0.1', capabilities: [], consumes: [], produces: ['report'], kind: 'module',
    module: TRICKY_MODULE, output: {}, fallback: [], ...extra,
  };
  const agent = createModuleAgent(spec);
  made.push(agent);
  return agent;
}

/** The input of an attempt told `instructions`. */
export const trickyInput = (instructions: string): AgentInput => ({ runId: 'r_tricky', goal: 'g', task: { id: 't1', title: 't', instructions }, inputs: { rows: [1] }, params: {}, attempt: 1 });

/** One attempt of `agent` told `instructions`, given the artifact `rows: [1]`. */
export const runTricky = (agent: Agent, instructions: string, timeoutMs = 10_000, controller = new AbortController()) =>
  runAttempt({ agent, input: trickyInput(instructions), produces: ['report'], timeoutMs, controller });
