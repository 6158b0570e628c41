/**
 * The shape of `baton.yaml` (DESIGN.md section 3) as zod schemas. These check one field at a time;
 * rules that relate fields across agents (references, cycles, fallbacks) live in `references.ts`,
 * and rules that touch the file system in `files.ts`.
 */
import semver from 'semver';
import { z } from 'zod';
import { DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_POLICY, MIN_AGENT_MEMORY_MB } from '../core/defaults.ts';
import { planInputSchemas } from '../planning/plan-input-schema.ts';
import { AGENT_NAME_PATTERN } from './agent-names.ts';
import { describeValue } from './describe.ts';

export { AGENT_NAME_PATTERN };

/** `provider:model`, e.g. `openai:gpt-4o-mini` or `ollama:llama3.1:8b`. */
export const MODEL_PATTERN = /^[A-Za-z0-9][\w.-]*:\S+$/;

const { taskInputSchema } = planInputSchemas(z);

const positiveInt = () => z.int().positive();
const nonNegativeInt = () => z.int().nonnegative();
const nonEmptyString = () => z.string().min(1);
const nameList = () => z.array(nonEmptyString());
const stringMap = () => z.record(z.string(), z.string());

const modelId = () =>
  z.string().regex(MODEL_PATTERN, {
    error: (issue) => `expected provider:model (e.g. openai:gpt-4o-mini), got ${describeValue(issue.input)}`,
  });

const httpUrl = () =>
  z.url({
    protocol: /^https?$/,
    error: (issue) =>
      issue.input === undefined ? undefined : `expected an http(s) URL such as http://127.0.0.1:4100, got ${describeValue(issue.input)}`,
  });

/** argv for a child process. A plain string gets a message showing the list form. */
const argv = () =>
  z
    .array(nonEmptyString(), {
      error: (issue) => {
        if (typeof issue.input !== 'string') return undefined;
        const words = issue.input.trim().split(/\s+/).map((w) => JSON.stringify(w));
        return `expected a list of strings (program and arguments), e.g. [${words.join(', ')}], got the string ${describeValue(issue.input)}`;
      },
    })
    .min(1, { error: 'expected at least the program to run, got an empty list' });

export const backoffSchema = z
  .strictObject({
    initialDelayMs: nonNegativeInt().default(DEFAULT_POLICY.backoff.initialDelayMs).describe('Delay before the first retry, in ms.'),
    factor: z.number().min(1).default(DEFAULT_POLICY.backoff.factor).describe('Each further delay is the previous one times this.'),
    maxDelayMs: nonNegativeInt().default(DEFAULT_POLICY.backoff.maxDelayMs).describe('Upper bound of a delay, in ms.'),
    jitter: z.number().min(0).max(1).default(DEFAULT_POLICY.backoff.jitter).describe('Share (0..1) of each delay drawn at random.'),
  })
  .describe('Backoff between retries of the same agent.');

export const policySchema = z
  .strictObject({
    maxParallel: positiveInt().default(DEFAULT_POLICY.maxParallel).describe('Tasks run at the same time.'),
    retries: nonNegativeInt().default(DEFAULT_POLICY.retries).describe('Retries of an agent before its fallbacks are tried.'),
    taskTimeoutMs: positiveInt().default(DEFAULT_POLICY.taskTimeoutMs).describe('Time limit of one attempt, in ms.'),
    runTimeoutMs: positiveInt().default(DEFAULT_POLICY.runTimeoutMs).describe('Time limit of the whole run, in ms.'),
    maxOutputBytes: positiveInt()
      .default(DEFAULT_MAX_OUTPUT_BYTES)
      .describe('Largest output of one attempt, in bytes of JSON (default 16 MiB); a larger one makes the attempt invalid.'),
    backoff: backoffSchema.prefault({}),
    maxTokens: positiveInt().optional().describe('Token budget of the run (LLM planner, integrator, agents).'),
    maxLlmCalls: positiveInt().optional().describe('Budget of model calls of the run.'),
    maxReplans: nonNegativeInt().optional().describe('How many times the plan may be replaced after failures.'),
    approval: z.enum(['none', 'plan']).optional().describe('plan: every run waits for a decision on its plan before any task runs (default none).'),
    approvalTimeoutMs: positiveInt().optional().describe('How long a decision may be waited for; past it the run ends with that reason (default: no limit).'),
  })
  .describe('How runs are executed.');

export const orchestratorSchema = z
  .strictObject({
    name: nonEmptyString(),
    description: nonEmptyString(),
    instructions: z.string().default('').describe('Free text read by the LLM planner and integrator.'),
    model: modelId().optional().describe('provider:model for planning; without it the builtin planner is used.'),
    subagents: nameList().min(1, { error: 'expected at least one sub-agent name, got an empty list' }),
    deliverable: nameList().default([]).describe('Artifact types to produce when the goal names none.'),
    policy: policySchema.prefault({}),
    integrator: nonEmptyString().optional().describe('Module (default export) that turns artifacts into the deliverable.'),
    params: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('JSON Schema (type: object) of the typed run parameters, given with --param / params and handed to every agent as input.params.'),
  })
  .describe('Plans, routes, validates and integrates. It has no tools.');

const mcpServerSchema = z
  .strictObject({
    command: argv().optional().describe('Starts the MCP server over stdio.'),
    url: httpUrl().optional().describe('An MCP server over streamable HTTP.'),
    env: stringMap().optional(),
  })
  .superRefine((mcp, ctx) => {
    if ((mcp.command === undefined) === (mcp.url === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'expected exactly one of command: [...] or url: http(s)://...' });
    }
  });

export const toolSchema = z
  .strictObject({
    mcp: mcpServerSchema.optional(),
    name: nonEmptyString().optional().describe('mcp tools: the name the agent knows the server by.'),
    allow: nameList().optional().describe('mcp tools: only these tools of the server.'),
    builtin: nonEmptyString().optional().describe('A tool that ships with Baton.'),
    options: z.record(z.string(), z.unknown()).optional().describe('builtin tools: their options.'),
  })
  .superRefine((tool, ctx) => {
    const problem = (message: string, path: string[] = []) => ctx.addIssue({ code: 'custom', message, path });
    if (tool.mcp === undefined && tool.builtin === undefined) {
      problem('expected a tool: { mcp: { command: [...] } or { url: ... }, name: ... } or { builtin: <name> }');
    } else if (tool.mcp !== undefined && tool.builtin !== undefined) {
      problem('expected mcp or builtin, not both: write them as two tools');
    } else if (tool.mcp !== undefined) {
      if (tool.name === undefined) problem('missing: an mcp tool needs a name', ['name']);
      if (tool.options !== undefined) problem('options are for builtin tools; an mcp server is configured under mcp', ['options']);
    } else {
      if (tool.name !== undefined) problem('a builtin tool is named by builtin: remove name', ['name']);
      if (tool.allow !== undefined) problem('allow is for mcp tools', ['allow']);
    }
  });

/** A JSON Schema given as a file path (JSON or YAML, relative to the manifest) or inline. */
const schemaReference = () =>
  z.union([nonEmptyString(), z.record(z.string(), z.unknown())], {
    error: (issue) =>
      issue.code === 'invalid_union' ? `expected a JSON Schema file path or an inline schema mapping, got ${describeValue(issue.input)}` : undefined,
  });

/** An exact version (`1.2.0`) or a semver range (`^1.2.0`, `~1.2`, `>=1 <2`). */
const versionOrRange = () =>
  nonEmptyString().refine((v) => semver.validRange(v) !== null, {
    error: (issue) => `expected a version (1.2.0) or a semver range (^1.2.0, ~1.2, >=1 <2), got ${describeValue(issue.input)}`,
  });

export const artifactSpecSchema = z.strictObject({
  schema: schemaReference().optional().describe('JSON Schema the artifact must satisfy: a file (JSON or YAML) or inline.'),
  checks: z
    .array(z.strictObject({ rubric: nonEmptyString() }))
    .optional()
    .describe('Quality checks judged by the orchestrator model.'),
});

export const agentExampleSchema = z
  .strictObject({
    name: nonEmptyString().optional(),
    input: z
      .strictObject({
        goal: z.string().optional().describe("The run's goal the agent is given."),
        inputs: z.record(z.string(), z.unknown()).default({}).describe('The artifacts it consumes, by type.'),
        params: z.record(z.string(), z.unknown()).optional().describe('Run parameters.'),
      })
      .describe('The agent input of this example (DESIGN section 4).'),
    output: z.record(z.string(), z.unknown()).optional().describe('Expected output: every key given must be there with that value (deep partial match).'),
    schema: z.record(z.string(), schemaReference()).optional().describe('A JSON Schema per artifact the output must meet: a file or inline.'),
  })
  .describe('One example of the agent contract, run by `baton agents test`.');

/** Fields every agent kind has. */
export const agentCommonFields = {
  description: nonEmptyString().describe('What the agent does; matched against goals.'),
  version: versionOrRange()
    .optional()
    .describe('The version, or a pin the version the agent reports must satisfy: exact (1.2.0) or a semver range (^1.2.0, ~1.2, >=1 <2).'),
  capabilities: nameList().default([]).describe('Words matched against goals.'),
  consumes: nameList().default([]).describe('Artifact types it needs as input.'),
  produces: nameList().min(1, { error: 'expected at least one artifact type, got an empty list' }),
  env: stringMap().optional().describe('Extra environment variables.'),
  timeoutMs: positiveInt().optional(),
  retries: nonNegativeInt().optional(),
  fallback: nameList().default([]).describe('Agents tried, in order, after retries run out.'),
  output: z.record(z.string(), artifactSpecSchema).default({}).describe('Checks per produced artifact type.'),
  examples: z.array(agentExampleSchema).optional().describe('Contract examples: an input and the output expected from it.'),
  approval: z.literal('required').optional().describe('required: each task given to this agent waits for a decision before it runs (agents with side effects).'),
};

const moduleAgentSchema = z.strictObject({
  ...agentCommonFields,
  kind: z.literal('module'),
  module: nonEmptyString().describe('File whose default export runs the agent, relative to the manifest.'),
  isolation: z
    .enum(['thread', 'process', 'none'])
    .default('thread')
    .describe(
      "Where the module runs: thread (default), in a worker thread, stopped at its timeout and unable to stall the orchestrator; process, each attempt in a Node process of its own, which nothing the module does (exhausting memory, exiting, crashing) can take Baton's process down with; none, in the orchestrator's own thread.",
    ),
  maxMemoryMb: z
    .int()
    .min(MIN_AGENT_MEMORY_MB)
    .optional()
    .describe(
      `isolation: process only. The largest JavaScript heap of the agent's process, in MB (at least ${MIN_AGENT_MEMORY_MB}; Node's --max-old-space-size): an attempt that needs more fails (retries and fallbacks follow). Default: Node's own heap limit. Buffers and ArrayBuffers are not counted.`,
    ),
});

const commandAgentSchema = z.strictObject({
  ...agentCommonFields,
  kind: z.literal('command'),
  command: argv().describe('argv; JSON input on stdin, JSON output on stdout.'),
  versionCommand: argv().optional().describe('argv whose stdout (first line) is the version the command reports; checked against version.'),
});

const llmAgentSchema = z.strictObject({
  ...agentCommonFields,
  kind: z.literal('llm'),
  model: modelId(),
  instructions: z.string().optional(),
  tools: z.array(toolSchema).optional(),
});

const a2aAgentSchema = z.strictObject({
  ...agentCommonFields,
  kind: z.literal('a2a'),
  url: httpUrl().describe('Base URL of the remote agent; its agent card is read from there.'),
});

const agentVariants = [moduleAgentSchema, commandAgentSchema, llmAgentSchema, a2aAgentSchema] as const;

export const agentSchema = z.discriminatedUnion('kind', agentVariants);

/** The kinds a manifest may declare (the `code` kind exists only for agents defined in code). */
export const MANIFEST_AGENT_KINDS = agentVariants.map((variant) => variant.shape.kind.value);

/** For each kind-specific field, the kind it belongs to: `url` → `a2a`. */
export const FIELD_KIND: ReadonlyMap<string, string> = new Map(
  agentVariants.flatMap((variant) =>
    Object.keys(variant.shape)
      .filter((key) => key !== 'kind' && !(key in agentCommonFields))
      .map((key) => [key, variant.shape.kind.value] as const),
  ),
);

export const workflowSchema = z
  .strictObject({
    description: z.string().optional(),
    tasks: z.array(taskInputSchema).min(1, { error: 'expected at least one task, e.g. [{ id: f, agent: flights }]' }).describe('The tasks, in the shape of plan.tasks; only id and agent are required.'),
  })
  .describe('A fixed plan: run with --workflow NAME, no planner involved.');

export const manifestSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path or URL of this JSON Schema, for editors.'),
    version: z.literal(1),
    orchestrator: orchestratorSchema,
    agents: z
      .record(z.string(), agentSchema)
      .meta({ propertyNames: { pattern: AGENT_NAME_PATTERN.source } })
      .describe('Sub-agents by name.'),
    workflows: z
      .record(z.string(), workflowSchema)
      .optional()
      .meta({ propertyNames: { pattern: AGENT_NAME_PATTERN.source } })
      .describe('Fixed plans by name (DESIGN section 9).'),
  })
  .meta({ title: 'Baton manifest (baton.yaml)' });

/** A manifest as written, before defaults: what `defineManifest` accepts. */
export type ManifestInput = z.input<typeof manifestSchema>;
/** A manifest after shape validation, with defaults applied and paths not yet resolved. */
export type ParsedManifest = z.output<typeof manifestSchema>;
export type ParsedAgent = z.output<typeof agentSchema>;
export type ParsedTool = z.output<typeof toolSchema>;
export type ParsedExample = z.output<typeof agentExampleSchema>;
export type ParsedWorkflow = z.output<typeof workflowSchema>;
