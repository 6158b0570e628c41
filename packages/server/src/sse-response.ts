import type { ServerResponse } from 'node:http';

/** The head of every event stream: Hono's `streamSSE` sent these, and proxies must not buffer. */
const SSE_HEAD = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-store',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
} as const;

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
  #aborted = false;
  readonly #onAbort: (() => void)[] = [];

  /** Writes the head (200, `text/event-stream`) now; it is sent with the first write, or by {@link flushHead}. */
  constructor(res: ServerResponse) {
    this.#res = res;
    res.once('close', () => this.abort());
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
    for (const listener of this.#onAbort.splice(0)) listener();
  }

  /** Writes `text`; resolves at once, or when a full socket has drained or closed. */
  async write(text: string): Promise<void> {
    const res = this.#res;
    if (this.#aborted || res.writableEnded || res.destroyed) return;
    if (res.write(text)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }

  /** Sends the head if no write has: a client learns the stream is open before its first event. */
  flushHead(): void {
    if (!this.#res.headersSent && !this.#res.destroyed) this.#res.flushHeaders();
  }

  /** Ends the response (the head is sent if nothing was written). */
  end(): void {
    if (!this.#res.writableEnded && !this.#res.destroyed) this.#res.end();
  }
}
