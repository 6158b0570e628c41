import type { Agent, AgentContext } from '../core/contracts.ts';
import type { AgentInput, AgentOutput, AgentSpec, ArtifactSpec, JsonSchema } from '../core/types.ts';
import { BatonError } from '../core/errors.ts';
import { agentDefinitionProblems } from '../manifest/code-check.ts';
import { inThreadAgent } from './deadline.ts';

/** An agent written in code: its declaration plus the function that runs it. */
export interface AgentDefinition {
  name: string;
  description: string;
  version?: string;
  capabilities?: string[];
  consumes?: string[];
  produces: string[];
  /** JSON Schema per produced artifact. */
  schemas?: Record<string, JsonSchema>;
  fallback?: string[];
  timeoutMs?: number;
  retries?: number;
  /** `required`: each task given to this agent waits for a decision before it runs. */
  approval?: 'required';
  run(input: AgentInput, ctx: AgentContext): Promise<AgentOutput> | AgentOutput;
}

/**
 * Defines a sub-agent in code. Pass it to `createOrchestrator({ agents: [...] })`, or
 * default-export it from a module that a manifest's `kind: module` agent points to.
 */
export function defineAgent(def: AgentDefinition): Agent {
  const problems = agentDefinitionProblems(def);
  if (problems.length > 0) {
    const name = typeof (def as { name?: unknown } | null)?.name === 'string' ? ` '${def.name}'` : '';
    throw new BatonError('MANIFEST_INVALID', `defineAgent${name}: ${problems.join('; ')}`, { retryable: false, details: problems });
  }
  if (typeof def.run !== 'function') throw new BatonError('MANIFEST_INVALID', `defineAgent '${def.name}': run: expected a function (input, ctx) => output`, { retryable: false });
  const output: Record<string, ArtifactSpec> = {};
  for (const [artifact, schema] of Object.entries(def.schemas ?? {})) output[artifact] = { schema };
  const spec: AgentSpec = {
    name: def.name,
    description: def.description,
    version: def.version ?? '0.0.0',
    capabilities: def.capabilities ?? [],
    consumes: def.consumes ?? [],
    produces: def.produces,
    kind: 'code',
    output,
    fallback: def.fallback ?? [],
  };
  if (def.timeoutMs !== undefined) spec.timeoutMs = def.timeoutMs;
  if (def.retries !== undefined) spec.retries = def.retries;
  if (def.approval !== undefined) spec.approval = def.approval;
  const run = def.run;
  return inThreadAgent({ spec }, run);
}
