import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';

/**
 * Node's request and response under a request of the app: `createServer` serves it through
 * @hono/node-server, which hands them over as the context's env. Empty when the app is called
 * some other way (`app.request` in a test).
 */
export function nodeBindingsOf(c: Context): Partial<HttpBindings> {
  return (c.env as Partial<HttpBindings> | undefined) ?? {};
}

/** Node's request under `c`; throws when the app is not served by @hono/node-server. */
export function incomingOf(c: Context): IncomingMessage {
  const { incoming } = nodeBindingsOf(c);
  if (!incoming) throw new Error('this route needs the Node request: serve the app with @hono/node-server (createServer does)');
  return incoming;
}

/** Node's response under `c`; throws when the app is not served by @hono/node-server. */
export function outgoingOf(c: Context): ServerResponse {
  const { outgoing } = nodeBindingsOf(c);
  if (!outgoing) throw new Error('this route needs the Node response: serve the app with @hono/node-server (createServer does)');
  return outgoing;
}
