/**
 * The `llm` agent kind: instructions + the task + its inputs go to the agent's model, which may
 * call the agent's tools (MCP servers, built-ins) for a bounded number of steps and must then
 * reply with its artifacts as structured output. The reply is validated like any agent's output.
 */
import type { Agent, AgentContext, AgentFactory } from '../core/contracts.ts';
import { BatonError, UnrecoverableAgentError } from '../core/errors.ts';
import type { AgentInput, AgentOutput, AgentSpec, Manifest } from '../core/types.ts';
import { agentPrompt, agentSystem } from '../llm/agent-prompt.ts';
import { fieldOf, resolveModel } from '../llm/model-config.ts';
import type { ModelResolver, ResolvedModel } from '../llm/model-config.ts';
import { replySchemaOf } from '../llm/output-schema.ts';
import { structuredCall } from '../llm/structured-call.ts';
import { openTools } from '../tools/tool-set.ts';
import type { OpenTools } from '../tools/tool-set.ts';

/** Model calls one attempt may make (tool-calling steps plus the final answer). */
export const DEFAULT_MAX_STEPS = 10;

export interface LlmAgentOptions {
  /** How `model: provider:name` becomes a model. Default: from the environment. */
  resolveModel?: ModelResolver;
  /** Model calls per attempt (default {@link DEFAULT_MAX_STEPS}). */
  maxSteps?: number;
}

/** A factory for the `llm` kind; register it to use custom model resolution. */
export function createLlmAgentFactory(options: LlmAgentOptions = {}): AgentFactory {
  return (spec, manifest) => new LlmAgent(spec, manifest, options);
}

/** The default `llm` factory (models from the environment), loaded lazily by the agent registry. */
export const createLlmAgent: AgentFactory = createLlmAgentFactory();

class LlmAgent implements Agent {
  private readonly model: ResolvedModel;
  private tools: Promise<OpenTools> | undefined;

  constructor(
    readonly spec: AgentSpec,
    private readonly manifest: Manifest,
    private readonly options: LlmAgentOptions,
  ) {
    const id = spec.model ?? manifest.orchestrator.model;
    const where = fieldOf(`agents.${spec.name}.model`, manifest.file);
    if (!id) throw new BatonError('MODEL_NOT_CONFIGURED', `${where} is missing: an llm agent needs a model (e.g. model: openai:gpt-4o-mini)`, { retryable: false });
    // Resolved now, so a missing key fails when the agent is built, naming the variable.
    this.model = (options.resolveModel ?? resolveModel)(id, where);
  }

  async run(input: AgentInput, ctx: AgentContext): Promise<AgentOutput> {
    const open = await this.openTools();
    ctx.signal.throwIfAborted();
    const produces = this.spec.produces;
    const schema = replySchemaOf(this.spec, produces);
    const reply = await structuredCall({
      model: this.model,
      system: agentSystem(this.spec, Object.keys(open.tools)),
      messages: [{ role: 'user', content: agentPrompt(input, produces, schema) }],
      schema,
      schemaName: `${this.spec.name}_output`.replace(/[^\w-]/g, '_'),
      tools: open.tools,
      maxSteps: this.options.maxSteps ?? DEFAULT_MAX_STEPS,
      signal: ctx.signal,
      onUsage: (u) => ctx.reportUsage?.(u),
    });
    if (!reply.ok) throw new BatonError('OUTPUT_INVALID', reply.problem);
    if (typeof reply.value !== 'object' || reply.value === null || Array.isArray(reply.value)) {
      throw new BatonError('OUTPUT_INVALID', `the reply must be a JSON object with the keys ${produces.join(', ')}`);
    }
    return reply.value as AgentOutput;
  }

  async close(): Promise<void> {
    const tools = this.tools;
    this.tools = undefined;
    const open = await tools?.catch(() => undefined);
    await open?.close();
  }

  /** Tools are opened on the first attempt and kept for the next ones (MCP servers stay up). */
  private openTools(): Promise<OpenTools> {
    if (!this.tools) {
      const opening = openTools(this.spec, this.manifest.file).catch((e: unknown) => {
        this.tools = undefined;
        throw BatonError.isInstance(e) && !e.retryable ? e : new UnrecoverableAgentError(`could not open the tools of agent '${this.spec.name}': ${(e as Error).message}`, { cause: e });
      });
      this.tools = opening;
    }
    return this.tools;
  }
}
