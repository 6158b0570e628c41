/**
 * A failed model call as a BatonError that says what failed: the HTTP status, the endpoint and a
 * short piece of the answer, also when the AI SDK retried first (its RetryError says only how many
 * calls it made, and the last error's own message is often just "Service Unavailable").
 */
import { APICallError, RetryError } from 'ai';
import { BatonError, errorMessage, retryAfterHeaderMs } from 'batonjs/internal';

/** What a failed model call is known by, kept in the BatonError's `details`. */
export interface ModelFailureDetails {
  /** The model id as written, e.g. `openai:gpt-4o-mini`. */
  model: string;
  statusCode?: number;
  /** The endpoint called, without its query string. */
  url?: string;
  /** The calls made, when the AI SDK retried. */
  attempts?: number;
}

/** Longest piece of a response body quoted in a message. */
const BODY_CHARS = 200;
/** Longest description of the failure (the model id and the key hint come on top). */
const FAILURE_CHARS = 600;

/** The errors {@link modelFailure} made, so their details are known for what they are. */
const made = new WeakMap<BatonError, ModelFailureDetails>();

/**
 * A model call's failure as a BatonError `AGENT_FAILED` that says what happened and whether to
 * retry, e.g. `model openai:gpt-4o call failed: Failed after 3 attempts. Last error: HTTP 503 from
 * https://api.example/v1/chat/completions: Service Unavailable: upstream overloaded`. Errors of an
 * aborted call and BatonErrors are returned unchanged.
 */
export function modelFailure(e: unknown, modelId: string, signal?: AbortSignal): unknown {
  if (signal?.aborted || BatonError.isInstance(e)) return e;
  const retried = RetryError.isInstance(e) ? e : undefined;
  const last: unknown = retried ? retried.lastError : e;
  const api = APICallError.isInstance(last) ? last : undefined;
  const details: ModelFailureDetails = { model: modelId };
  if (api?.statusCode !== undefined) details.statusCode = api.statusCode;
  if (api) details.url = withoutQuery(api.url);
  if (retried) details.attempts = retried.errors.length;
  const what = `${retried ? `Failed after ${retried.errors.length} attempts. Last error: ` : ''}${api ? describeApiCall(api) : errorMessage(last)}`;
  const hint = api?.statusCode === 401 || api?.statusCode === 403 ? '; check the API key in the environment' : '';
  const wait = api ? retryAfterMs(api) : undefined;
  const failure = new BatonError('AGENT_FAILED', `model ${modelId} call failed: ${cut(what, FAILURE_CHARS)}${hint}`, {
    retryable: api ? api.isRetryable : true,
    cause: e,
    details,
    // A rate-limited (429) or overloaded (503) server's wait: the next attempt waits at least this long.
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
  });
  made.set(failure, details);
  return failure;
}

/** The details of an error made by {@link modelFailure} (a failed model call); undefined for any other. */
export function modelFailureDetails(e: unknown): ModelFailureDetails | undefined {
  return BatonError.isInstance(e) ? made.get(e) : undefined;
}

/** `HTTP 503 from URL: message`, with the start of the body when the provider could not read it. */
function describeApiCall(e: APICallError): string {
  const where = withoutQuery(e.url);
  const from = e.statusCode === undefined ? where : `HTTP ${e.statusCode} from ${where}`;
  // `data` is set when the provider parsed the body: its message already says what the body said.
  const body = e.data === undefined ? oneLine(e.responseBody ?? '') : '';
  return `${from}: ${oneLine(e.message)}${body ? `: ${cut(body, BODY_CHARS)}` : ''}`;
}

/**
 * How long a 429 or 503 answer asks to wait, from `retry-after-ms` (OpenAI) or `retry-after`
 * (seconds, or an HTTP date); undefined when it says nothing readable.
 */
function retryAfterMs(e: APICallError, now = Date.now()): number | undefined {
  if (e.statusCode !== 429 && e.statusCode !== 503) return undefined;
  const headers = Object.fromEntries(Object.entries(e.responseHeaders ?? {}).map(([k, v]) => [k.toLowerCase(), v.trim()]));
  const ms = headers['retry-after-ms'];
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  return retryAfterHeaderMs(headers['retry-after'], now);
}

// A key passed as a query parameter must not reach journals and messages.
function withoutQuery(url: string): string {
  return url.replace(/[?#].*$/s, '');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function cut(text: string, max: number): string {
  const flat = oneLine(text);
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
