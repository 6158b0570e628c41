import type { AgentInput } from 'batonjs/internal';
import { BatonError } from 'batonjs/internal';

/**
 * Where Baton's BullMQ keys live in Redis: the queue of agent `data` is `baton:agent:data`
 * (its keys `baton:agent:data:wait`, `...:active`, `...:events`). BullMQ forbids ':' in a queue
 * name, so the `baton:agent` part is the BullMQ prefix and the agent name is the queue name.
 */
export const DEFAULT_PREFIX = 'baton:agent';

/** The environment variable that sets the queue prefix (the flag is `--queue-prefix`). */
export const QUEUE_PREFIX_ENV = 'BATON_QUEUE_PREFIX';

/**
 * `prefix` if it can be a queue prefix (non-empty, no whitespace), else a BAD_REQUEST naming
 * `source` (the flag, variable or option it came from).
 */
export function checkQueuePrefix(prefix: string, source: string): string {
  if (/^\S+$/.test(prefix)) return prefix;
  throw new BatonError('BAD_REQUEST', `${source} must be a non-empty queue prefix without whitespace (e.g. ${DEFAULT_PREFIX} or acme:agent); got '${prefix}'`, { retryable: false });
}

/**
 * The queue prefix of a process: `explicit` (`--queue-prefix`), else BATON_QUEUE_PREFIX, else
 * `baton:agent`. Projects sharing one Redis give each a prefix of its own; a project's
 * orchestrators and workers must use the same one.
 */
export function resolveQueuePrefix(explicit?: string, env: Record<string, string | undefined> = process.env): string {
  if (explicit !== undefined) return checkQueuePrefix(explicit, '--queue-prefix');
  const fromEnv = env[QUEUE_PREFIX_ENV];
  // Set but empty (`BATON_QUEUE_PREFIX=`) reads as unset, as for BATON_REDIS_URL.
  return fromEnv === undefined || fromEnv.trim() === '' ? DEFAULT_PREFIX : checkQueuePrefix(fromEnv, QUEUE_PREFIX_ENV);
}

/** The pub/sub channel on which orchestrators ask workers to abort a job they gave up on. */
export function cancelChannel(prefix: string): string {
  return `${prefix}:cancel`;
}

/**
 * The key that records, for a while, that orchestrators asked workers to abort job `jobId`:
 * `<prefix>:_cancelled:<jobId>`. The cancel channel is fire-and-forget (a worker whose subscriber
 * was reconnecting misses a message); a worker reads these keys for the jobs it runs, so it misses
 * no cancel. Agent names cannot start with '_', so no queue's keys can clash with it.
 */
export function cancelledKey(prefix: string, jobId: string): string {
  return `${prefix}:_cancelled:${jobId}`;
}

/**
 * The key a worker renews while it lives (its heartbeat): `<prefix>:_heartbeat:<workerId>`.
 * Agent names cannot start with '_', so no queue's keys can clash with it.
 */
export function heartbeatKey(prefix: string, workerId: string): string {
  return `${prefix}:_heartbeat:${workerId}`;
}

/**
 * The set of the ids of the workers that heartbeat (`<prefix>:_workers`), renewed with every beat:
 * orchestrators list the live workers, and the agents they serve, without scanning the keyspace.
 */
export function workersKey(prefix: string): string {
  return `${prefix}:_workers`;
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
