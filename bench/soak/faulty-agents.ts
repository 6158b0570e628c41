/**
 * The soak's agents: the manifest's real `command` and `module` agents, wrapped so that a seeded
 * share of their attempts misbehave. Command agents misbehave in their own process (the shell
 * script reads BATON_FAULT), so exits, hangs, ignored SIGTERMs and garbage on stdout are real;
 * module agents misbehave in-process through `withFaults`. The same registry is used by the soak
 * in-process and by each worker in distributed mode.
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCommandAgent } from '../../packages/core/src/agents/command-agent.ts';
import { createModuleAgent } from '../../packages/core/src/agents/module-agent.ts';
import { AgentRegistry } from '../../packages/core/src/agents/registry.ts';
import type { Agent } from '../../packages/core/src/core/contracts.ts';
import type { AgentInput } from '../../packages/core/src/core/types.ts';
import { attemptKey, FaultInjector, withFaults } from '../../packages/core/src/testing/fault-injector.ts';
import type { FaultWeights, InProcessFault } from '../../packages/core/src/testing/fault-injector.ts';

/** What a command agent's process can be made to do. */
export type CommandFault = 'throw' | 'exit' | 'hang' | 'hang-ignore-term' | 'non-json' | 'invalid' | 'late' | 'crash';
export type SoakMode = 'in-process' | 'distributed';

export interface FaultConfig {
  seed: number;
  rate: number;
  mode: SoakMode;
  taskTimeoutMs: number;
  /** A folder shared by the soak and its workers (crash-once markers). */
  stateDir: string;
}

const COMMAND_WEIGHTS: FaultWeights<CommandFault> = { throw: 1, exit: 1, hang: 1, 'hang-ignore-term': 0.5, 'non-json': 1, invalid: 1, late: 1, crash: 1 };

function moduleWeights(mode: SoakMode): FaultWeights<InProcessFault> {
  // Killing the process that runs a module agent kills the orchestrator in-process: only workers may die.
  return { throw: 1, hang: 1, 'non-json': 1, invalid: 1, late: 1, ...(mode === 'distributed' ? { crash: 0.25 } : {}) };
}

/** The two injectors of a soak (one per agent kind; same seed, so decisions can be recomputed from the journal). */
export function injectorsOf(config: FaultConfig): { command: FaultInjector<CommandFault>; module: FaultInjector<InProcessFault> } {
  return {
    command: new FaultInjector({ seed: config.seed, rate: config.rate, weights: COMMAND_WEIGHTS }),
    module: new FaultInjector({ seed: config.seed, rate: config.rate, weights: moduleWeights(config.mode) }),
  };
}

/** How long a `late` agent takes: past the task timeout, well within the command agents' 2 s kill grace. */
export function lateMsOf(config: FaultConfig): number {
  return config.taskTimeoutMs + 100;
}

/**
 * A worker that dies runs no attempt to its end; its job is re-run elsewhere with the same input.
 * The crash happens once per attempt, so the re-run shows recovery instead of a second death.
 */
function crashOnce(stateDir: string): (input: AgentInput) => boolean {
  return (input) => {
    const marker = path.join(stateDir, `crashed-${createHash('sha1').update(attemptKey(input, 'crash')).digest('hex')}`);
    if (existsSync(marker)) return false;
    writeFileSync(marker, '');
    return true;
  };
}

function commandWithFaults(agentSpec: Agent['spec'], injector: FaultInjector<CommandFault>, lateMs: number): Agent {
  return {
    spec: agentSpec,
    run(input, ctx) {
      const fault = injector.decideFor(input, agentSpec.name);
      const env = { ...agentSpec.env, BATON_FAULT: fault, BATON_LATE_S: (lateMs / 1000).toFixed(3) };
      return createCommandAgent({ ...agentSpec, env }).run(input, ctx);
    },
  };
}

/** A registry whose command and module agents misbehave as the seed says. */
export function faultyRegistry(config: FaultConfig): AgentRegistry {
  const injectors = injectorsOf(config);
  const lateMs = lateMsOf(config);
  const registry = new AgentRegistry();
  registry.register('command', (spec) => commandWithFaults(spec, injectors.command, lateMs));
  registry.register('module', (spec) => withFaults(createModuleAgent(spec), injectors.module, { lateMs, shouldCrash: crashOnce(config.stateDir) }));
  return registry;
}
