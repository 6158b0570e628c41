import { reservedArtifactName } from './core/artifact-names.ts';
import type { Agent } from './core/contracts.ts';
import { resolvePolicy } from './core/defaults.ts';
import { BatonError } from './core/errors.ts';
import type { AgentSpec, JsonSchema, Manifest, Policy } from './core/types.ts';
import { policyProblems } from './manifest/code-check.ts';
import { buildWorkflows, checkParamsSchema } from './manifest/steering-rules.ts';
import type { TaskInput } from './planning/fixed-plan.ts';
import { planInputSchemas } from './planning/plan-input-schema.ts';
import { Orchestrator } from './orchestrator.ts';
import { checkCodeOrchestratorOptions } from './orchestrator-options-check.ts';
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
  /** Fixed plans by name (a manifest's `workflows:`): tasks need only id and agent. */
  workflows?: Record<string, { description?: string; tasks: TaskInput[] }>;
}

/**
 * Builds an orchestrator from agents defined in code, without a manifest file:
 * `createOrchestrator({ name: 'travel', agents: [flights, hotels, planner] })`.
 */
export function createOrchestrator(options: CodeOrchestratorOptions): Orchestrator {
  checkCodeOrchestratorOptions(options);
  const { name, description, instructions, model, agents, deliverable, policy, params, workflows, ...rest } = options;
  const policyFindings = policyProblems(policy);
  if (policyFindings.length > 0) throw new BatonError('MANIFEST_INVALID', policyFindings.join('; '), { retryable: false, details: policyFindings });
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
  if (workflows) {
    const { taskInputSchema } = planInputSchemas();
    const built = buildWorkflows(
      Object.fromEntries(Object.entries(workflows).map(([k, w]) => [k, { ...w, tasks: w.tasks.map((t) => taskInputSchema.parse(t)) }])),
      manifest,
    );
    if (built.findings.length > 0) throw new BatonError('MANIFEST_INVALID', `workflows: ${built.findings.map((f) => `${f.path.join('.')}: ${f.message}`).join('; ')}`, { retryable: false });
    if (built.workflows) manifest.workflows = built.workflows;
  }
  return new Orchestrator({ ...rest, manifest, agents });
}
