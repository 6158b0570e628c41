import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { incomingOf } from './node-bindings.ts';

/**
 * Each request's body, as read once from Node's request: by {@link limitBody} when it came in
 * chunks (it is read whole before the handler to know its size), else by {@link bodyText}.
 */
const readBodies = new WeakMap<IncomingMessage, Promise<Buffer | undefined>>();

/** Methods whose requests the Node adapter gives no body: nothing to limit. */
const BODYLESS = new Set(['GET', 'HEAD', 'TRACE']);

const utf8 = new TextDecoder();

/**
 * Reads `incoming`'s body: the whole of it, or undefined as soon as it grows past `maxBytes` (it
 * is then left unread, paused: the Node adapter drains or closes it after the answer). Rejects
 * when the client goes away before the end.
 */
function readAtMost(incoming: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  // Gone, or read by something else: no event would come to settle a read begun now.
  if (incoming.destroyed || incoming.readableAborted) return Promise.reject(clientGone());
  if (incoming.readableEnded) return Promise.reject(new Error('the request body was read already'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        stop();
        incoming.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (e: Error): void => {
      stop();
      reject(e);
    };
    const onClose = (): void => {
      stop();
      reject(clientGone());
    };
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('error', onError);
    incoming.once('close', onClose);
  });
}

function clientGone(): Error {
  return Object.assign(new Error('the client closed the connection before the end of its request body'), { code: 'ECONNRESET' });
}

/** The body of `incoming`, read once (see {@link readBodies}). */
function bodyOf(incoming: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  let body = readBodies.get(incoming);
  if (!body) readBodies.set(incoming, (body = readAtMost(incoming, maxBytes)));
  return body;
}

/**
 * Refuses, through `tooLarge`, a request whose body is longer than `maxBytes`: by its
 * Content-Length when it has one, else by reading it (chunked), at most `maxBytes`. Read from
 * Node's request: Hono's `bodyLimit` read it through a web `Request` and its streams, which cost
 * more than the rest of the request's handling. A GET, HEAD or TRACE has no body to limit.
 */
export function limitBody(maxBytes: number, tooLarge: (c: Context) => Response | Promise<Response>): MiddlewareHandler {
  return async (c, next) => {
    if (BODYLESS.has(c.req.method)) return next();
    const incoming = incomingOf(c);
    const length = incoming.headers['content-length'];
    if (length !== undefined && incoming.headers['transfer-encoding'] === undefined) return Number(length) > maxBytes ? tooLarge(c) : next();
    // A client gone mid-body fails the request here, before its handler acts (as bodyLimit did).
    if ((await bodyOf(incoming, maxBytes)) === undefined) return tooLarge(c);
    return next();
  };
}

/**
 * The request's body as text (UTF-8, a leading byte order mark dropped, as `Request.text()`
 * decodes it). Behind {@link limitBody}, which bounds its size.
 */
export async function bodyText(c: Context): Promise<string> {
  const incoming = incomingOf(c);
  // Within the limit: its Content-Length was checked, or the middleware read it whole.
  return utf8.decode(await bodyOf(incoming, Infinity));
}
