import { A2A_VERSION_HEADER, Extensions, formatSSEErrorEvent, formatSSEEvent, HTTP_EXTENSION_HEADER } from '@a2a-js/sdk';
import { LEGACY_HTTP_EXTENSION_HEADER } from '@a2a-js/sdk/compat/v0_3';
import { LegacyJsonRpcTransportHandler } from '@a2a-js/sdk/compat/v0_3/server';
import { A2A_ERROR_CODE } from '@a2a-js/sdk/errors';
import { defaultServerCallContextBuilder, JsonRpcTransportHandler, UnauthenticatedUser, validateVersion } from '@a2a-js/sdk/server';
import type { A2ARequestHandler } from '@a2a-js/sdk/server';
import type { Context, Handler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'batonjs/internal';
import { requestProblem } from './rpc-params.ts';
import type { RpcError } from './rpc-params.ts';

type RpcId = string | number | null;

/** Sends a JSON-RPC error response with an HTTP status. */
function rpcError(c: Context, status: ContentfulStatusCode, id: RpcId, error: RpcError): Response {
  return c.json({ jsonrpc: '2.0', id, error }, status);
}

/** The id of a parsed JSON-RPC request, when it has a usable one. */
function idOf(body: unknown): RpcId {
  const id = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/**
 * Why the headers of a JSON-RPC request make it unreadable, or undefined when they are fine.
 * Bodies are UTF-8 JSON, uncompressed: A2A clients send nothing else, and refusing the rest
 * keeps decompression (and its bombs) out of the server.
 */
function headerProblem(c: Context): string | undefined {
  const encoding = c.req.header('content-encoding')?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') return `Content-Encoding ${encoding} is not accepted: send the JSON-RPC body uncompressed`;
  const type = c.req.header('content-type');
  if (type === undefined) return undefined;
  const [media = '', ...params] = type.split(';').map((p) => p.trim().toLowerCase());
  if (media !== 'application/json' && media !== 'application/a2a+json') return `Content-Type ${type} is not accepted: send the JSON-RPC body with Content-Type: application/json`;
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/^"|"$/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return `charset ${charset} is not accepted: JSON-RPC bodies are UTF-8 (send application/json; charset=utf-8, or no charset)`;
  return undefined;
}

/**
 * The A2A JSON-RPC binding over HTTP, as a Hono handler around the SDK's transport handlers (1.0,
 * and 0.3 for clients that send no `A2A-Version` header). Requests the server cannot read get a
 * 4xx with a JSON-RPC error saying why (415 media type, charset or encoding, 400 malformed JSON);
 * the body limit (413) is applied before this handler. Streaming methods answer Server-Sent Events.
 */
export function jsonRpcRoute(requestHandler: A2ARequestHandler, logger: Logger): Handler {
  const current = new JsonRpcTransportHandler(requestHandler);
  const legacy = new LegacyJsonRpcTransportHandler(requestHandler);
  return async (c) => {
    const problem = headerProblem(c);
    if (problem) return rpcError(c, 415, null, { code: A2A_ERROR_CODE.CONTENT_TYPE_NOT_SUPPORTED, message: problem });
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      return rpcError(c, 400, null, { code: A2A_ERROR_CODE.PARSE_ERROR, message: 'the body is not valid JSON: send one JSON-RPC 2.0 request object' });
    }
    const id = idOf(body);
    const refused = requestProblem(body);
    if (refused) return rpcError(c, 200, id, refused);
    const requestedVersion = c.req.header(A2A_VERSION_HEADER) || undefined;
    const useLegacy = (requestedVersion ?? '0.3') === '0.3';
    const mapError = (e: unknown): RpcError => (useLegacy ? LegacyJsonRpcTransportHandler.mapToLegacyJSONRPCError(e) : JsonRpcTransportHandler.mapToJSONRPCError(e));
    const failed = (e: unknown, where: string): RpcError => {
      const error = mapError(e);
      if (error.code === A2A_ERROR_CODE.INTERNAL_ERROR) logger.error({ err: e, id }, `A2A ${where} failed`);
      else logger.debug({ code: error.code, message: error.message, id }, `A2A ${where} refused`);
      return error;
    };
    try {
      const extensionsHeader = useLegacy ? (c.req.header(LEGACY_HTTP_EXTENSION_HEADER) ?? c.req.header(HTTP_EXTENSION_HEADER)) : c.req.header(HTTP_EXTENSION_HEADER);
      const context = defaultServerCallContextBuilder({
        extensions: Extensions.parseServiceParameter(extensionsHeader),
        user: new UnauthenticatedUser(),
        headers: Object.fromEntries(c.req.raw.headers),
        ...(requestedVersion ? { requestedVersion } : {}),
      });
      validateVersion(context.requestedVersion, await requestHandler.getAgentCard(), 'JSONRPC');
      const answer = await (useLegacy ? legacy : current).handle(body as Record<string, unknown>, context);
      for (const uri of context.activatedExtensions ?? []) c.header(useLegacy ? LEGACY_HTTP_EXTENSION_HEADER : HTTP_EXTENSION_HEADER, uri, { append: true });
      if (!(Symbol.asyncIterator in answer)) return c.json(answer, 200);
      const events = answer[Symbol.asyncIterator]();
      // 0.3 `tasks/resubscribe` always streams; otherwise an error before the first event is a plain answer.
      const alwaysStream = useLegacy && (body as { method?: unknown }).method === 'tasks/resubscribe';
      let first: IteratorResult<unknown> | undefined;
      if (!alwaysStream) {
        try {
          first = await events.next();
        } catch (e) {
          return rpcError(c, 200, id, failed(e, 'stream'));
        }
      }
      return sseResponse(first, events, (e) => formatSSEErrorEvent({ jsonrpc: '2.0', id, error: failed(e, 'stream') }));
    } catch (e) {
      const error = failed(e, 'request');
      return rpcError(c, error.code === A2A_ERROR_CODE.INTERNAL_ERROR ? 500 : 200, id, error);
    }
  };
}

/** Streams JSON-RPC responses as Server-Sent Events; the client going away ends the iterator. */
function sseResponse(first: IteratorResult<unknown> | undefined, events: AsyncIterator<unknown>, errorEvent: (e: unknown) => string): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first?.done) controller.close();
      else if (first) controller.enqueue(encoder.encode(formatSSEEvent(first.value)));
    },
    async pull(controller) {
      try {
        const next = await events.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(formatSSEEvent(next.value)));
      } catch (e) {
        controller.enqueue(encoder.encode(errorEvent(e)));
        controller.close();
      }
    },
    async cancel() {
      await events.return?.(undefined);
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' } });
}
