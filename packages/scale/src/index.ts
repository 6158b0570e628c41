/** Scale-out: BullMQ jobs on Redis run by `baton worker` processes, and the PostgreSQL journal (see docs/scale-out.md). */
export { AgentWorker } from './agent-worker.ts';
export type { AgentWorkerOptions, WorkerHealth } from './agent-worker.ts';
export { REDIS_URL_ENV, redisOptions, resolveRedisUrl } from './connection.ts';
export { Dispatcher } from './dispatcher.ts';
export type { DispatcherOptions } from './dispatcher.ts';
export { serveHealth } from './health-server.ts';
export type { HealthServer } from './health-server.ts';
export { cancelChannel, cancelledKey, DEFAULT_PREFIX, heartbeatKey, jobIdOf, jobIdOfAttempt, QUEUE_PREFIX_ENV, queueNameOf, resolveQueuePrefix, workersKey } from './names.ts';
export { NO_WORKER_GRACE_MS } from './served-agents.ts';
export { HEARTBEAT_DEFAULTS } from './heartbeat.ts';
export type { AttemptJobData, AttemptJobResult } from './payload.ts';
export { RemoteAgent } from './remote-agent.ts';
export { createBullmqDispatch } from './bullmq-dispatch.ts';
export { workerCommand, parseConcurrency } from './worker-command.ts';
export type { WorkerCommandOptions } from './worker-command.ts';
export { PostgresRunStore, POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION, openPostgresStore } from './postgres/index.ts';
export type { PostgresRunStoreOptions, PostgresMigration } from './postgres/index.ts';
