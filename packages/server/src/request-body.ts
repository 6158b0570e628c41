import type { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';

/**
 * Bodies read from Node's request by {@link limitBody}, for {@link bodyText}: a body sent in chunks
 * is read whole before the handler to know its size, and can be read only once.
 */
const readBodies = new WeakMap<IncomingMessage, Promise<Buffer | undefined>>();

const utf8 = new TextDecoder();

/** The Node request under `c`: every request reaches the app through the Node adapter. */
export function incomingOf(c: Context): IncomingMessage {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  if (!incoming) throw new Error('the request body needs the Node request (serve the app with @hono/node-server)');
  return incoming;
}

/**
 * Reads `incoming`'s body: the whole of it, or undefined as soon as it grows past `maxBytes` (it
 * is then left unread, paused: the Node adapter drains or closes it after the answer). Rejects
 * when the client goes away before the end.
 */
function readAtMost(incoming: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
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
      reject(Object.assign(new Error('the client closed the connection before the end of its request body'), { code: 'ECONNRESET' }));
    };
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('error', onError);
    incoming.once('close', onClose);
  });
}

/**
 * Refuses, through `tooLarge`, a request whose body is longer than `maxBytes`: by its
 * Content-Length when it has one, else by reading it (chunked), at most `maxBytes`. Read from
 * Node's request: Hono's `bodyLimit` read it through a web `Request` and its streams, which cost
 * more than the rest of the request's handling. A GET or HEAD has no body to limit.
 */
export function limitBody(maxBytes: number, tooLarge: (c: Context) => Response | Promise<Response>): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const incoming = incomingOf(c);
    const length = incoming.headers['content-length'];
    if (length !== undefined && incoming.headers['transfer-encoding'] === undefined) return Number(length) > maxBytes ? tooLarge(c) : next();
    const read = readAtMost(incoming, maxBytes);
    readBodies.set(incoming, read);
    // A client gone mid-body rejects it: the handler's read of the body is where that is told.
    if ((await read.catch(() => null)) === undefined) return tooLarge(c);
    return next();
  };
}

/**
 * The request's body as text (UTF-8, a leading byte order mark dropped, as `Request.text()`
 * decodes it). Behind {@link limitBody}, which bounds its size.
 */
export async function bodyText(c: Context): Promise<string> {
  const incoming = incomingOf(c);
  const body = await (readBodies.get(incoming) ?? readAtMost(incoming, Infinity));
  return utf8.decode(body);
}
