import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The head of every event stream: Hono's `streamSSE` sent these, and proxies must not buffer. */
const SSE_HEAD = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-store',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
} as const;

/**
 * The open streams of each connection, aborted when it closes: a response queued behind another
 * (HTTP pipelining) gets no close of its own when the client goes. One listener per connection,
 * however many streams it carries.
 */
const streamsOf = new WeakMap<Socket, Set<SseResponse>>();

function watchConnection(socket: Socket, stream: SseResponse): void {
  let streams = streamsOf.get(socket);
  if (!streams) {
    const open = new Set<SseResponse>();
    streamsOf.set(socket, (streams = open));
    socket.once('close', () => {
      for (const s of [...open]) s.abort();
    });
  }
  streams.add(stream);
}

/**
 * A Server-Sent Events response written to Node's `ServerResponse` directly. Through a web
 * `Response` each write crossed two WHATWG streams and the adapter's read loop before the socket:
 * on Node 20 that was most of what an event stream cost the server beside the socket itself.
 *
 * Writes never throw, as Hono's stream's did not: once the client has gone (the response closed)
 * or {@link abort} was called, they do nothing. A write the socket cannot take at once resolves
 * when it drains or closes, so a slow reader holds back its own stream and nothing else.
 */
export class SseResponse {
  readonly #res: ServerResponse;
  readonly #socket: Socket;
  #aborted = false;
  /** True once anything was written: the head went out with it. */
  #wrote = false;
  readonly #onAbort: (() => void)[] = [];
  /** Writes waiting for a drain: an abort lets them go. */
  readonly #drains = new Set<() => void>();
  readonly #abort = (): void => this.abort();

  /** Writes the head (200, `text/event-stream`) now; it is sent with the first write, or by {@link flushHead}. */
  constructor(res: ServerResponse) {
    this.#res = res;
    this.#socket = res.req.socket;
    res.once('close', this.#abort);
    watchConnection(this.#socket, this);
    // The client may have gone already, while the handler awaited: no close will come then.
    if (res.destroyed || this.#socket.destroyed) this.abort();
    res.writeHead(200, SSE_HEAD);
  }

  /** True once the client went away or {@link abort} was called: nothing more is written. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Calls `listener` once, when the stream is aborted. */
  onAbort(listener: () => void): void {
    this.#onAbort.push(listener);
  }

  /** Stops the stream: writes do nothing from now on, and the abort listeners are called. */
  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#res.off('close', this.#abort);
    streamsOf.get(this.#socket)?.delete(this);
    for (const drained of [...this.#drains]) drained();
    for (const listener of this.#onAbort.splice(0)) listener();
  }

  /** Writes `text`; resolves at once, or when a full socket has drained or closed. */
  async write(text: string): Promise<void> {
    const res = this.#res;
    if (this.#aborted || res.writableEnded || res.destroyed) return;
    this.#wrote = true;
    if (res.write(text)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        this.#drains.delete(done);
        resolve();
      };
      res.on('drain', done);
      this.#drains.add(done);
    });
  }

  /** Sends the head if no write has: a client learns the stream is open before its first event. */
  flushHead(): void {
    // Not `headersSent`: it is true from writeHead on, before anything reached the socket.
    if (this.#wrote || this.#res.writableEnded || this.#res.destroyed) return;
    this.#wrote = true;
    this.#res.flushHeaders();
  }

  /** Ends the response (the head is sent if nothing was written). */
  end(): void {
    if (!this.#res.writableEnded && !this.#res.destroyed) this.#res.end();
  }
}
