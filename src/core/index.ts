export * from './types.ts';
export type * from './events.ts';
export type * from './contracts.ts';
export * from './errors.ts';
export { reduceEvents, RunResultBuilder } from './reduce.ts';
export { newRunId, newAttemptId } from './ids.ts';
