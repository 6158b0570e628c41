import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun, startTestServer, waitForEnd } from '../support.ts';
import type { TestServer } from '../support.ts';
import { fuzzRuns } from '../../../core/test/fuzz/arbitraries.ts';

// No request, on any route, with any method, headers or body, makes the HTTP API answer 500:
// bad input is a 4xx with a JSON error naming what was wrong. Requests go over real sockets to a
// real server on 127.0.0.1, so nothing a client could send is filtered out by a fetch library.

interface Answer {
  status: number;
  type: string;
  body: string;
}

const TOKEN = 'fuzz-token-0123456789';
let open: TestServer;
let guarded: TestServer;
let runId = '';

beforeAll(async () => {
  [open, guarded] = await Promise.all([startTestServer({ limits: { maxBodyBytes: 4096, maxGoalLength: 300 } }), startTestServer({ token: TOKEN })]);
  runId = await startRun(open.url, 'make a report');
  await waitForEnd(open.url, runId);
});

afterAll(async () => {
  await Promise.all([open?.close(), guarded?.close()]);
});

/** One raw HTTP request; event streams are read only as far as their headers. */
function send(base: string, method: string, path: string, headers: Record<string, string>, body: Buffer | undefined): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: body ? { ...headers, 'content-length': String(body.length) } : headers, timeout: 20_000 }, (res) => {
      const type = String(res.headers['content-type'] ?? '');
      if (type.startsWith('text/event-stream')) {
        res.destroy();
        resolve({ status: res.statusCode ?? 0, type, body: '' });
        return;
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (text.length < 100_000) text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type, body: text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} within 20 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const segment = fc.oneof(
  { arbitrary: fc.constant('{run}'), weight: 3 },
  { arbitrary: fc.constantFrom('r_unknown', '..', '.', '%00', '%2e%2e', '%2F', 'a'.repeat(300), 'r_' + '9'.repeat(40), '%E2%80%AE', '%ZZ', '-', '_', 'run.json', 'report.html'), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent), weight: 2 },
);

/** Every route with the method it serves. */
const ROUTES: [string, string][] = [
  ['POST', '/v1/runs'],
  ['GET', '/v1/runs'],
  ['GET', '/v1/runs/{s}'],
  ['POST', '/v1/runs/{s}/cancel'],
  ['GET', '/v1/runs/{s}/events'],
  ['GET', '/v1/runs/{s}/files'],
  ['GET', '/v1/runs/{s}/files/{s}'],
  ['GET', '/v1/agents'],
  ['GET', '/openapi.json'],
  ['GET', '/healthz'],
  ['GET', '/'],
  ['GET', '/assets/{s}'],
  ['POST', '/a2a'],
  ['GET', '/.well-known/agent-card.json'],
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
const OTHER_PATHS = ['/v1/runs/', '/v1/runs/{s}/files/{s}/{s}', '/v1/{s}', '/a2a/{s}', '/{s}', '//v1//runs'];

/** Mostly a route with its own method (to get past routing), sometimes anything. */
const target = fc.oneof(
  { arbitrary: fc.constantFrom(...ROUTES), weight: 4 },
  { arbitrary: fc.tuple(fc.constantFrom(...METHODS), fc.constantFrom(...ROUTES.map((r) => r[1]), ...OTHER_PATHS)), weight: 1 },
);

const query = fc.oneof(
  fc.constant(''),
  fc.dictionary(fc.constantFrom('limit', 'before', 'status', 'key', 'after', 'lastEventId', 'x'), fc.oneof(fc.constantFrom('0', '-1', '1', '1000000', 'NaN', '1e309', 'running', 'r_unknown', '{run}', ''), fc.string({ maxLength: 10 })), { maxKeys: 3 }).map(
    (q) => `?${new URLSearchParams(q).toString()}`,
  ),
);

const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 3 },
  { arbitrary: fc.option(fc.constantFrom('application/json; charset=utf-16', 'application/vnd.api+json', 'application/problem+json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'json', '', '*/*'), { nil: undefined }), weight: 1 },
);

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });

const headers = fc.record(
  {
    'content-type': contentType,
    authorization: fc.option(fc.oneof(fc.constant(`Bearer ${TOKEN}`), fc.constantFrom('Bearer', 'Bearer ', 'Basic abc', `bearer ${TOKEN}`, `Bearer ${TOKEN}x`), printable), { nil: undefined }),
    'last-event-id': fc.option(fc.oneof(fc.constantFrom('0', '-1', '3', '99999999999999999999', 'abc'), printable), { nil: undefined }),
    accept: fc.option(fc.constantFrom('application/json', 'text/event-stream', 'text/html', '*/*'), { nil: undefined }),
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }).map((g) => Buffer.from(JSON.stringify({ goal: `make a report ${g}` }))),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }).map((g) => Buffer.from(JSON.stringify({ goal: g }))),
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))),
  fc.record({ goal: fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: [] }).map((v) => Buffer.from(JSON.stringify(v))),
  fc.record({ goal: fc.constant('make a report'), extra: fc.jsonValue({ maxDepth: 1 }) }).map((v) => Buffer.from(JSON.stringify(v))),
  fc.record({ reason: fc.oneof(fc.string({ maxLength: 600 }), fc.jsonValue({ maxDepth: 1 })) }).map((v) => Buffer.from(JSON.stringify(v))),
  fc.record({ jsonrpc: fc.constantFrom('2.0', '1.0'), id: fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null)), method: fc.constantFrom('message/send', 'message/stream', 'tasks/get', 'tasks/cancel', 'nope'), params: fc.jsonValue({ maxDepth: 3 }) }).map((v) => Buffer.from(JSON.stringify(v))),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.constantFrom(Buffer.from('{"goal": "unterminated'), Buffer.from('{"goal":"x"}{"goal":"y"}'), Buffer.from('\uFEFF{"goal":"bom"}'), Buffer.alloc(10_000, 'x')),
);

const requestArb = fc.record({
  secure: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  target,
  segments: fc.array(segment, { minLength: 3, maxLength: 3 }),
  query,
  headers,
  body,
});

describe('HTTP API under fuzzing', () => {
  it('never answers 500, and /v1 errors are JSON with a code and a message', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        let i = 0;
        const [method, template] = r.target;
        const path = template.replace(/\{s\}/g, () => r.segments[i++]!).replace(/\{run\}/g, runId) + r.query.replace(/%7Brun%7D/g, runId);
        const hdrs = Object.fromEntries(Object.entries(r.headers).filter((e): e is [string, string] => e[1] !== undefined));
        const withBody = method !== 'GET' && method !== 'HEAD' ? r.body : undefined;
        const answer = await send(r.secure ? guarded.url : open.url, method, path, hdrs, withBody);
        seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
        expect(answer.status, `${method} ${path} → ${answer.status} ${answer.body.slice(0, 300)}`).toBeLessThan(500);
        if (path.startsWith('/v1') && answer.status >= 400 && method !== 'HEAD') {
          const error = (JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } }).error;
          expect(typeof error?.code).toBe('string');
          expect(typeof error?.message === 'string' && error.message.length > 0).toBe(true);
        }
      }),
      { numRuns: fuzzRuns(400) },
    );
    // The generator reaches both successes and refusals.
    expect([...seen.keys()].some((s) => s < 300)).toBe(true);
    expect([...seen.keys()].some((s) => s >= 400)).toBe(true);
  });
});
