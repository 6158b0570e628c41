/**
 * What Baton's own optional packages (batonjs-server, -scale, -llm, -telemetry) use of the core
 * beyond its public entry. Not a stable API: it changes with any release, and those packages pin
 * the exact core version they were built with.
 *
 * @packageDocumentation
 */
export * from './index.ts';
export { importOptional } from './core/optional.ts';
export { SlotMap } from './core/slot-map.ts';
export { reshapesRun } from './core/reduce.ts';
export type { ExtraCheck, LlmOptions, LlmPackage, ModelResolver, RubricJudge, RubricVerdict, ScalePackage, ServerPackage, TelemetryPackage } from './core/optional.ts';
export { createLogger, logRunEvents } from './observability/logger.ts';
export type { Logger, LoggerOptions } from './observability/logger.ts';
export { openJournal, readManifest } from './cli/context.ts';
export { reportError } from './cli/report-error.ts';
export type { CommonOptions } from './cli/context.ts';
export { EXIT, exitCodeFor } from './cli/exit-codes.ts';
export { createDispatch, redisUrlFrom, REDIS_URL_ENV } from './cli/dispatch-choice.ts';
export type { Dispatch } from './cli/dispatch-choice.ts';
export { createJudgeIfNeeded, createPlanner } from './cli/planner-choice.ts';
export { hasJudgedChecks } from './manifest/rubric-checks.ts';
export { checkReplanProgress, renameReusedIds } from './planning/replan-rules.ts';
export * from './store/journal-rules.ts';
export { RUN_COLUMNS, recordFromRow } from './store/sql-rows.ts';
export { eventJson } from './store/event-json.ts';
export type { RunRow } from './store/sql-rows.ts';
export { AgentVersionError, verifyAgentVersion } from './agents/version-pin.ts';
export { warmUp } from './agents/warm-up.ts';
export { AGENT_CLOSE_MS, closeAgents } from './agents/agent-pool.ts';
export { untilAborted, within } from './core/within.ts';
export type { Bounded } from './core/within.ts';
export type { VersionVerdict } from './agents/version-pin.ts';
export { excludedByGoal } from './planning/exclusions.ts';
export { goalRefused } from './planning/goal-refusal.ts';
export { WORKFLOW_NOT_A_NAME } from './planning/run-plan.ts';
export { AGENT_TOKEN_VAR, killAgentProcesses, newAgentToken } from './agents/orphan-sweep.ts';
export { describeBytes, jsonSizeAtLeast, outputAsJson, outputTooLarge } from './validation/output-size.ts';
export { kindOf } from './validation/output-validator.ts';
export { retentionOf } from './store/retention.ts';
export { parseDuration } from './cli/arguments.ts';
export { checkedUsage } from './core/usage-check.ts';
export { MAX_TIMER_MS } from './core/defaults.ts';
export { resultCopy } from './validation/json-copy.ts';
