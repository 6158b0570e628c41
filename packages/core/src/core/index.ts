export * from './types.ts';
export type * from './events.ts';
export { EVENT_SCHEMA_VERSION, RUN_EVENT_TYPES } from './events.ts';
export type * from './contracts.ts';
export * from './errors.ts';
export { reduceEvents, RunResultBuilder } from './reduce.ts';
export { newRunId, newAttemptId } from './ids.ts';
export { DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_POLICY, resolvePolicy } from './defaults.ts';
