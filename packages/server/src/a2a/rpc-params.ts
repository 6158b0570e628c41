const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Why the params of a JSON-RPC request hold a value of the wrong type where the A2A SDK (and the
 * goal read from a message) take a string, or undefined when they do not: a task id (`params.id`,
 * `message.taskId`) that is not a string made the SDK throw a TypeError, answered as an internal
 * error (-32603) with its message and logged as a server error; a text part whose `text` is not a
 * string became the goal "[object Object]". The same keys in A2A 0.3 and 1.0.
 */
export function paramsProblem(body: unknown): string | undefined {
  const params = isRecord(body) ? body['params'] : undefined;
  if (!isRecord(params)) return undefined;
  if (params['id'] !== undefined && typeof params['id'] !== 'string') return `params.id must be a string (a task id), got ${typeName(params['id'])}`;
  const message = params['message'];
  if (!isRecord(message)) return undefined;
  for (const key of ['messageId', 'taskId', 'contextId']) {
    if (message[key] !== undefined && message[key] !== null && typeof message[key] !== 'string') return `params.message.${key} must be a string, got ${typeName(message[key])}`;
  }
  const parts = message['parts'];
  if (!Array.isArray(parts)) return undefined;
  for (const [i, part] of parts.entries()) {
    if (isRecord(part) && part['text'] !== undefined && typeof part['text'] !== 'string') return `params.message.parts[${i}].text must be a string, got ${typeName(part['text'])}`;
  }
  return undefined;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
