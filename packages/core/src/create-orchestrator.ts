import type { Agent } from './core/contracts.ts';
import { resolvePolicy } from './core/defaults.ts';
import { BatonError } from './core/errors.ts';
import type { AgentSpec, JsonSchema, Manifest, Policy } from './core/types.ts';
import { checkParamsSchema } from './manifest/steering-rules.ts';
import { Orchestrator } from './orchestrator.ts';
import type { OrchestratorOptions } from './orchestrator.ts';

/** An orchestrator defined entirely in code. */
export interface CodeOrchestratorOptions extends Omit<OrchestratorOptions, 'manifest' | 'agents'> {
  name: string;
  description?: string;
  instructions?: string;
  model?: string;
  /** Sub-agents, e.g. made with `defineAgent`. */
  agents: Agent[];
  /** Artifacts to produce when the goal names none (default: what no other agent consumes). */
  deliverable?: string[];
  policy?: Partial<Policy>;
  /** JSON Schema (`type: object`) of the run parameters (a manifest's `orchestrator.params`). */
  params?: JsonSchema;
}

/**
 * Builds an orchestrator from agents defined in code, without a manifest file:
 * `createOrchestrator({ name: 'travel', agents: [flights, hotels, planner] })`.
 */
export function createOrchestrator(options: CodeOrchestratorOptions): Orchestrator {
  const { name, description, instructions, model, agents, deliverable, policy, params, ...rest } = options;
  const specs: Record<string, AgentSpec> = {};
  for (const a of agents) {
    if (specs[a.spec.name]) throw new BatonError('MANIFEST_INVALID', `two agents are named '${a.spec.name}'`, { retryable: false });
    specs[a.spec.name] = a.spec;
  }
  if (params) {
    const problems = checkParamsSchema({ orchestrator: { params } });
    if (problems.length > 0) throw new BatonError('MANIFEST_INVALID', `params: ${problems.map((p) => p.message).join('; ')}`, { retryable: false });
  }
  const consumed = new Set(agents.flatMap((a) => a.spec.consumes));
  const manifest: Manifest = {
    version: 1,
    baseDir: process.cwd(),
    orchestrator: {
      name,
      description: description ?? name,
      instructions: instructions ?? '',
      subagents: agents.map((a) => a.spec.name),
      deliverable: deliverable ?? [...new Set(agents.flatMap((a) => a.spec.produces).filter((p) => !consumed.has(p)))],
      policy: resolvePolicy(policy),
      ...(model ? { model } : {}),
      ...(params ? { params } : {}),
    },
    agents: specs,
  };
  return new Orchestrator({ ...rest, manifest, agents });
}
