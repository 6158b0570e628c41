import type { Logger } from 'batonjs/internal';
import type { Orchestrator } from 'batonjs/internal';
import type { RunService } from './run-service.ts';

/** Limits applied to requests. */
export interface ServerLimits {
  /** Largest accepted request body, in bytes. */
  maxBodyBytes: number;
  /** Longest accepted goal, in characters. */
  maxGoalLength: number;
  /** Interval of SSE heartbeat comments, in ms. */
  heartbeatMs: number;
  /** How often an SSE stream of a run executing elsewhere polls the store, in ms. */
  pollMs: number;
}

/** What every route handler is given. */
export interface ServerContext {
  orchestrator: Orchestrator;
  runs: RunService;
  logger: Logger;
  /** The API token; undefined when the API is open (loopback only). */
  token: string | undefined;
  limits: ServerLimits;
  /** Aborted when the server closes: open streams end. */
  closing: AbortSignal;
}
