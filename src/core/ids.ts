import { randomBytes } from 'node:crypto';

/** A sortable, unique run id: `r_` + time (base36) + random. */
export function newRunId(): string {
  return `r_${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
}

/** A unique attempt id: results carrying an attempt id the orchestrator gave up on are ignored. */
export function newAttemptId(runId: string, taskId: string, n: number): string {
  return `${runId}:${taskId}:${n}:${randomBytes(3).toString('hex')}`;
}
