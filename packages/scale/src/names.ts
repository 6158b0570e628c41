import type { AgentInput } from 'batonjs/internal';

/**
 * Where Baton's BullMQ keys live in Redis: the queue of agent `data` is `baton:agent:data`
 * (its keys `baton:agent:data:wait`, `...:active`, `...:events`). BullMQ forbids ':' in a queue
 * name, so the `baton:agent` part is the BullMQ prefix and the agent name is the queue name.
 */
export const DEFAULT_PREFIX = 'baton:agent';

/** The pub/sub channel on which orchestrators ask workers to abort a job they gave up on. */
export function cancelChannel(prefix: string): string {
  return `${prefix}:cancel`;
}

/**
 * The key a worker renews while it lives (its heartbeat): `<prefix>:_heartbeat:<workerId>`.
 * Agent names cannot start with '_', so no queue's keys can clash with it.
 */
export function heartbeatKey(prefix: string, workerId: string): string {
  return `${prefix}:_heartbeat:${workerId}`;
}

/** The host part of a worker id (`<host>:<pid>:<tag>`). */
export function hostOfWorker(workerId: string): string {
  return workerId.split(':')[0] ?? workerId;
}

/** The BullMQ queue name of an agent (agent names match `^[a-z][a-z0-9_-]*$`). */
export function queueNameOf(agent: string): string {
  return agent;
}

/**
 * The BullMQ job id of one attempt: `<runId>.<taskId>.<n>`. It names the same attempt as the
 * journal's attempt id (`<runId>:<taskId>:<n>:<random>`) without its random tail, which the
 * agent input does not carry; BullMQ forbids ':' in job ids. Run ids, task ids (`^[a-z0-9-]+$`)
 * and attempt numbers contain no '.', so the id is unambiguous.
 */
export function jobIdOf(input: Pick<AgentInput, 'runId' | 'attempt'> & { task: { id: string } }): string {
  return `${input.runId}.${input.task.id}.${input.attempt}`;
}

/** The job id of a journaled attempt id, or undefined if it does not have the expected shape. */
export function jobIdOfAttempt(attemptId: string): string | undefined {
  const parts = attemptId.split(':');
  if (parts.length < 4) return undefined;
  const runId = parts[0]!;
  const n = Number(parts[parts.length - 2]);
  const taskId = parts.slice(1, -2).join(':');
  if (!runId || !taskId || !Number.isInteger(n) || n < 1) return undefined;
  return jobIdOf({ runId, attempt: n, task: { id: taskId } });
}
