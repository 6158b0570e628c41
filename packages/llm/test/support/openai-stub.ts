/**
 * A small OpenAI-compatible server for end-to-end tests: `POST /v1/chat/completions` (not
 * streamed) answered by a handler, with tool calls and JSON content, on 127.0.0.1 and a free port.
 * It speaks the real protocol, so runs go through the real AI SDK provider over HTTP.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

/** One message of a chat completions request. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content?: string | { type: string; text?: string }[] | null;
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: { type: 'function'; function: { name: string; description?: string; parameters: unknown } }[];
  response_format?: { type: string; json_schema?: { name: string; schema: unknown } };
  stream?: boolean;
}

/** What the handler answers. */
export type StubReply =
  | { content: string; usage?: { prompt: number; completion: number } }
  | { json: unknown; usage?: { prompt: number; completion: number } }
  | { toolCalls: { name: string; arguments: Record<string, unknown> }[]; usage?: { prompt: number; completion: number } }
  /** An error answer: `{"error": {"message": error}}`, or `error` as a plain-text body (a proxy's page). */
  | { status: number; error: string; plainText?: boolean; headers?: Record<string, string> };

export type StubHandler = (request: ChatRequest, n: number) => StubReply | Promise<StubReply>;

export interface OpenAiStub {
  /** Base URL for OPENAI_BASE_URL, ending in /v1. */
  url: string;
  requests: ChatRequest[];
  close(): Promise<void>;
}

/** The text of a message, whatever its content shape. */
export function textOf(message: ChatMessage | undefined): string {
  const c = message?.content;
  if (typeof c === 'string') return c;
  return (c ?? []).map((p) => p.text ?? '').join('');
}

/** Starts the stub; every request goes to `handler` with its 1-based number. */
export async function startOpenAiStub(handler: StubHandler): Promise<OpenAiStub> {
  const requests: ChatRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
          const plain = typeof body === 'string';
          res.writeHead(status, { 'content-type': plain ? 'text/plain' : 'application/json', ...headers });
          res.end(plain ? body : JSON.stringify(body));
        };
        if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) return send(404, { error: { message: `no route ${req.method} ${req.url}` } });
        const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest;
        requests.push(request);
        if (request.stream) return send(400, { error: { message: 'the stub does not stream' } });
        let reply: StubReply;
        try {
          reply = await handler(request, requests.length);
        } catch (e) {
          reply = { status: 500, error: `stub handler failed: ${(e as Error).message}` };
        }
        if ('status' in reply) return send(reply.status, reply.plainText ? reply.error : { error: { message: reply.error, type: 'stub_error' } }, reply.headers);
        const usage = reply.usage ?? { prompt: 100, completion: 50 };
        const message =
          'toolCalls' in reply
            ? {
                role: 'assistant',
                content: null,
                tool_calls: reply.toolCalls.map((c, i) => ({ id: `call_${requests.length}_${i}`, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } })),
              }
            : { role: 'assistant', content: 'json' in reply ? JSON.stringify(reply.json) : reply.content };
        send(200, {
          id: `chatcmpl-${requests.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: request.model,
          choices: [{ index: 0, message, finish_reason: 'toolCalls' in reply ? 'tool_calls' : 'stop' }],
          usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion },
        });
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/**
 * A `serve(handler)` for a test file: each call starts a stub answering with `handler`, closed
 * after the test that started it.
 */
export function stubPerTest(): (handler: StubHandler) => Promise<OpenAiStub> {
  let stub: OpenAiStub | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });
  return async (handler) => {
    stub = await startOpenAiStub(handler);
    return stub;
  };
}
