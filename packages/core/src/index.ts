/**
 * Baton: an orchestrator that plans a goal into a DAG of tasks, delegates each to a sub-agent,
 * validates every output, heals failures (retry with feedback, reassign, degrade) and integrates
 * the outputs into one deliverable, journaling every step.
 *
 * @packageDocumentation
 */
export * from './core/index.ts';
export { Orchestrator } from './orchestrator.ts';
export type { AwaitedDecision, CancelRequest, CloseOptions, DecisionOutcome, ListenOptions, OrchestratorOptions, ResumeOptions, RunOptions, RunHandle } from './orchestrator.ts';
export { buildRuntime } from './runtime/build-runtime.ts';
export type { Runtime, RuntimeOptions } from './runtime/build-runtime.ts';
export { TakeoverSweeper } from './execution/takeover.ts';
export { createOrchestrator } from './create-orchestrator.ts';
export type { CodeOrchestratorOptions } from './create-orchestrator.ts';
export { defineAgent } from './agents/define-agent.ts';
export type { AgentDefinition } from './agents/define-agent.ts';
export { AgentRegistry } from './agents/registry.ts';
// Straight from the files, not the folders' index.ts: those also hold what loads zod or yaml, which
// the main entry loads only on first use (a manifest read, a plan checked).
export { loadManifest, parseManifest, manifestFromObject } from './manifest/load.ts';
export { defineManifest } from './manifest/define.ts';
export { BuiltinPlanner } from './planning/builtin-planner.ts';
export { StaticPlanner } from './planning/static-planner.ts';
export { FixedPlanner } from './planning/fixed-planner.ts';
export { validatePlan, assertValidPlan, formatPlanProblems } from './planning/validate-plan.ts';
export { explainPlan } from './planning/explain-plan.ts';
export type { PlanProblem } from './planning/validate-plan.ts';
export type { PlanInput, TaskInput } from './planning/fixed-plan.ts';
export { candidateAgents } from './routing/index.ts';
// PostgreSQL lives in batonjs-scale (loaded by openStore only for postgres:// URLs).
export { MemoryRunStore, DEFAULT_MAX_FINISHED_EVENTS, DEFAULT_MAX_FINISHED_RUNS, SqliteRunStore, openStore, DEFAULT_DATABASE_FILE, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from './store/index.ts';
export type { MemoryRunStoreOptions, OpenStoreOptions, SqliteRunStoreOptions, SqliteMigration } from './store/index.ts';
export { deleteRunAndFiles, pruneRuns, supportsRetention } from './store/index.ts';
export type { DeletedRun, PruneOptions, PruneReport } from './store/index.ts';
export { openSqlite, sqliteErrorCode, sqliteAvailable } from './store/sqlite-driver.ts';
export { supportsOwnership } from './store/ownership.ts';
export type { SqliteDatabase, SqliteStatement, OpenSqliteOptions, SqlValue } from './store/sqlite-driver.ts';
export { Limiter } from './execution/limiter.ts';
export { collectArtifacts } from './integration/collect.ts';
export { checkOutput } from './validation/output-validator.ts';
