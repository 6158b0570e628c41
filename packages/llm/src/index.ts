/**
 * LLM mode: models from `provider:name`, the LLM planner, `llm` agents, rubric judges. A separate
 * entry point so that programs without a model never load the AI SDK:
 * `import { LlmPlanner, createJudge, defineLlmAgent } from 'batonjs-llm'`.
 */
export { parseModelId, resolveModel, envModelResolver, PROVIDERS, DEFAULT_OLLAMA_URL } from './model-config.ts';
export type { ModelId, ModelResolver, ProviderName, ProviderOptions, ResolvedModel } from './model-config.ts';
export { createJudge, hasJudgedChecks } from './judge.ts';
export type { JudgeCheck, JudgeOptions } from './judge.ts';
export { DATA_RULE, quoteData } from './quote.ts';
export { structuredCall } from './structured-call.ts';
export type { StructuredCallOptions, StructuredReply } from './structured-call.ts';
export { LlmPlanner } from './planning/llm-planner.ts';
export type { LlmPlannerOptions } from './planning/llm-planner.ts';
export { createLlmAgent, createLlmAgentFactory, defineLlmAgent, DEFAULT_MAX_STEPS } from './llm-agent.ts';
export type { LlmAgentDefinition, LlmAgentOptions } from './llm-agent.ts';
export { openTools } from './tools/tool-set.ts';
export type { OpenTools } from './tools/tool-set.ts';
export { builtinTool, BUILTIN_TOOL_NAMES } from './tools/builtin-tools.ts';
export { createLlmPlanner, createJudgeIfNeeded, createRubricJudge } from './from-manifest.ts';
