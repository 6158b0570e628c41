import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAgents, eventsOf, readSse, startRun, startTestServer } from './support.ts';
import type { TestServer } from './support.ts';

/** Sends a POST's headers and part of its body, then nothing: what the server writes, once it closes the connection. */
function sendHalfARequest(base: string): Promise<{ answer: string; ms: number }> {
  const url = new URL(base);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the connection was still open after 10 s'));
    }, 10_000);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answer, ms: Date.now() - started });
    });
    socket.on('connect', () => socket.write(`POST /v1/runs HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"go`));
  });
}

describe('limits.requestTimeoutMs', () => {
  let t: TestServer;
  beforeAll(async () => {
    // Two tasks of 700 ms each: a run outlasts the limit.
    t = await startTestServer({ limits: { requestTimeoutMs: 600, heartbeatMs: 100 }, agents: defaultAgents(700) });
  });
  afterAll(async () => {
    await t.close();
  });

  it('closes the connection of a client that never finishes its request body, with a 408', async () => {
    const { answer, ms } = await sendHalfARequest(t.url);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeGreaterThanOrEqual(500);
  });

  it('leaves an event stream open past it, to the end of its run', async () => {
    const runId = await startRun(t.url, 'make a report');
    const opened = Date.now();
    const res = await fetch(`${t.url}/v1/runs/${runId}/events`);
    const events = eventsOf(await readSse(res));
    expect(events.at(-1)).toMatchObject({ type: 'run.ended', status: 'succeeded' });
    expect(Date.now() - opened).toBeGreaterThan(1_000);
  });
});
