import { reservedArtifactName } from './core/artifact-names.ts';
import type { Agent } from './core/contracts.ts';
import { resolvePolicy } from './core/defaults.ts';
import { BatonError } from './core/errors.ts';
import type { AgentSpec, Manifest, Policy } from './core/types.ts';
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
}

/**
 * Builds an orchestrator from agents defined in code, without a manifest file:
 * `createOrchestrator({ name: 'travel', agents: [flights, hotels, planner] })`.
 */
export function createOrchestrator(options: CodeOrchestratorOptions): Orchestrator {
  const { name, description, instructions, model, agents, deliverable, policy, ...rest } = options;
  const specs: Record<string, AgentSpec> = {};
  for (const a of agents) {
    if (specs[a.spec.name]) throw new BatonError('MANIFEST_INVALID', `two agents are named '${a.spec.name}'`, { retryable: false });
    for (const [role, names] of [['produces', a.spec.produces], ['consumes', a.spec.consumes]] as const) {
      for (const artifact of names) {
        const problem = reservedArtifactName(artifact);
        if (problem) throw new BatonError('MANIFEST_INVALID', `agent '${a.spec.name}' ${role} ${problem.replace(/^"[^"]*" /, `"${artifact}", which `)}`, { retryable: false });
      }
    }
    specs[a.spec.name] = a.spec;
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
    },
    agents: specs,
  };
  return new Orchestrator({ ...rest, manifest, agents });
}
