/** Distributed dispatch: BullMQ jobs on Redis, run by `baton worker` processes (see docs/scale-out.md). */
export { AgentWorker } from './agent-worker.ts';
export type { AgentWorkerOptions, WorkerHealth } from './agent-worker.ts';
export { REDIS_URL_ENV, redisOptions, resolveRedisUrl } from './connection.ts';
export { Dispatcher } from './dispatcher.ts';
export type { DispatcherOptions } from './dispatcher.ts';
export { serveHealth } from './health-server.ts';
export type { HealthServer } from './health-server.ts';
export { cancelChannel, DEFAULT_PREFIX, jobIdOf, jobIdOfAttempt, queueNameOf } from './names.ts';
export type { AttemptJobData, AttemptJobResult } from './payload.ts';
export { RemoteAgent } from './remote-agent.ts';
