import { randomBytes } from 'node:crypto';

/** A sortable, unique run id: `r_` + time (base36) + random. */
export function newRunId(): string {
  return `r_${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
}

// One random tag per process plus a counter: unique across processes without a syscall per attempt.
const processTag = randomBytes(4).toString('hex');
let attemptCounter = 0;

/** A unique attempt id: results carrying an attempt id the orchestrator gave up on are ignored. */
export function newAttemptId(runId: string, taskId: string, n: number): string {
  return `${runId}:${taskId}:${n}:${processTag}${(attemptCounter++).toString(36)}`;
}
