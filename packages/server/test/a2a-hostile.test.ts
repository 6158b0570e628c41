import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger, hangUpMidBody, peakRss, rawRequest } from './raw-http.ts';
import type { RawAnswer } from './raw-http.ts';
import { baton, SAMPLE_MANIFEST, servedUrl } from './serve-process.ts';
import type { BatonProcess } from './serve-process.ts';
import { startTestServer } from './support.ts';
import type { TestServer } from './support.ts';

const V1 = { 'A2A-Version': '1.0' };
const MB = 1024 * 1024;

function sendMessage(text: string, extra: Record<string, unknown> = {}): Buffer {
  const message = { messageId: 'm1', role: 'ROLE_USER', parts: [{ text }, { data: { goal: text, ...extra } }] };
  return Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message } }));
}

/** The reason an answer gives: a JSON-RPC error's message or a JSON API error's message. */
function reasonOf(a: RawAnswer): string {
  const body = JSON.parse(a.body) as { error?: { message?: string } };
  return body.error?.message ?? '';
}

// Each of these once answered 500 INTERNAL and was logged as a server error.
describe('/a2a refuses bad requests with a 4xx and a reason', () => {
  let t: TestServer;
  const log = capturingLogger();
  beforeAll(async () => {
    t = await startTestServer({ logger: log.logger });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a body over the limit: 413, read no further than the limit', async () => {
    for (const size of [10 * MB, 100 * MB]) {
      const a = await rawRequest(t.url, { path: '/a2a', headers: { 'content-type': 'application/json', ...V1 }, totalBytes: size });
      expect(a.status, `${size} bytes`).toBe(413);
      expect(reasonOf(a)).toMatch(/larger than \d+ bytes/);
      expect(a.bytesSent).toBeLessThan(10 * MB);
    }
    const chunked = await rawRequest(t.url, { path: '/a2a', headers: { 'content-type': 'application/json', ...V1 }, totalBytes: 100 * MB, chunked: true });
    expect(chunked.status).toBe(413);
    expect(chunked.bytesSent).toBeLessThan(20 * MB);
  });

  it('takes a message of a few hundred KB (a parent Baton sends its inputs along)', async () => {
    const a = await rawRequest(t.url, { path: '/a2a', headers: { 'content-type': 'application/json', ...V1 }, body: sendMessage('produce the report', { padding: 'x'.repeat(300_000) }) });
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toMatchObject({ jsonrpc: '2.0', id: 1, result: { task: { status: { state: 'TASK_STATE_COMPLETED' } } } });
  });

  it('a charset other than UTF-8: 415', async () => {
    const a = await rawRequest(t.url, { path: '/a2a', headers: { 'content-type': 'application/json; charset=ascii', ...V1 }, body: sendMessage('produce the report') });
    expect(a.status).toBe(415);
    expect(reasonOf(a)).toMatch(/UTF-8/);
    expect(JSON.parse(a.body)).toMatchObject({ jsonrpc: '2.0', id: null });
  });

  it('a media type other than JSON: 415', async () => {
    const a = await rawRequest(t.url, { path: '/a2a', headers: { 'content-type': 'text/plain', ...V1 }, body: sendMessage('produce the report') });
    expect(a.status).toBe(415);
    expect(reasonOf(a)).toMatch(/application\/json/);
  });

  it('a compressed body, valid or not: 415', async () => {
    for (const body of [Buffer.from('this is not gzip'), gzipSync(sendMessage('produce the report'))]) {
      const a = await rawRequest(t.url, { path: '/a2a', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...V1 }, body });
      expect(a.status).toBe(415);
      expect(reasonOf(a)).toMatch(/Content-Encoding/);
    }
  });

  it('malformed JSON: 400 with a JSON-RPC parse error', async () => {
    for (const version of [V1, {}]) {
      const a = await rawRequest(t.url, { path: '/a2a', headers: { 'content-type': 'application/json', ...version }, body: Buffer.from('{"jsonrpc": "2.0", "id": 1, "meth') });
      expect(a.status).toBe(400);
      expect(JSON.parse(a.body)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    }
  });

  it('a task id or a text that is not a string: -32602 naming the field, and no run starts', async () => {
    const text = (t: unknown): unknown => ({ role: 'user', messageId: 'm1', parts: [{ kind: 'text', text: t }] });
    const cases: [Record<string, string>, string, unknown, RegExp][] = [
      [{}, 'tasks/get', { id: { a: 1 } }, /params\.id must be a string.*an object/],
      [{}, 'tasks/cancel', { id: 5 }, /params\.id must be a string.*a number/],
      [V1, 'GetTask', { id: ['a'] }, /params\.id must be a string.*an array/],
      [{}, 'message/send', { message: { ...(text('hi') as object), taskId: { a: 1 } } }, /params\.message\.taskId must be a string/],
      [{}, 'message/stream', { message: { ...(text('hi') as object), taskId: 5 } }, /params\.message\.taskId must be a string/],
      [{}, 'message/send', { message: text({ a: 1 }) }, /params\.message\.parts\[0\]\.text must be a string/],
      [V1, 'SendMessage', { message: { role: 'ROLE_USER', messageId: 'm1', contextId: 7, parts: [{ text: 'a report' }] } }, /params\.message\.contextId must be a string/],
    ];
    const runs = async (): Promise<unknown[]> => ((await (await fetch(`${t.url}/v1/runs`)).json()) as { runs: unknown[] }).runs;
    const before = (await runs()).length;
    for (const [version, method, params, reason] of cases) {
      const res = await fetch(`${t.url}/a2a`, { method: 'POST', headers: { 'content-type': 'application/json', ...version }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
      const body = (await res.json()) as { error?: { code: number; message: string } };
      expect(body.error?.code, method).toBe(-32602);
      expect(body.error?.message, method).toMatch(reason);
    }
    expect(await runs()).toHaveLength(before);
  });

  it('JSON that is no JSON-RPC request: -32600; a message part that is not an object: -32602 (1.0 as 0.3)', async () => {
    // The SDK's 1.0 handler answered the first with -32602 and the second with -32603 "Cannot read properties of null".
    const post = async (body: unknown, version: Record<string, string>): Promise<{ status: number; json: { id: unknown; error?: { code: number; message: string } } }> => {
      const res = await fetch(`${t.url}/a2a`, { method: 'POST', headers: { 'content-type': 'application/json', ...version }, body: JSON.stringify(body) });
      return { status: res.status, json: (await res.json()) as { id: unknown; error?: { code: number; message: string } } };
    };
    for (const [version, get, send] of [[V1, 'GetTask', 'SendMessage'], [{}, 'tasks/get', 'message/send']] as const) {
      const notRequests: [unknown, unknown][] = [
        [[{ jsonrpc: '2.0', id: 1, method: get, params: { id: 'x' } }], null],
        ['hello', null],
        [null, null],
        [{ id: 2, method: get, params: { id: 'x' } }, 2],
        [{ jsonrpc: '2.0', id: 3, method: 7 }, 3],
        [{ jsonrpc: '2.0', id: { a: 1 }, method: get, params: { id: 'x' } }, null],
      ];
      for (const [body, id] of notRequests) {
        const a = await post(body, version);
        expect(a.status, JSON.stringify(body)).toBe(200);
        expect(a.json, JSON.stringify(body)).toMatchObject({ id, error: { code: -32600 } });
      }
      const role = version === V1 ? 'ROLE_USER' : 'user';
      for (const parts of [[null], [5], ['text']]) {
        const a = await post({ jsonrpc: '2.0', id: 9, method: send, params: { message: { messageId: 'm', role, kind: 'message', parts } } }, version);
        expect(a.json, JSON.stringify(parts)).toMatchObject({ id: 9, error: { code: -32602, message: expect.stringMatching(/part/) as unknown } });
      }
    }
  });

  it('a client that hangs up mid-body is not a server error (on /a2a and /v1)', async () => {
    for (const path of ['/a2a', '/v1/runs']) {
      for (const chunked of [false, true]) await hangUpMidBody(t.url, path, { 'content-type': 'application/json', ...V1 }, 512 * 1024, chunked);
    }
    // The server notices the hang-up asynchronously: give it a moment, then check it still answers.
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });

  it('logged none of them as a server error', () => {
    const errors = log.lines().filter((l) => l.level >= 50);
    expect(errors).toEqual([]);
  });
});

describe('baton serve and a 100 MB body to /a2a', () => {
  let p: BatonProcess;
  let url: string;
  beforeAll(async () => {
    p = baton(['serve', '-m', SAMPLE_MANIFEST, '--port', '0', '--store', 'memory'], { BATON_API_TOKEN: undefined, BATON_LOG_LEVEL: 'warn', OTEL_EXPORTER_OTLP_ENDPOINT: undefined });
    url = await servedUrl(p);
  });
  afterAll(() => {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });

  it('refuses it without holding it in memory', async () => {
    const before = await peakRss(p.child.pid ?? 0);
    for (const chunked of [false, true]) {
      const a = await rawRequest(url, { path: '/a2a', headers: { 'content-type': 'application/json', ...V1 }, totalBytes: 100 * MB, chunked });
      expect(a.status).toBe(413);
    }
    const after = await peakRss(p.child.pid ?? 0);
    process.stderr.write(`a2a 100 MB body: peak RSS of baton serve ${(before / MB).toFixed(1)} MB before, ${(after / MB).toFixed(1)} MB after\n`);
    expect(after - before).toBeLessThan(32 * MB);
    expect(p.err()).not.toMatch(/"level":50|Unhandled error|PayloadTooLarge/);
  });

  it('stops with exit 0 on SIGTERM right after refusing one', async () => {
    // The refused body is left unread: its connection's socket is paused, which once let the
    // process exit (code 13) before the server had finished closing.
    const a = await rawRequest(url, { path: '/a2a', headers: { 'content-type': 'application/json', ...V1 }, totalBytes: 100 * MB });
    expect(a.status).toBe(413);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });
});
