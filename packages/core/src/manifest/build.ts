/** Turns a manifest that passed every check into the core `Manifest` (absolute paths, loaded schemas). */
import { resolve } from 'node:path';
import type { AgentExample, AgentSpec, ArtifactSpec, JsonSchema, Manifest, OrchestratorSpec, ToolSpec } from '../core/types.ts';
import { exampleSchemaKey, type LoadedSchema } from './files.ts';
import type { ParsedAgent, ParsedExample, ParsedManifest, ParsedTool } from './schema.ts';

export interface BuildOptions {
  file?: string;
  /** Absolute folder relative paths resolve against. */
  baseDir: string;
}

/** Schemas loaded from files or compiled inline, by the file check. */
export interface LoadedSchemas {
  /** agent name → artifact type → its schema. */
  schemas: Map<string, Map<string, LoadedSchema>>;
  /** Examples' schemas, by `exampleSchemaKey`. */
  exampleSchemas: Map<string, LoadedSchema>;
}

export function buildManifest(parsed: ParsedManifest, loaded: LoadedSchemas, options: BuildOptions): Manifest {
  const { baseDir } = options;
  const agents: Record<string, AgentSpec> = {};
  for (const [name, agent] of Object.entries(parsed.agents)) {
    agents[name] = buildAgent(name, agent, loaded, baseDir);
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

function buildAgent(name: string, agent: ParsedAgent, loaded: LoadedSchemas, baseDir: string): AgentSpec {
  const schemas = loaded.schemas.get(name);
  const output: Record<string, ArtifactSpec> = {};
  for (const [artifact, spec] of Object.entries(agent.output)) {
    output[artifact] = { ...schemas?.get(artifact), ...(spec.checks === undefined ? {} : { checks: spec.checks }) };
  }
  const common = withoutUndefined({
    name,
    description: agent.description,
    version: agent.version ?? '0.0.0',
    versionPin: agent.version,
    examples: agent.examples?.map((example, index) => buildExample(name, index, example, loaded.exampleSchemas)),
    capabilities: agent.capabilities,
    consumes: agent.consumes,
    produces: agent.produces,
    kind: agent.kind,
    env: agent.env,
    output,
    fallback: agent.fallback,
    timeoutMs: agent.timeoutMs,
    retries: agent.retries,
    approval: agent.approval,
    baseDir,
  });
  switch (agent.kind) {
    case 'module':
      return { ...common, module: resolve(baseDir, agent.module), isolation: agent.isolation, ...withoutUndefined({ maxMemoryMb: agent.maxMemoryMb }) };
    case 'command':
      return { ...common, command: agent.command, ...withoutUndefined({ versionCommand: agent.versionCommand }) };
    case 'a2a':
      return { ...common, url: agent.url };
    case 'llm':
      return {
        ...common,
        ...withoutUndefined({ model: agent.model, instructions: agent.instructions, tools: agent.tools?.map(toToolSpec) }),
      };
  }
}

function buildExample(agent: string, index: number, example: ParsedExample, loaded: Map<string, LoadedSchema>): AgentExample {
  const { goal, inputs, params } = example.input;
  let schema: Record<string, JsonSchema> | undefined;
  for (const artifact of Object.keys(example.schema ?? {})) {
    const found = loaded.get(exampleSchemaKey(agent, index, artifact));
    if (found) (schema ??= {})[artifact] = found.schema;
  }
  return withoutUndefined({
    name: example.name,
    input: withoutUndefined({ goal, inputs, params }),
    output: example.output,
    schema,
  });
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
