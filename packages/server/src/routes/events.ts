import { Hono } from 'hono';
import type { RunEvent } from 'batonjs/internal';
import type { ServerContext } from '../context.ts';
import type { RunEventReader } from '../run-service.ts';
import { ApiError } from '../http-errors.ts';
import { outgoingOf } from '../node-bindings.ts';
import { SseResponse } from '../sse-response.ts';
import { runIdParam, SEQ } from '../validation.ts';

/** The seq after which to resume: the Last-Event-ID header, else `?lastEventId=`, else 0 (see {@link SEQ}). */
function resumeAfter(header: string | undefined, query: string | undefined): number {
  const raw = header ?? query;
  if (raw === undefined || raw === '') return 0;
  if (!SEQ.test(raw)) {
    throw new ApiError(400, 'BAD_REQUEST', `Last-Event-ID must be the seq of the last event received, in decimal digits only (at most 15, no sign, spaces or exponent); got ${JSON.stringify(raw.slice(0, 40))}`);
  }
  return Number(raw);
}

/**
 * `GET /v1/runs/:id/events`: Server-Sent Events. `id:` is the event's seq, `event:` its type and
 * `data:` the event as JSON. The stream replays the journal after Last-Event-ID, then goes live,
 * with no gap and no duplicate: it subscribes before reading the journal, buffers what arrives
 * meanwhile and skips seqs already sent. It ends after `run.ended`; comments keep it alive.
 *
 * It sends only events the journal holds (it listens to stored events): an event the store
 * refused, because another process took the run over, would fork the client's history from the
 * journal's, where the new owner writes its own events under the same seqs. Once the run stops
 * executing here the stream follows it in the journal, from the last seq sent.
 */
export function eventRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.get('/runs/:id/events', async (c) => {
    const runId = runIdParam(c);
    const after = resumeAfter(c.req.header('last-event-id'), c.req.query('lastEventId'));
    const inbox: Inbox = { events: [], wake: undefined };
    const unsubscribe = ctx.orchestrator.on(
      (e) => {
        inbox.events.push(e);
        inbox.wake?.();
      },
      { runId, stored: true },
    );
    try {
      if (!(await ctx.runs.exists(runId))) throw new ApiError(404, 'RUN_NOT_FOUND', `no run ${runId}: list runs with GET /v1/runs`);
    } catch (e) {
      unsubscribe();
      throw e;
    }
    const stream = new SseResponse(outgoingOf(c));
    if (c.req.method === 'HEAD') {
      unsubscribe();
      stream.end();
      return alreadySent();
    }
    void follow(ctx, runId, after, stream, inbox)
      .catch(async (e: unknown) => {
        // An event that cannot be sent (its artifacts unreadable, no JSON form) ends the stream
        // with an `error` event after the events before it, as Hono's streamSSE ended it.
        ctx.logger.warn({ runId, err: e }, 'event stream failed');
        await stream.write(sseError(e instanceof Error && typeof e.message === 'string' ? e.message : 'the event stream failed'));
      })
      .finally(() => {
        unsubscribe();
        stream.end();
      })
      // Nothing is left to tell: the failure is logged, and the client has the error event.
      .catch(() => undefined);
    return alreadySent();
  });
  return app;
}

/** The run's events told to a stream while it was busy writing, and how to wake it when it waits. */
interface Inbox {
  events: RunEvent[];
  wake: (() => void) | undefined;
}

/**
 * What the handler returns once it writes the response itself: the Node adapter then leaves the
 * response alone. A new one each time: the app's middleware sets headers on what a handler returns.
 */
function alreadySent(): Response {
  return new Response(null, { headers: { 'x-hono-already-sent': 'true' } });
}

/**
 * Writes the run's events after `after` to `stream`: the journal's first, then those `inbox`
 * receives, until `run.ended` is sent, the client goes away or the server closes.
 */
async function follow(ctx: ServerContext, runId: string, after: number, stream: SseResponse, inbox: Inbox): Promise<void> {
  // However it is aborted (the client gone, the server closing), a stream that sleeps wakes to end.
  stream.onAbort(() => inbox.wake?.());
  const stopOnClose = ctx.onClosing(() => stream.abort());
  let ended = false;
  // While the run executes here the stream sleeps until an event comes: it is woken when the
  // run stops here without ending too (taken over), to go on from the journal at once.
  let unwatchStop: (() => void) | undefined;
  const wakeWhenStoppedHere = (): void => {
    unwatchStop ??= ctx.runs.onStopHere(runId, () => {
      unwatchStop = undefined;
      inbox.wake?.();
    });
  };
  const reader = ctx.runs.eventReader(runId);
  // The events of one send go out in one write (flushed every ~WRITE_CHARS): a write per
  // event cost a socket write each.
  const send = async (events: RunEvent[]): Promise<void> => {
    let text = '';
    let last = after;
    let endedInText = false;
    const flush = async (): Promise<void> => {
      if (text === '' || stream.aborted) return;
      await stream.write(text);
      text = '';
      after = last;
      if (endedInText) ended = true;
    };
    try {
      for (const e of events) {
        if (stream.aborted) return;
        if (e.seq <= last) continue;
        const sent = e.type === 'run.ended' && e.artifactRefs ? await withArtifacts(reader, e) : e;
        text += sseMessage(e, JSON.stringify(sent));
        last = e.seq;
        if (e.type === 'run.ended') endedInText = true;
        if (text.length >= WRITE_CHARS) await flush();
      }
    } finally {
      // An event that cannot be sent fails the stream after the events before it: none is lost.
      await flush();
    }
  };
  try {
    // The head goes out with the replay's first write, or alone at the next turn when the replay
    // is empty or slow: a client learns at once that its stream is open.
    setImmediate(() => stream.flushHead());
    await send(await reader.eventsAfter(after));
    let lastWrite = Date.now();
    while (!ended && !stream.aborted) {
      if (inbox.events.length > 0) {
        const batch = inbox.events.splice(0);
        const first = batch.find((e) => e.seq > after);
        // Events journaled between the replay and the subscription: fetch them first.
        if (first && first.seq > after + 1) await send((await reader.eventsAfter(after)).filter((e) => e.seq < first.seq));
        await send(batch);
        lastWrite = Date.now();
        continue;
      }
      if (await ctx.runs.finished(runId)) {
        await send(await reader.eventsAfter(after));
        break;
      }
      const local = ctx.runs.runsHere(runId);
      if (local) wakeWhenStoppedHere();
      const waitMs = local ? ctx.limits.heartbeatMs - (Date.now() - lastWrite) : Math.min(ctx.limits.pollMs, ctx.limits.heartbeatMs - (Date.now() - lastWrite));
      // No await between this check and arming `wake`: an event cannot slip in unnoticed.
      if (inbox.events.length === 0 && !stream.aborted && waitMs > 0) await sleepUntilWoken(waitMs, (w) => (inbox.wake = w));
      inbox.wake = undefined;
      if (stream.aborted || inbox.events.length > 0) continue;
      if (!local) {
        const before = after;
        await send(await reader.eventsAfter(after));
        if (after !== before) lastWrite = Date.now();
      }
      if (Date.now() - lastWrite >= ctx.limits.heartbeatMs) {
        await stream.write(': heartbeat\n\n');
        lastWrite = Date.now();
      }
    }
  } finally {
    reader.close();
    unwatchStop?.();
    stopOnClose();
  }
}

/**
 * `run.ended` as clients have always received it: the journal names the tasks whose outputs hold
 * the artifacts (`artifactRefs`) instead of copying them; the stream sends the artifacts.
 */
async function withArtifacts(reader: RunEventReader, e: Extract<RunEvent, { type: 'run.ended' }>): Promise<RunEvent> {
  const result = await reader.result();
  if (!result || result.status === 'running') return e;
  const { artifactRefs: _refs, ...rest } = e;
  return { ...rest, deliverable: result.deliverable };
}

/**
 * A stream's text is written once it holds this many characters: a replay of a large run goes out
 * in parts, as the client reads (an event longer than that goes out whole).
 */
const WRITE_CHARS = 64 * 1024;

/**
 * One event in the text/event-stream format, as Hono's `writeSSE` writes it (`event:`, `data:`,
 * `id:`). Its data is one line: JSON.stringify writes no line break (those in strings are escaped).
 * Refused as `writeSSE` refused it: a type holding a line break would start fields of its own.
 */
function sseMessage(e: RunEvent, json: string | undefined): string {
  if (typeof json !== 'string') throw new Error(`event ${e.seq} of the run has no JSON form: it cannot be sent`);
  if (e.type.includes('\n') || e.type.includes('\r')) throw new Error(`event ${e.seq} of the run has a type with a line break: it cannot be sent`);
  return `event: ${e.type}\ndata: ${json}\nid: ${e.seq}\n\n`;
}

/** The `error` event that ends a failed stream, as Hono's `writeSSE` wrote it: a `data:` line per line of `message`. */
function sseError(message: string): string {
  return `event: error\n${message
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`;
}

function sleepUntilWoken(ms: number, setWake: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    setWake(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
