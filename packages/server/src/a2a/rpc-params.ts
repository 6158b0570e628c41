import { A2A_ERROR_CODE } from '@a2a-js/sdk/errors';
import { kindOf } from 'batonjs/internal';

/** A JSON-RPC error object. */
export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What makes a parsed body no JSON-RPC 2.0 request (-32600), or a request whose params the A2A SDK
 * would misread (-32602), or undefined: checked before the SDK sees the body. The SDK's 1.0
 * handler answered the first with -32602 (its 0.3 handler with -32600), a message part that is
 * not an object with -32603 "Cannot read properties of null", a task id (`params.id`,
 * `message.taskId`) that is not a string with -32603 and its own TypeError, logged as a server
 * error; a text part whose `text` is not a string became the goal "[object Object]". The same
 * keys in A2A 0.3 and 1.0.
 */
export function requestProblem(body: unknown): RpcError | undefined {
  const invalid = (message: string): RpcError => ({ code: A2A_ERROR_CODE.INVALID_REQUEST, message });
  if (!isObject(body)) return invalid('Invalid JSON-RPC Request: the body must be one JSON-RPC 2.0 request object (batches are not accepted)');
  if (body['jsonrpc'] !== '2.0') return invalid('Invalid JSON-RPC Request: "jsonrpc" must be "2.0"');
  if (typeof body['method'] !== 'string') return invalid('Invalid JSON-RPC Request: "method" must be a string');
  const id = body['id'];
  if (id !== undefined && id !== null && typeof id !== 'string' && typeof id !== 'number') return invalid('Invalid JSON-RPC Request: "id" must be a string, a number or null');
  const problem = paramsProblem(body['params']);
  return problem === undefined ? undefined : { code: A2A_ERROR_CODE.INVALID_PARAMS, message: problem };
}

function paramsProblem(params: unknown): string | undefined {
  if (!isObject(params)) return undefined;
  if (params['id'] !== undefined && typeof params['id'] !== 'string') return `params.id must be a string (a task id), got ${kindOf(params['id'])}`;
  const message = params['message'];
  if (!isObject(message)) return undefined;
  for (const key of ['messageId', 'taskId', 'contextId']) {
    if (message[key] !== undefined && message[key] !== null && typeof message[key] !== 'string') return `params.message.${key} must be a string, got ${kindOf(message[key])}`;
  }
  const parts = message['parts'];
  if (!Array.isArray(parts)) return undefined;
  for (const [i, part] of parts.entries()) {
    if (!isObject(part)) return `Invalid params: each part of message.parts must be an object (params.message.parts[${i}] is ${kindOf(part)})`;
    if (part['text'] !== undefined && typeof part['text'] !== 'string') return `params.message.parts[${i}].text must be a string, got ${kindOf(part['text'])}`;
  }
  return undefined;
}
