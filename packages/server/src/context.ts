import type { Logger } from 'batonjs/internal';
import type { Orchestrator } from 'batonjs/internal';
import type { RunService } from './run-service.ts';

/** Limits applied to requests. */
export interface ServerLimits {
  /** Largest accepted request body of the `/v1` API, in bytes (default 64 KiB). */
  maxBodyBytes: number;
  /**
   * Largest accepted JSON-RPC body at `/a2a`, in bytes (default 4 MiB): a Baton that uses this one
   * as a `kind: a2a` sub-agent sends its task's input artifacts along with the goal.
   */
  maxA2aBodyBytes: number;
  /** Longest accepted goal, in characters. */
  maxGoalLength: number;
  /** Interval of SSE heartbeat comments, in ms. */
  heartbeatMs: number;
  /** How often an SSE stream of a run executing elsewhere polls the store, in ms. */
  pollMs: number;
  /**
   * Longest a client may take to send a whole request, headers and body, in ms (default 60 s; 0:
   * no limit but the headers' 30 s): a client that never finishes its body would hold its
   * connection for good. The headers must come within 30 s, or this if shorter. An SSE stream is
   * not bounded by it: its request is whole as soon as it is sent.
   */
  requestTimeoutMs: number;
  /**
   * Longest a client may leave unread what the server has to send it, in ms (default 60 s; 0: no
   * limit): a connection with more waiting than it may buffer, of which nothing was written for
   * this long, is closed. It frees the event streams of clients that stopped reading; a stream
   * that is only quiet is never closed by it, nor one whose client takes more than about a third
   * of the socket's send buffer in that time.
   */
  writeStallMs: number;
}

/** What every route handler is given. */
export interface ServerContext {
  orchestrator: Orchestrator;
  runs: RunService;
  logger: Logger;
  /** The API token; undefined when the API is open (loopback only). */
  token: string | undefined;
  /**
   * Host names served besides loopback ones, when the server has no token (against DNS
   * rebinding); undefined when any Host is served (the server has a token).
   */
  allowedHosts: readonly string[] | undefined;
  limits: ServerLimits;
  /** Aborted when the server closes. */
  closing: AbortSignal;
  /**
   * Calls `listener` once, when the server starts closing (open streams end then); returns its
   * removal. A set of its own rather than the signal's listeners: Node's EventTarget walks all of
   * them on each add and remove, and every open event stream adds one.
   */
  onClosing(listener: () => void): () => void;
}
