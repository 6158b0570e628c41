import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Role, TaskState } from '@a2a-js/sdk';
import type { Message, Part, SendMessageRequest, StreamResponse, Task, TaskArtifactUpdateEvent } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, RestTransportFactory } from '@a2a-js/sdk/client';
import type { Client } from '@a2a-js/sdk/client';
import type { Agent, AgentContext, AgentFactory } from 'batonjs/internal';
import { BatonError, errorMessage, MAX_RETRY_AFTER_MS, retryAfterHeaderMs, UnrecoverableAgentError } from 'batonjs/internal';
import type { AgentInput, AgentOutput, AgentSpec } from 'batonjs/internal';

/** How long reading a remote agent card may take. */
const CARD_TIMEOUT_MS = 10_000;
/** How long the `tasks/cancel` sent after an abort may take. */
const CANCEL_TIMEOUT_MS = 5_000;
/** How often the task of a remote that does not stream is read while it is under way. */
const POLL_MS = 500;
/** The `env` entry of an a2a agent whose value is sent as `Authorization: Bearer <value>`. */
export const A2A_TOKEN_ENV = 'A2A_TOKEN';
/**
 * The `env` entry of an a2a agent listing, comma- or space-separated, the origins besides its
 * `url`'s that may receive its token (an agent card may name endpoints on other hosts).
 */
export const A2A_TOKEN_ORIGINS_ENV = 'A2A_TOKEN_ORIGINS';

/** A structured-data part (the JSON payload of Baton's agent I/O). */
export function dataPart(value: unknown): Part {
  return { content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: 'application/json' };
}

/** A text part. */
export function textPart(text: string): Part {
  return { content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' };
}

/** The values of a list of parts' DataParts. */
export function dataOf(parts: readonly Part[] | undefined): unknown[] {
  return (parts ?? []).flatMap((p) => (p.content?.$case === 'data' ? [p.content.value as unknown] : []));
}

/** The text of a list of parts' TextParts, joined. */
export function textOf(parts: readonly Part[] | undefined): string {
  return (parts ?? [])
    .flatMap((p) => (p.content?.$case === 'text' ? [p.content.value] : []))
    .join('\n')
    .trim();
}

/** A user message carrying one DataPart (DESIGN section 4). */
export function userDataMessage(value: unknown): Message {
  return { messageId: randomUUID(), contextId: '', taskId: '', role: Role.ROLE_USER, parts: [dataPart(value)], metadata: {}, extensions: [], referenceTaskIds: [] };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads an agent output from DataParts: an artifact named after an artifact type gives that type;
 * otherwise object DataParts are merged. When the merge names some of the produced types, only
 * those are kept (a remote Baton also sends a run summary alongside its deliverable).
 */
export function outputFromData(produces: readonly string[], named: { name: string; values: unknown[] }[]): AgentOutput {
  const out: AgentOutput = {};
  for (const { name, values } of named) {
    if (produces.includes(name) && values.length > 0) {
      out[name] = values.length === 1 ? values[0] : values;
      continue;
    }
    for (const v of values) if (isRecord(v)) Object.assign(out, v);
  }
  const known = Object.keys(out).filter((k) => produces.includes(k));
  if (known.length === 0) return out;
  return Object.fromEntries(known.map((k) => [k, out[k]]));
}

const STATE_TEXT: Partial<Record<TaskState, string>> = {
  [TaskState.TASK_STATE_FAILED]: 'failed',
  [TaskState.TASK_STATE_REJECTED]: 'rejected the task',
  [TaskState.TASK_STATE_CANCELED]: 'cancelled the task',
  [TaskState.TASK_STATE_INPUT_REQUIRED]: 'asked for more input, which an orchestrated sub-agent cannot get',
  [TaskState.TASK_STATE_AUTH_REQUIRED]: 'asked for authentication (set env.A2A_TOKEN on the agent)',
};

/** Collects what a remote task sends until it ends. */
class RemoteTask {
  id: string | undefined;
  state: TaskState | undefined;
  statusText = '';
  reply: Message | undefined;
  readonly artifacts = new Map<string, { name: string; parts: Part[] }>();

  onTask(task: Task): void {
    this.id = task.id;
    this.onStatus(task.status?.state, task.status?.message);
    for (const a of task.artifacts) this.artifacts.set(a.artifactId, { name: a.name, parts: [...a.parts] });
  }

  onStatus(state: TaskState | undefined, message: Message | undefined): void {
    if (state !== undefined) this.state = state;
    const text = textOf(message?.parts);
    if (text) this.statusText = text;
    if (message && dataOf(message.parts).length > 0) this.reply = message;
  }

  onArtifact(update: TaskArtifactUpdateEvent): void {
    const a = update.artifact;
    if (!a) return;
    const existing = this.artifacts.get(a.artifactId);
    if (existing && update.append) existing.parts.push(...a.parts);
    else this.artifacts.set(a.artifactId, { name: a.name, parts: [...a.parts] });
  }

  finished(): boolean {
    return this.state !== undefined && this.state !== TaskState.TASK_STATE_SUBMITTED && this.state !== TaskState.TASK_STATE_WORKING;
  }

  /** Waiting for input or credentials, which an orchestrated sub-agent cannot give: the remote task lives on. */
  interrupted(): boolean {
    return this.state === TaskState.TASK_STATE_INPUT_REQUIRED || this.state === TaskState.TASK_STATE_AUTH_REQUIRED;
  }
}

/**
 * The error for a remote that refuses the request (401/403): which URL, and what to set. The SDK
 * would report the body of such an answer as a JSON-RPC error, often "An unexpected error occurred".
 */
function refusal(spec: AgentSpec, response: Response, token: 'sent' | 'withheld' | 'none'): UnrecoverableAgentError {
  const what = `${response.status} ${response.status === 401 ? 'Unauthorized' : 'Forbidden'} from ${response.url}`;
  const challenge = response.headers.get('www-authenticate');
  const asks = challenge ? ` (it asks for: ${challenge})` : '';
  const fix =
    token === 'sent'
      ? `it refused the token in env.${A2A_TOKEN_ENV} of agent '${spec.name}'${asks}: check that value (it is sent as Authorization: Bearer <token>)`
      : token === 'withheld'
        ? `it wants credentials${asks}, and the token in env.${A2A_TOKEN_ENV} of agent '${spec.name}' goes only to the origin of its url: if ${new URL(response.url).origin} (named by the agent card) may have it, add it to env.${A2A_TOKEN_ORIGINS_ENV}`
        : `it wants credentials${asks}: set env: { ${A2A_TOKEN_ENV}: "\${REMOTE_AGENT_TOKEN}" } on agent '${spec.name}' (sent as Authorization: Bearer <token>; the placeholder reads that variable from the environment)`;
  return new UnrecoverableAgentError(`${what}: ${fix}`);
}

/**
 * The origins an agent's token may be sent to: its url's, and those listed in
 * env.A2A_TOKEN_ORIGINS. An agent card is the remote's to write, and may name endpoints anywhere.
 */
function tokenOrigins(spec: AgentSpec, url: string): Set<string> {
  const origins = new Set([new URL(url).origin]);
  for (const entry of (spec.env?.[A2A_TOKEN_ORIGINS_ENV] ?? '').split(/[\s,]+/)) {
    if (entry === '') continue;
    let origin: string | undefined;
    try {
      const parsed = new URL(entry);
      // An origin alone: a path would read as a narrower grant than the whole origin it gives.
      const bare = parsed.pathname === '/' && parsed.search === '' && parsed.hash === '' && parsed.username === '' && parsed.password === '';
      if ((parsed.protocol === 'http:' || parsed.protocol === 'https:') && bare) origin = parsed.origin;
    } catch {
      // named below
    }
    if (!origin) {
      throw new BatonError('MANIFEST_INVALID', `agent '${spec.name}': env.${A2A_TOKEN_ORIGINS_ENV} holds '${entry}', which is not an http(s) origin (scheme, host and port, no path); expected origins such as https://api.example.com, separated by commas`, { retryable: false });
    }
    origins.add(origin);
  }
  return origins;
}

function requestUrl(input: string | URL | Request): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

/** A network error with its cause (undici's "fetch failed" or "terminated" say only that): `terminated (other side closed)`. */
function networkError(e: unknown): string {
  const cause = e instanceof Error && !BatonError.isInstance(e) ? (e.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const why = [cause?.code, cause?.message].filter((x): x is string => typeof x === 'string' && x !== '');
  return `${errorMessage(e)}${why.length > 0 ? ` (${[...new Set(why)].join(': ')})` : ''}`;
}


/** How much of the body of an HTTP error answer an attempt error quotes. */
const ERROR_BODY_CHARS = 300;

/**
 * The error for any other HTTP error answer to a call (429, 5xx, 404...): its status, URL,
 * Retry-After and the start of its body. The SDK reads a JSON body with an `error` member as a
 * JSON-RPC error and drops the status: a rate limiter's `{"error": "slow down"}` became "An
 * unexpected error occurred".
 */
async function httpFailure(response: Response): Promise<BatonError> {
  let body = '';
  try {
    const reader = response.body?.getReader();
    const decoder = new TextDecoder();
    while (reader && body.length < ERROR_BODY_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      body += decoder.decode(value, { stream: true });
    }
    await reader?.cancel();
  } catch {
    // The body is only quoted.
  }
  const text = body.replace(/\s+/g, ' ').trim();
  const retryAfter = response.headers.get('retry-after');
  const message = `${response.status} ${response.statusText || 'HTTP error'} from ${response.url}${retryAfter ? ` (Retry-After: ${retryAfter})` : ''}${text ? `: ${text.slice(0, ERROR_BODY_CHARS)}` : ''}`;
  // A busy remote (429, 503) that says when to come back: the retry waits that long, and one that
  // asks for longer than Baton waits is not retried on this agent (a fallback gets the task).
  const wait = response.status === 429 || response.status === 503 ? retryAfterHeaderMs(retryAfter) : undefined;
  if (wait !== undefined && wait > MAX_RETRY_AFTER_MS) return new UnrecoverableAgentError(`${message}; it asks to be tried again in ${Math.ceil(wait / 1000)} s, longer than the ${MAX_RETRY_AFTER_MS / 1000} s Baton waits`);
  return new BatonError('AGENT_FAILED', message, wait ? { retryAfterMs: wait } : {});
}

/** Reads `url`'s agent card; `url` is the agent's base URL or the card's own URL (…/agent-card.json). */
async function connect(spec: AgentSpec, origins: ReadonlySet<string>): Promise<Client> {
  const url = spec.url;
  if (!url) throw new BatonError('MANIFEST_INVALID', `agent '${spec.name}' is of kind a2a but has no url`, { retryable: false });
  const token = spec.env?.[A2A_TOKEN_ENV];
  const authFetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    const withheld = Boolean(token) && !origins.has(new URL(requestUrl(input)).origin);
    if (token && !withheld && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
    let response: Response;
    try {
      response = await fetch(input, { ...init, headers });
    } catch (e) {
      // "fetch failed" alone names neither the URL (the card's, which may not be the one
      // configured) nor why; an abort stays what it is.
      if (init?.signal?.aborted) throw e;
      throw new BatonError('AGENT_FAILED', `cannot reach ${requestUrl(input)}: ${networkError(e)}`, { cause: e });
    }
    if (response.status !== 401 && response.status !== 403) return response;
    await response.body?.cancel().catch(() => undefined);
    throw refusal(spec, response, withheld ? 'withheld' : token && headers.get('authorization') === `Bearer ${token}` ? 'sent' : 'none');
  };
  const cardFetch: typeof fetch = (input, init) => authFetch(input, { ...init, signal: AbortSignal.timeout(CARD_TIMEOUT_MS) });
  const rpcFetch: typeof fetch = async (input, init) => {
    const response = await authFetch(input, init);
    if (response.ok) return response;
    throw await httpFailure(response);
  };
  const isCard = /\.json($|\?)/.test(url);
  const base = isCard ? new URL('.', url).href : url.endsWith('/') ? url : `${url}/`;
  // Agents that still speak A2A 0.3 are reached through the SDK's compatibility layer.
  const legacyCompat = { enabled: true };
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      cardResolver: new DefaultAgentCardResolver({ fetchImpl: cardFetch, legacyCompat }),
      transports: [new JsonRpcTransportFactory({ fetchImpl: rpcFetch, legacyCompat }), new RestTransportFactory({ fetchImpl: rpcFetch, legacyCompat })],
    }),
  );
  try {
    return await factory.createFromUrl(base, isCard ? new URL(url).pathname : undefined);
  } catch (e) {
    throw failure(`agent '${spec.name}': cannot read the A2A agent card at ${url}: ${errorMessage(e)}`, e);
  }
}

/** An attempt failure with `message`; one that retrying cannot help (a refusal) stays so, and one that asks to wait (Retry-After) too. */
function failure(message: string, cause: unknown): BatonError {
  if (!BatonError.isInstance(cause)) return new BatonError('AGENT_FAILED', message, { cause });
  if (!cause.retryable) return new UnrecoverableAgentError(message, { cause });
  return new BatonError('AGENT_FAILED', message, { cause, ...(cause.retryAfterMs === undefined ? {} : { retryAfterMs: cause.retryAfterMs }) });
}

/**
 * The events of a message to a remote whose card says it does not stream: the task it returns at
 * once (`returnImmediately`), then that task read every {@link POLL_MS} until it is no longer
 * submitted or working. The SDK's own fallback sends a blocking request, which leaves Baton
 * without the task's id until the task is done: a timeout could not cancel it.
 */
async function* polled(remote: Client, request: SendMessageRequest, signal: AbortSignal): AsyncGenerator<StreamResponse> {
  const configuration = { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately: true };
  const first = await remote.sendMessage({ ...request, configuration }, { signal });
  if (!('status' in first)) return yield { payload: { $case: 'message', value: first } };
  yield { payload: { $case: 'task', value: first } };
  yield* followed(remote, first, signal);
}

/** `task` read again every {@link POLL_MS} while it is submitted or working, each reading an event. */
async function* followed(remote: Client, task: Task, signal: AbortSignal): AsyncGenerator<StreamResponse> {
  while (task.status?.state === TaskState.TASK_STATE_SUBMITTED || task.status?.state === TaskState.TASK_STATE_WORKING) {
    await delay(POLL_MS, undefined, { signal });
    task = await readTask(remote, task.id, signal);
    yield { payload: { $case: 'task', value: task } };
  }
}

async function readTask(remote: Client, id: string, signal: AbortSignal): Promise<Task> {
  const task = await remote.getTask({ tenant: '', id, historyLength: 0 }, { signal });
  // Another task's answer would be taken for this one's output.
  if (task.id !== id) throw new BatonError('AGENT_FAILED', `GetTask for task ${id} answered with task ${task.id || '(no id)'}`);
  return task;
}

/**
 * The SDK's SSE reader refuses an event over 4 MiB and cannot be told otherwise; `tasks/get`
 * answers in one JSON body, which it reads whole.
 */
const isOverSseLimit = (e: unknown): boolean => e instanceof Error && /exceeded the maximum allowed size of \d+ bytes/.test(e.message);

/**
 * The events of a message to a remote that streams. An event too large for the SDK's SSE reader
 * (an artifact of several MiB) ends the stream; the task, once its id is known, is then read with
 * `tasks/get` until it is done, so a large output is not a failure that every retry would repeat.
 */
async function* streamed(remote: Client, request: SendMessageRequest, signal: AbortSignal, taskId: () => string | undefined): AsyncGenerator<StreamResponse> {
  try {
    yield* remote.sendMessageStream(request, { signal });
  } catch (e) {
    const id = taskId();
    if (!isOverSseLimit(e) || signal.aborted) throw e;
    if (!id) throw new BatonError('OUTPUT_INVALID', `${errorMessage(e)}: the remote answered with one event this large before naming a task, so the answer cannot be read again with tasks/get; have it return a task (with its output as an artifact), or a smaller answer`, { cause: e, retryable: false });
    const task = await readTask(remote, id, signal);
    yield { payload: { $case: 'task', value: task } };
    yield* followed(remote, task, signal);
  }
}

/** Asks the remote agent to cancel its task, without waiting long for an answer. */
function cancelRemote(client: Client, taskId: string): void {
  client.cancelTask({ tenant: '', id: taskId, metadata: {} }, { signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) }).catch(() => undefined);
}

/**
 * A `kind: a2a` agent: a sub-agent in another process or organisation reached over the A2A
 * protocol (1.0, or 0.3 when its card says so). The agent card is read once from `url`. Each attempt sends the agent input as
 * one DataPart of a user message and streams the task (or polls it, when the card says the remote
 * does not stream); the output comes from the task's
 * DataPart artifacts, or from the reply message's DataPart. A failed or rejected remote task
 * fails the attempt with the remote's message; an abort (timeout, cancelled run) sends
 * `tasks/cancel` for the remote task and stops waiting at once.
 */
export function createA2aAgent(spec: AgentSpec): Agent {
  // A bad env.A2A_TOKEN_ORIGINS is the manifest's error: named when the agent is built, not per attempt.
  const origins = spec.url ? tokenOrigins(spec, spec.url) : new Set<string>();
  let client: Promise<Client> | undefined;
  let streams: Promise<boolean | undefined> | undefined;
  const getClient = (): Promise<Client> => {
    if (!client) {
      const connecting = connect(spec, origins);
      client = connecting;
      // Whether the remote streams, from the card read by connect() (an extended card is read once more).
      streams = connecting
        .then(async (c) => (await c.getAgentCard({ signal: AbortSignal.timeout(CARD_TIMEOUT_MS) })).capabilities?.streaming === true)
        .catch(() => undefined);
    }
    client.catch(() => (client = undefined));
    return client;
  };
  return {
    spec,
    async version() {
      const card = await (await getClient()).getAgentCard({ signal: AbortSignal.timeout(CARD_TIMEOUT_MS) });
      return card.version === '' ? undefined : card.version;
    },
    async run(input: AgentInput, ctx: AgentContext): Promise<AgentOutput> {
      const remote = await getClient();
      const streaming = await streams;
      const task = new RemoteTask();
      // The stream has its own controller: after an abort it may need to live on just long
      // enough to learn the remote task's id, so that task can be cancelled.
      const reading = new AbortController();
      let cancelWanted = false;
      let grace: NodeJS.Timeout | undefined;
      const cancelNow = (): void => {
        if (task.id && !task.finished()) cancelRemote(remote, task.id);
        reading.abort(ctx.signal.reason);
      };
      const onAbort = (): void => {
        if (task.id) return cancelNow();
        cancelWanted = true;
        grace = setTimeout(() => reading.abort(ctx.signal.reason), CANCEL_TIMEOUT_MS);
        grace.unref();
      };
      if (ctx.signal.aborted) throw ctx.signal.reason as Error;
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const request: SendMessageRequest = { tenant: '', message: userDataMessage(input), configuration: undefined, metadata: { batonRunId: input.runId, batonTaskId: input.task.id } };
        const stream = streaming === false ? polled(remote, request, reading.signal) : streamed(remote, request, reading.signal, () => task.id);
        for await (const event of stream) {
          const p = event.payload;
          if (!p) continue;
          if (p.$case === 'message') {
            task.reply = p.value;
            task.state ??= TaskState.TASK_STATE_COMPLETED;
          } else if (p.$case === 'task') task.onTask(p.value);
          else if (p.$case === 'statusUpdate') {
            task.id ??= p.value.taskId;
            task.onStatus(p.value.status?.state, p.value.status?.message);
          } else if (p.$case === 'artifactUpdate') task.onArtifact(p.value);
          if (cancelWanted && task.id) {
            cancelNow();
            break;
          }
          // Done, or waiting for what Baton cannot give. A server may keep the stream of an
          // interrupted task open (the SDK's does for auth-required): stop reading, and cancel the
          // task this attempt leaves behind.
          if (task.finished()) {
            if (task.interrupted() && task.id) cancelRemote(remote, task.id);
            break;
          }
        }
      } catch (e) {
        if (ctx.signal.aborted) throw ctx.signal.reason as Error;
        if (task.id && !task.finished()) cancelRemote(remote, task.id);
        throw failure(`remote A2A agent '${spec.name}' (${spec.url}): ${networkError(e)}`, e);
      } finally {
        clearTimeout(grace);
        ctx.signal.removeEventListener('abort', onAbort);
        // A stream left early (or ended) holds no connection open.
        reading.abort();
      }
      if (ctx.signal.aborted) throw ctx.signal.reason as Error;
      // The stream ended with the task still under way (a proxy cut it, a server that does not
      // stream to the end): nothing waits for it any more, so it is not left working beside a retry.
      if (task.id && !task.finished()) cancelRemote(remote, task.id);
      return readOutput(spec, task);
    },
  };
}

function readOutput(spec: AgentSpec, task: RemoteTask): AgentOutput {
  const state = task.state;
  if (state !== undefined && state !== TaskState.TASK_STATE_COMPLETED) {
    const what = STATE_TEXT[state] ?? `ended in state ${TaskState[state] ?? state}`;
    const message = `remote A2A agent '${spec.name}' ${what}${task.statusText ? `: ${task.statusText}` : ''}`;
    // A rejection or a demand for input will not change on a retry of the same agent.
    if (state === TaskState.TASK_STATE_REJECTED || state === TaskState.TASK_STATE_INPUT_REQUIRED || state === TaskState.TASK_STATE_AUTH_REQUIRED) throw new UnrecoverableAgentError(message);
    throw new BatonError('AGENT_FAILED', message);
  }
  const named = [...task.artifacts.values()].map((a) => ({ name: a.name, values: dataOf(a.parts) })).filter((a) => a.values.length > 0);
  if (named.length === 0 && task.reply) named.push({ name: '', values: dataOf(task.reply.parts) });
  if (named.length === 0) {
    throw new BatonError(
      'OUTPUT_INVALID',
      `remote A2A agent '${spec.name}' answered without a DataPart${task.statusText ? ` (it said: ${task.statusText.slice(0, 300)})` : ''}; it must return its output { ${spec.produces.join(', ')} } as a data part of an artifact or of its reply`,
    );
  }
  return outputFromData(spec.produces, named);
}

/** The factory registered for `kind: a2a`. */
export const a2aAgentFactory: AgentFactory = (spec) => createA2aAgent(spec);
export default a2aAgentFactory;
