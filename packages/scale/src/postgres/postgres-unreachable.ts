/** Node's socket and name-lookup errors that mean the server cannot be reached now. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * SQLSTATEs of a server that is going away, starting up or full: class 08 (connection exception),
 * admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections.
 */
const SERVER_GONE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * node-postgres's own errors for a connection lost, not made in time, or a query not answered in
 * time (`query_timeout`), and pg-pool's for a pool whose connections all stayed busy.
 */
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /^timeout expired$/,
  /^timeout exceeded when trying to connect$/,
  /^Query read timeout$/,
  /^Client has encountered a connection error and is not queryable$/,
];

/**
 * True when `e`, thrown by node-postgres, says the database could not be reached or did not answer
 * in time, so the same query may succeed later; false for what the query itself did wrong.
 */
export function postgresUnreachable(e: unknown, depth = 0): boolean {
  if (typeof e !== 'object' || e === null || depth > 4) return false;
  const { code, message, errors, cause } = e as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('08') || SERVER_GONE_STATES.has(code))) return true;
  if (typeof message === 'string' && DRIVER_MESSAGES.some((m) => m.test(message))) return true;
  // Node tries each address of a name (localhost: ::1 and 127.0.0.1) and throws an AggregateError of them all.
  if (Array.isArray(errors) && errors.length > 0 && errors.every((inner) => postgresUnreachable(inner, depth + 1))) return true;
  return cause !== undefined && postgresUnreachable(cause, depth + 1);
}
