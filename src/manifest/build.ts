/** Turns a manifest that passed every check into the core `Manifest` (absolute paths, loaded schemas). */
import { resolve } from 'node:path';
import type { AgentSpec, ArtifactSpec, Manifest, OrchestratorSpec, ToolSpec } from '../core/types.ts';
import type { LoadedSchema } from './files.ts';
import type { ParsedAgent, ParsedManifest, ParsedTool } from './schema.ts';

export interface BuildOptions {
  file?: string;
  /** Absolute folder relative paths resolve against. */
  baseDir: string;
}

export function buildManifest(parsed: ParsedManifest, schemas: Map<string, Map<string, LoadedSchema>>, options: BuildOptions): Manifest {
  const { baseDir } = options;
  const agents: Record<string, AgentSpec> = {};
  for (const [name, agent] of Object.entries(parsed.agents)) {
    agents[name] = buildAgent(name, agent, schemas.get(name), baseDir);
  }
  const { integrator, policy, ...orchestrator } = parsed.orchestrator;
  const orchestratorSpec: OrchestratorSpec = {
    ...withoutUndefined(orchestrator),
    policy: withoutUndefined(policy),
    ...(integrator === undefined ? {} : { integrator: resolve(baseDir, integrator) }),
  };
  return {
    version: 1,
    ...(options.file === undefined ? {} : { file: options.file }),
    baseDir,
    orchestrator: orchestratorSpec,
    agents,
  };
}

function buildAgent(name: string, agent: ParsedAgent, schemas: Map<string, LoadedSchema> | undefined, baseDir: string): AgentSpec {
  const output: Record<string, ArtifactSpec> = {};
  for (const [artifact, spec] of Object.entries(agent.output)) {
    output[artifact] = { ...schemas?.get(artifact), ...(spec.checks === undefined ? {} : { checks: spec.checks }) };
  }
  const common = withoutUndefined({
    name,
    description: agent.description,
    version: agent.version,
    capabilities: agent.capabilities,
    consumes: agent.consumes,
    produces: agent.produces,
    kind: agent.kind,
    env: agent.env,
    output,
    fallback: agent.fallback,
    timeoutMs: agent.timeoutMs,
    retries: agent.retries,
    baseDir,
  });
  switch (agent.kind) {
    case 'module':
      return { ...common, module: resolve(baseDir, agent.module), isolation: agent.isolation };
    case 'command':
      return { ...common, command: agent.command };
    case 'a2a':
      return { ...common, url: agent.url };
    case 'llm':
      return {
        ...common,
        ...withoutUndefined({ model: agent.model, instructions: agent.instructions, tools: agent.tools?.map(toToolSpec) }),
      };
  }
}

function toToolSpec(tool: ParsedTool): ToolSpec {
  if (tool.builtin !== undefined) {
    return { kind: 'builtin', name: tool.builtin, ...withoutUndefined({ options: tool.options }) };
  }
  // The shape check guarantees an mcp tool has `mcp` and `name`.
  const { command, url, env } = tool.mcp ?? {};
  return { kind: 'mcp', name: tool.name ?? '', ...withoutUndefined({ command, url, env, allow: tool.allow }) };
}

type WithoutUndefined<T> = { [K in keyof T]: Exclude<T[K], undefined> };

/** Drops keys whose value is undefined, so optional fields are absent rather than undefined. */
function withoutUndefined<T extends object>(value: T): WithoutUndefined<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as WithoutUndefined<T>;
}
