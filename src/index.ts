/**
 * Baton: an orchestrator that plans a goal into a DAG of tasks, delegates each to a sub-agent,
 * validates every output, heals failures (retry with feedback, reassign, degrade) and integrates
 * the outputs into one deliverable, journaling every step.
 *
 * @packageDocumentation
 */
export * from './core/index.ts';
export { Orchestrator } from './orchestrator.ts';
export type { OrchestratorOptions, RunOptions, RunHandle } from './orchestrator.ts';
export { createOrchestrator } from './create-orchestrator.ts';
export type { CodeOrchestratorOptions } from './create-orchestrator.ts';
export { defineAgent } from './agents/define-agent.ts';
export type { AgentDefinition } from './agents/define-agent.ts';
export { AgentRegistry } from './agents/registry.ts';
export { loadManifest, parseManifest, manifestFromObject, defineManifest } from './manifest/index.ts';
export { BuiltinPlanner, validatePlan, assertValidPlan, explainPlan } from './planning/index.ts';
export { candidateAgents } from './routing/index.ts';
// PostgreSQL lives at 'baton/postgres' (and is loaded by openStore only for postgres:// URLs).
export { MemoryRunStore } from './store/memory-store.ts';
export { SqliteRunStore } from './store/sqlite-store.ts';
export { openStore } from './store/open-store.ts';
export { Limiter } from './execution/limiter.ts';
export { collectArtifacts } from './integration/collect.ts';
export { checkOutput } from './validation/output-validator.ts';
