import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from './http-errors.ts';
import { bodyText } from './request-body.ts';

const RUN_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * An event's seq as a client sends it back (Last-Event-ID, `since`): decimal digits only, at most
 * 15. `0x10`, `1e3`, `+5` or ` 5` would each be read as some number by `Number()`, and a seq the
 * client never sent loses or repeats events.
 */
export const SEQ = /^[0-9]{1,15}$/;

/** The `:id` path parameter, checked to look like a run id. */
export function runIdParam(c: Context): string {
  const id = c.req.param('id') ?? '';
  if (!RUN_ID.test(id)) throw new ApiError(404, 'RUN_NOT_FOUND', `no run ${JSON.stringify(id.slice(0, 140))}: run ids look like r_… (list runs with GET /v1/runs)`);
  return id;
}

/** Reads a JSON body and checks it against `schema`; every problem is named in the 400 message. */
export async function parseJsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  return (await parseJsonBodyAndRaw(c, schema)).data;
}

/**
 * {@link parseJsonBody}, with the JSON as it was sent beside the checked data: zod builds new
 * objects for records, where a `__proto__` key is lost, so values whose every key matters (run
 * parameters, checked against their own schema) are taken from the JSON itself.
 */
export async function parseJsonBodyAndRaw<T extends z.ZodType>(c: Context, schema: T): Promise<{ data: z.output<T>; raw: unknown }> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as JSON with the header Content-Type: application/json');
  }
  // Bodies are UTF-8 JSON, uncompressed, as on /a2a: a compressed or otherwise encoded body read
  // as UTF-8 would be refused as "not valid JSON", or taken with its text garbled.
  const encoding = c.req.header('content-encoding')?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${encoding} is not accepted: send the JSON body uncompressed`);
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `charset ${charset} is not accepted: JSON bodies are UTF-8 (send application/json; charset=utf-8, or no charset)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await bodyText(c));
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError(400, 'BAD_REQUEST', 'the body is not valid JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));
    throw new ApiError(400, 'BAD_REQUEST', `invalid body: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
  }
  return { data: parsed.data, raw };
}
