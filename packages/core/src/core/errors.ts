import { inspect, types } from 'node:util';
import { formatFileProblems } from './problem-list.ts';

const MARKER = Symbol.for('baton.error');

/** Stable error codes users can switch on. */
export type BatonErrorCode =
  | 'MANIFEST_INVALID'
  | 'MANIFEST_NOT_FOUND'
  | 'PLAN_INVALID'
  | 'GOAL_UNSATISFIABLE'
  | 'GOAL_REFUSED'
  | 'AGENT_NOT_FOUND'
  | 'AGENT_FAILED'
  | 'AGENT_VERSION_REFUSED'
  | 'AGENT_TIMEOUT'
  | 'OUTPUT_INVALID'
  | 'RUN_NOT_FOUND'
  | 'RUN_NOT_RESUMABLE'
  | 'RUN_RUNNING'
  | 'RUN_FENCED'
  | 'RUN_CANCELLED'
  | 'NOT_AWAITING_APPROVAL'
  | 'BUDGET_EXCEEDED'
  | 'MODEL_NOT_CONFIGURED'
  | 'BAD_REQUEST'
  | 'SUITE_INVALID'
  | 'UNAUTHORIZED'
  /** The run journal (its database) cannot be reached now, or did not answer in time: try again later. */
  | 'JOURNAL_UNAVAILABLE'
  | 'INTERNAL';

export interface BatonErrorOptions {
  runId?: string;
  /** False when trying again cannot help (bad input, bad manifest, cancelled run). */
  retryable?: boolean;
  cause?: unknown;
  /** Structured detail, e.g. the list of manifest problems. */
  details?: unknown;
  /**
   * How long the agent asked to wait before it is tried again (a remote's `Retry-After`): a retry
   * of the same agent waits at least this long, backoff notwithstanding. Longer than
   * {@link MAX_RETRY_AFTER_MS}, the agent is not retried (a fallback gets the task).
   */
  retryAfterMs?: number;
}

/** The longest wait a retry of the same agent honours (`retryAfterMs`); an agent asking for more is not retried. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * An HTTP `Retry-After` value (seconds, or an HTTP date) in ms from `now`, for
 * {@link BatonErrorOptions.retryAfterMs}; undefined when absent or unreadable.
 */
export function retryAfterHeaderMs(header: string | null | undefined, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The one error base of Baton. `code` is stable; `message` says what to do. The check
 * `BatonError.isInstance(e)` survives two copies of the package in one process.
 */
export class BatonError extends Error {
  readonly [MARKER] = true;
  readonly code: BatonErrorCode;
  readonly runId: string | undefined;
  readonly retryable: boolean;
  readonly details: unknown;
  readonly retryAfterMs: number | undefined;

  constructor(code: BatonErrorCode, message: string, options: BatonErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BatonError';
    this.code = code;
    this.runId = options.runId;
    this.retryable = options.retryable ?? true;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
  }

  static isInstance(e: unknown): e is BatonError {
    if (typeof e !== 'object' || e === null) return false;
    try {
      return (e as Record<symbol, unknown>)[MARKER] === true;
    } catch {
      // A revoked proxy or a throwing trap, thrown by an agent: not ours.
      return false;
    }
  }
}

/** One problem found in a manifest: where it is and what was expected. */
export interface ManifestProblem {
  file: string;
  /** Dotted field path, e.g. `agents.data.kind`. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

/** A manifest that cannot be used; `problems` lists every issue found, not just the first. */
export class ManifestError extends BatonError {
  readonly problems: ManifestProblem[];

  constructor(problems: ManifestProblem[]) {
    super('MANIFEST_INVALID', formatFileProblems('manifest', problems), { retryable: false, details: problems });
    this.name = 'ManifestError';
    this.problems = problems;
  }
}


/**
 * Thrown by an agent when trying again cannot help (bad input, missing permission): the ladder
 * skips the remaining retries of this agent and moves to its fallbacks.
 */
export class UnrecoverableAgentError extends BatonError {
  constructor(message: string, options: Omit<BatonErrorOptions, 'retryable'> = {}) {
    super('AGENT_FAILED', message, { ...options, retryable: false });
    this.name = 'UnrecoverableAgentError';
  }
}

/** Longest description of a thrown non-Error value kept in a message. */
const THROWN_VALUE_CHARS = 500;

/**
 * Short text of any thrown value, for journals and feedback. An Error gives its message; a string
 * is the message; anything else says what was thrown (`agent threw undefined`,
 * `agent threw a non-Error value: {"a":1}`), `thrower` naming who threw it. Never throws.
 */
export function errorMessage(e: unknown, thrower?: string): string {
  try {
    return describeThrown(e, thrower);
  } catch {
    // A revoked proxy, or an Error whose `message` or `name` getter throws.
    return `${thrower === undefined ? 'threw' : `${thrower} threw`} a value that cannot be read`;
  }
}

/**
 * `text` cut to `max` characters, saying how much was left out: an agent's error can be any size,
 * and each is kept in the journal, the RunResult and the next attempt's feedback.
 */
export function boundedText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

function describeThrown(e: unknown, thrower: string | undefined): string {
  // isNativeError also knows Errors made in another realm (a vm context), where instanceof fails.
  if (e instanceof Error || types.isNativeError(e)) {
    const error = e as Error;
    const { message } = error;
    if (typeof message === 'string' && message !== '') return message;
    const { name } = error;
    return `${typeof name === 'string' && name !== '' ? name : 'Error'} (without a message)`;
  }
  const threw = thrower === undefined ? 'threw' : `${thrower} threw`;
  if (typeof e === 'string') return e === '' ? `${threw} an empty string` : e;
  if (e === undefined || e === null) return `${threw} ${String(e)}`;
  if (typeof e === 'symbol') return `${threw} ${e.toString()}`;
  return `${threw} a non-Error value: ${describeValue(e)}`;
}

function describeValue(value: unknown): string {
  let text: string | undefined;
  try {
    if (typeof value !== 'bigint') text = JSON.stringify(value);
  } catch {
    // Cycles, throwing toJSON: inspect below says what it is.
  }
  if (text === undefined) {
    try {
      text = inspect(value, { depth: 2, breakLength: Infinity, maxStringLength: THROWN_VALUE_CHARS });
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > THROWN_VALUE_CHARS ? `${text.slice(0, THROWN_VALUE_CHARS)}…` : text;
}
