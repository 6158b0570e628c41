import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { BatonErrorCode } from 'batonjs/internal';
import { BatonError, isJournalUnavailable } from 'batonjs/internal';

/**
 * Stable codes of API errors: the core's codes plus a few only HTTP has. Clients switch on
 * `error.code`; `error.message` tells a person what to do.
 */
export type ApiErrorCode =
  | BatonErrorCode
  | 'NOT_FOUND'
  | 'HOST_NOT_ALLOWED'
  | 'CROSS_SITE_REQUEST'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RUN_ENDED'
  | 'RUN_NOT_HERE'
  | 'SHUTTING_DOWN';

/** The body of every error response. */
export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; details?: unknown };
}

/** `Error.stackTraceLimit` as it was before an ApiError was made: restored once its `Error` is. */
let stackTraceLimit = Error.stackTraceLimit;

/** `message`, with no stack collected for the error made of it next (see {@link ApiError}). */
function withoutStack(message: string): string {
  // Made a string first: nothing may run (and throw, or make another ApiError) while the limit is 0.
  const text = String(message);
  stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return text;
}

/**
 * An error with an HTTP status, a stable code and a message for the client. It has no stack: it
 * only ever becomes a response (see {@link errorResponse}), and collecting the stack cost a POST
 * refused by its body's check ~5-10% of what the server spends on it.
 */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: ApiErrorCode;
  readonly details?: unknown;

  constructor(status: ContentfulStatusCode, code: ApiErrorCode, message: string, details?: unknown) {
    // The limit is 0 only while Error's own constructor runs, which cannot throw.
    super(withoutStack(message));
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const STATUS_OF: Partial<Record<BatonErrorCode, ContentfulStatusCode>> = {
  BAD_REQUEST: 400,
  MANIFEST_INVALID: 400,
  PLAN_INVALID: 422,
  GOAL_UNSATISFIABLE: 422,
  GOAL_REFUSED: 422,
  SUITE_INVALID: 400,
  AGENT_VERSION_REFUSED: 422,
  RUN_FENCED: 409,
  UNAUTHORIZED: 401,
  RUN_NOT_FOUND: 404,
  AGENT_NOT_FOUND: 404,
  RUN_NOT_RESUMABLE: 409,
  NOT_AWAITING_APPROVAL: 409,
  RUN_RUNNING: 409,
};

/** How long a client is asked to wait (`Retry-After`, seconds) before it asks again of a journal it could not reach. */
export const JOURNAL_RETRY_AFTER_S = 5;

/**
 * 503 JOURNAL_UNAVAILABLE with `Retry-After`: the run journal's database is down or not answering,
 * and the same request may succeed later. What failed, and where, stays in the server's log.
 */
export function journalUnavailable(c: Context): Response {
  c.header('Retry-After', String(JOURNAL_RETRY_AFTER_S));
  return sendError(
    c,
    503,
    'JOURNAL_UNAVAILABLE',
    `the run journal cannot be reached now (its database is down or does not answer): try again in ${JOURNAL_RETRY_AFTER_S} s`,
  );
}

/** Sends an error as JSON. */
export function sendError(c: Context, status: ContentfulStatusCode, code: ApiErrorCode, message: string, details?: unknown): Response {
  const body: ApiErrorBody = { error: details === undefined ? { code, message } : { code, message, details } };
  return c.json(body, status);
}

/**
 * Maps anything thrown by a handler to a JSON error. Known errors keep their code and message;
 * anything else becomes INTERNAL with a generic message: stack traces stay in the server log.
 */
export function errorResponse(c: Context, e: unknown): { response: Response; unexpected: boolean } {
  if (e instanceof ApiError) return { response: sendError(c, e.status, e.code, e.message, e.details), unexpected: false };
  if (isJournalUnavailable(e)) return { response: journalUnavailable(c), unexpected: false };
  if (BatonError.isInstance(e)) {
    const status = STATUS_OF[e.code];
    if (status) return { response: sendError(c, status, e.code, e.message, e.details), unexpected: false };
  }
  return { response: sendError(c, 500, 'INTERNAL', 'the server hit an unexpected error; it is logged on the server side'), unexpected: true };
}

/**
 * The answer to a request the HTTP layer could not make a Request of (no Host, a Host that is not
 * a host name, a malformed path), in the JSON every other error has. A Host problem is what the
 * host check would have refused (`hostsChecked`: the server has no token): 403 HOST_NOT_ALLOWED.
 */
export function unreadableRequest(e: unknown, hostsChecked: boolean): Response {
  const why = e instanceof Error ? e.message : 'the request could not be read';
  if (!(e instanceof Error) || e.name !== 'RequestError') {
    return Response.json({ error: { code: 'INTERNAL', message: 'the server failed to answer this request' } }, { status: 500 });
  }
  if (hostsChecked && /host header/i.test(why)) {
    const message = `the request's Host header is missing or not a host name (${why}): without BATON_API_TOKEN this server answers only requests to a loopback name (localhost, 127.0.0.1, [::1]); add the name with --allowed-hosts or BATON_ALLOWED_HOSTS (behind a reverse proxy), or set BATON_API_TOKEN`;
    return Response.json({ error: { code: 'HOST_NOT_ALLOWED', message } }, { status: 403 });
  }
  return Response.json({ error: { code: 'BAD_REQUEST', message: `the request cannot be read: ${why}` } }, { status: 400 });
}
