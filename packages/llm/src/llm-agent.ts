/**
 * The `llm` agent kind: instructions + the task + its inputs go to the agent's model, which may
 * call the agent's tools (MCP servers, built-ins) for a bounded number of steps and must then
 * reply with its artifacts as structured output. The reply is validated like any agent's output.
 */
import type { Agent, AgentContext, AgentFactory } from 'batonjs/internal';
import { BatonError, UnrecoverableAgentError, errorMessage, untilAborted } from 'batonjs/internal';
import type { AgentInput, AgentOutput, AgentSpec, ArtifactSpec, JsonSchema, ToolSpec } from 'batonjs/internal';
import { agentPrompt, agentSystem } from './agent-prompt.ts';
import { fieldOf, resolveModel } from './model-config.ts';
import type { ModelResolver, ResolvedModel } from './model-config.ts';
import { replySchemaOf } from './output-schema.ts';
import { structuredCall } from './structured-call.ts';
import { openTools } from './tools/tool-set.ts';
import type { OpenTools } from './tools/tool-set.ts';

/** Model calls one attempt may make (tool-calling steps plus the final answer). */
export const DEFAULT_MAX_STEPS = 10;

export interface LlmAgentOptions {
  /** How `model: provider:name` becomes a model. Default: from the environment. */
  resolveModel?: ModelResolver;
  /** Model calls per attempt (default {@link DEFAULT_MAX_STEPS}). */
  maxSteps?: number;
  /**
   * Checks a reply in code before it is returned (e.g. numbers against the inputs). Problems make
   * the attempt `invalid`, and they are the next attempt's feedback.
   */
  check?: (output: AgentOutput, input: AgentInput) => string[] | Promise<string[]>;
}

/** Where an agent comes from, for messages and its default model. */
interface AgentOrigin {
  /** The manifest file. */
  file?: string | undefined;
  /** The model used when the agent names none (the orchestrator's). */
  defaultModel?: string | undefined;
}

/** A factory for the `llm` kind; register it to use custom model resolution. */
export function createLlmAgentFactory(options: LlmAgentOptions = {}): AgentFactory {
  return (spec, manifest) => new LlmAgent(spec, { file: manifest.file, defaultModel: manifest.orchestrator.model }, options);
}

/** The default `llm` factory (models from the environment), loaded lazily by the agent registry. */
export const createLlmAgent: AgentFactory = createLlmAgentFactory();

class LlmAgent implements Agent {
  private readonly model: ResolvedModel;
  private tools: Promise<OpenTools> | undefined;
  /** The tools once open, to see whether their servers are still there. */
  private opened: OpenTools | undefined;
  /** The opening of the tools while it is under way, and how many attempts wait for it. */
  private opening: { controller: AbortController; waiters: number } | undefined;

  constructor(
    readonly spec: AgentSpec,
    private readonly origin: AgentOrigin,
    private readonly options: LlmAgentOptions,
  ) {
    const id = spec.model ?? origin.defaultModel;
    const where = fieldOf(`agents.${spec.name}.model`, origin.file);
    if (!id) throw new BatonError('MODEL_NOT_CONFIGURED', `${where} is missing: an llm agent needs a model (e.g. model: openai:gpt-4o-mini)`, { retryable: false });
    // Resolved now, so a missing key fails when the agent is built, naming the variable.
    this.model = (options.resolveModel ?? resolveModel)(id, where);
  }

  async run(input: AgentInput, ctx: AgentContext): Promise<AgentOutput> {
    const open = await this.openTools(ctx.signal, ctx.deadline);
    ctx.signal.throwIfAborted();
    const produces = this.spec.produces;
    const schema = replySchemaOf(this.spec, produces);
    const reply = await structuredCall({
      model: this.model,
      system: agentSystem(this.spec, Object.keys(open.tools)),
      messages: [{ role: 'user', content: agentPrompt(input, produces, schema) }],
      schema,
      schemaName: schemaNameOf(this.spec.name),
      tools: open.tools,
      maxSteps: this.options.maxSteps ?? DEFAULT_MAX_STEPS,
      signal: ctx.signal,
      onUsage: (u) => ctx.reportUsage?.(u),
    });
    if (!reply.ok) throw new BatonError('OUTPUT_INVALID', reply.problem);
    if (typeof reply.value !== 'object' || reply.value === null || Array.isArray(reply.value)) {
      throw new BatonError('OUTPUT_INVALID', `the reply must be a JSON object with the keys ${produces.join(', ')}`);
    }
    const output = reply.value as AgentOutput;
    const problems = this.options.check ? await this.options.check(output, input) : [];
    if (problems.length > 0) throw new BatonError('OUTPUT_INVALID', problems.join('; '));
    return output;
  }

  async close(): Promise<void> {
    const tools = this.tools;
    this.tools = undefined;
    this.opened = undefined;
    // Tools still opening (a server that never answers) are given up on, not waited for.
    this.opening?.controller.abort(new Error('the agent is closing'));
    const open = await tools?.catch(() => undefined);
    await open?.close();
  }

  /**
   * Tools are opened on the first attempt and kept for the next ones (MCP servers stay up). An
   * attempt waits for them no longer than its own signal allows; the opening itself is abandoned
   * (its servers closed) when no attempt waits for it any more. Servers get a little less than the
   * time left before `deadline`: one that holds the attempt past it is then named, where the
   * attempt's own timeout would only say that no result came.
   */
  private async openTools(signal: AbortSignal, deadline: number | undefined): Promise<OpenTools> {
    // A server that exited (mid-call, or for a result too large for its pipe) is started again for
    // the next attempt, rather than answer every later call with "Not connected".
    if (this.opened && !this.opened.alive()) {
      void this.opened.close().catch(() => undefined);
      this.opened = undefined;
      this.tools = undefined;
    }
    if (!this.tools) {
      const controller = new AbortController();
      const startupMs = deadline === undefined ? undefined : startupBudget(deadline - Date.now());
      const opening = openTools(this.spec, this.origin.file, controller.signal, startupMs).catch((e: unknown) => {
        if (this.tools === opening) this.tools = undefined;
        // A server too slow to start may be in time for the next attempt: its timeout stays one.
        const kept = BatonError.isInstance(e) && (!e.retryable || e.code === 'AGENT_TIMEOUT');
        throw kept ? e : new UnrecoverableAgentError(`could not open the tools of agent '${this.spec.name}': ${errorMessage(e)}`, { cause: e });
      });
      opening.catch(() => undefined);
      const state = { controller, waiters: 0 };
      this.opening = state;
      void opening.then(
        () => this.opening === state && (this.opening = undefined),
        () => this.opening === state && (this.opening = undefined),
      );
      this.tools = opening;
      void opening.then(
        (open) => this.tools === opening && (this.opened = open),
        () => undefined,
      );
    }
    const state = this.opening;
    if (!state) return this.tools;
    state.waiters++;
    try {
      return await untilAborted(this.tools, signal);
    } finally {
      state.waiters--;
      if (signal.aborted && state.waiters === 0 && this.opening === state) state.controller.abort(signal.reason);
    }
  }
}

/**
 * The name of an agent's reply format: OpenAI takes letters, digits, '_' and '-', at most 64 of them
 * (a longer name is refused with HTTP 400 on every call), and an agent's name has no length limit.
 */
function schemaNameOf(agent: string): string {
  return `${agent.replace(/[^\w-]/g, '_').slice(0, 57)}_output`;
}

/**
 * The time tools may take to open out of `remainingMs` of an attempt: a tenth (at most a second)
 * is kept back, so that giving up on a server is reported before the attempt itself times out.
 */
function startupBudget(remainingMs: number): number {
  return Math.max(1, Math.floor(remainingMs - Math.min(1_000, remainingMs / 10)));
}

/** An `llm` agent defined in code (e.g. default-exported by a `kind: module` file). */
export interface LlmAgentDefinition extends LlmAgentOptions {
  name: string;
  description: string;
  version?: string;
  capabilities?: string[];
  consumes?: string[];
  produces: string[];
  /** provider:name. */
  model: string;
  instructions?: string;
  tools?: ToolSpec[];
  /** JSON Schema per produced artifact: the structured output the model must give. */
  schemas?: Record<string, JsonSchema>;
  /** Folder that relative paths (MCP server commands) run in. */
  baseDir?: string;
}

/**
 * Defines an `llm` agent in code: the same model loop, tools and structured output as the
 * manifest kind, plus an optional `check` of each reply in code. The model is resolved (and a
 * missing key reported) on the first attempt.
 */
export function defineLlmAgent(def: LlmAgentDefinition): Agent {
  const { name, description, version, capabilities, consumes, produces, model, instructions, tools, schemas, baseDir, ...options } = def;
  const output: Record<string, ArtifactSpec> = {};
  for (const [artifact, schema] of Object.entries(schemas ?? {})) output[artifact] = { schema };
  const spec: AgentSpec = {
    name,
    description,
    version: version ?? '0.0.0',
    capabilities: capabilities ?? [],
    consumes: consumes ?? [],
    produces,
    kind: 'llm',
    model,
    output,
    fallback: [],
    ...(instructions === undefined ? {} : { instructions }),
    ...(tools === undefined ? {} : { tools }),
    ...(baseDir === undefined ? {} : { baseDir }),
  };
  let agent: LlmAgent | undefined;
  return {
    spec,
    run: (input, ctx) => (agent ??= new LlmAgent(spec, {}, options)).run(input, ctx),
    close: async () => agent?.close(),
  };
}
