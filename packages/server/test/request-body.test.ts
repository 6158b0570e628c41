/**
 * Request bodies as the server reads them from Node's request: sent with a Content-Length or in
 * chunks, within the limit or past it, with a byte order mark, in many small pieces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger, hangUpMidBody, rawRequest } from './raw-http.ts';
import { eventually, startTestServer } from './support.ts';
import type { TestServer } from './support.ts';

const LIMIT = 4096;
const JSON_TYPE = { 'content-type': 'application/json' };

let t: TestServer;
const log = capturingLogger();
beforeAll(async () => {
  t = await startTestServer({ limits: { maxBodyBytes: LIMIT, maxA2aBodyBytes: LIMIT }, logger: log.logger });
});

/** The requests the server finished, as its request log tells them. */
function finishedRequests(): number {
  return log.lines().filter((l) => l.msg === 'http request').length;
}
afterAll(async () => {
  await t.close();
});

/** A goal padded with spaces inside its JSON to exactly `bytes` bytes. */
function bodyOf(bytes: number): Buffer {
  const json = JSON.stringify({ goal: 'make a report' });
  return Buffer.from(`${json.slice(0, -1)}${' '.repeat(bytes - json.length)}}`);
}

describe('a /v1 request body', () => {
  it('is taken whole up to the limit and refused past it, with a Content-Length or in chunks', async () => {
    for (const chunked of [false, true]) {
      const at = await rawRequest(t.url, { path: '/v1/runs', headers: JSON_TYPE, body: bodyOf(LIMIT), chunked });
      expect(at.status, `chunked: ${chunked}`).toBe(202);
      expect(JSON.parse(at.body)).toMatchObject({ runId: expect.stringMatching(/^r_/) as unknown });
      const past = await rawRequest(t.url, { path: '/v1/runs', headers: JSON_TYPE, body: bodyOf(LIMIT + 1), chunked });
      expect(past.status, `chunked: ${chunked}`).toBe(413);
      expect(JSON.parse(past.body)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE', message: `the request body is larger than ${LIMIT} bytes` } });
    }
  });

  it('reads no further than the limit of a long chunked body', async () => {
    const total = 64 * 1024 * 1024;
    const past = await rawRequest(t.url, { path: '/v1/runs', headers: JSON_TYPE, totalBytes: total, chunked: true });
    expect(past.status).toBe(413);
    // Answered while the client was still sending: far from all of it went out. What went out
    // beyond the limit is what the kernel buffers hold once the server stops reading: ~4 MiB here
    // (tcp_wmem's 4 MiB and the receive window), reached when the answer comes late on a loaded
    // machine, so the bound is half the body, not the buffers' size.
    expect(past.bytesSent).toBeLessThan(total / 2);
  });

  it('ends its request, unanswered, when the client hangs up before the end of it, with a length or in chunks', async () => {
    for (const chunked of [false, true]) {
      const before = finishedRequests();
      // Within the limit, so it is read (by the handler, or by the limit when chunked) when the client goes.
      await hangUpMidBody(t.url, '/v1/runs', JSON_TYPE, LIMIT / 8, chunked);
      await eventually(() => finishedRequests() !== before);
      expect(finishedRequests(), `chunked: ${chunked}`).toBe(before + 1);
    }
    expect(log.lines().filter((l) => l.level >= 50)).toEqual([]);
  });

  it('of a TRACE is not limited: the Node adapter gives it none', async () => {
    const res = await rawRequest(t.url, { method: 'TRACE', path: '/v1/runs', body: Buffer.alloc(LIMIT + 1, ' ') });
    expect(res.status).toBe(404);
  });

  it('may start with a UTF-8 byte order mark, as Request.text() read it', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ goal: 'make a report' }))]);
    for (const chunked of [false, true]) {
      const res = await rawRequest(t.url, { path: '/v1/runs', headers: JSON_TYPE, body, chunked });
      expect(res.status, `chunked: ${chunked}`).toBe(202);
    }
  });

  it('keeps characters split across the pieces it arrives in', async () => {
    const goal = 'rapport trimestriel: ventes, marges, écarts — 売上 🚀';
    const json = Buffer.from(JSON.stringify({ goal }));
    const res = await fetch(`${t.url}/v1/runs`, {
      method: 'POST',
      headers: JSON_TYPE,
      duplex: 'half',
      // One byte per piece: every multi-byte character is split.
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          for (const byte of json) controller.enqueue(Uint8Array.of(byte));
          controller.close();
        },
      }),
    } as RequestInit);
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const run = (await (await fetch(`${t.url}/v1/runs/${runId}`)).json()) as { goal: string };
    expect(run.goal).toBe(goal);
  });
});

describe('an /a2a request body', () => {
  it('is refused past the limit with a JSON-RPC error, with a Content-Length or in chunks', async () => {
    for (const chunked of [false, true]) {
      const past = await rawRequest(t.url, { path: '/a2a', headers: JSON_TYPE, body: Buffer.alloc(LIMIT + 1, ' '), chunked });
      expect(past.status, `chunked: ${chunked}`).toBe(413);
      expect(JSON.parse(past.body)).toMatchObject({ jsonrpc: '2.0', id: null, error: { message: `the request body is larger than ${LIMIT} bytes` } });
    }
  });

  it('is read whole when sent in chunks within the limit', async () => {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tasks/get', params: { id: 'no-such-task' } }));
    const res = await rawRequest(t.url, { path: '/a2a', headers: JSON_TYPE, body, chunked: true });
    expect(res.status).toBe(200);
    // Parsed and answered by the JSON-RPC handler: the task is unknown, the request was whole.
    expect(JSON.parse(res.body)).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: -32001 } });
  });
});
