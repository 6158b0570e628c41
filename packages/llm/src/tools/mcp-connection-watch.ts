/** How an MCP client's connection ended: the SDK tells its transport's errors only to `onerror`. */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { errorMessage } from 'batonjs/internal';

/** What is known of how a connection ended: the SDK tells its transport's errors only to `onerror`. */
export interface ConnectionWatch {
  /** True once the connection closed, or its transport gave up on it. */
  lost(): boolean;
  /** `work`, or a rejection saying why as soon as the connection is lost. */
  untilLost<T>(work: Promise<T>): Promise<T>;
  /** `e`, or when `e` is the SDK's "Connection closed" of a connection that was lost, an error saying why it was. */
  explain(e: unknown): unknown;
}

/** Watches `client`'s connection from now on (it sets the client's `onerror` and `onclose`, still calling those set before). */
export function watchConnection(client: Client, serverName: string, stdio: StdioClientTransport | undefined): ConnectionWatch {
  let lastError: Error | undefined;
  let ended: Error | undefined;
  let reject: (e: Error) => void = () => undefined;
  const whenLost = new Promise<never>((_, r) => (reject = r));
  whenLost.catch(() => undefined);
  const lose = (fatal: Error | undefined): void => {
    if (ended) return;
    ended = connectionLostError(serverName, fatal, lastError);
    reject(ended);
  };
  const onerror = client.onerror;
  client.onerror = (error) => {
    lastError = error;
    // After an error it cannot go on from (a message over its size limit), the stdio transport
    // drops its process and closes; its requests would fail only once the server has exited,
    // seconds later for a server that does not stop when its input ends.
    if (stdio) queueMicrotask(() => stdio.pid === null && lose(error));
    // A 404 over streamable HTTP: the server no longer knows the session (it expired, or the
    // server restarted). The SDK does not start a new one, so every later call would get the
    // same 404: the connection is lost, and the next attempt opens a new session.
    if (sessionGone(error)) lose(error);
    onerror?.(error);
  };
  const onclose = client.onclose;
  client.onclose = () => {
    lose(undefined);
    onclose?.();
  };
  return {
    lost: () => ended !== undefined,
    untilLost: (work) => Promise.race([work, whenLost]),
    // Only the SDK's "Connection closed": a request the server answered with an error (initialize
    // refused, after which the SDK closes the connection itself) keeps the server's own words.
    explain: (e) => (ended && e instanceof McpError && e.code === (ErrorCode.ConnectionClosed as number) ? ended : e),
  };
}

function connectionLostError(serverName: string, fatal: Error | undefined, lastError: Error | undefined): Error {
  if (fatal) return new Error(`the connection to MCP server '${serverName}' was closed: ${transportErrorText(fatal)}`);
  return new Error(`the connection to MCP server '${serverName}' closed${lastError ? ` (the last error on it: ${transportErrorText(lastError)})` : ''}`);
}

function sessionGone(e: Error): boolean {
  return e instanceof StreamableHTTPError && e.code === 404;
}

function transportErrorText(e: Error): string {
  if (sessionGone(e)) return `the server answered 404: it no longer knows this session (${e.message}); a new session is opened for the next attempt`;
  const tooLong = /^ReadBuffer exceeded maximum size of (\d+) bytes/.exec(e.message);
  return tooLong ? `a message from the server was longer than the ${tooLong[1]} bytes a stdio MCP client reads in one (${e.message}); ask for less` : errorMessage(e);
}
