import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsOf, readSse, startRun, startTestServer, waitForEnd } from './support.ts';
import type { TestServer } from './support.ts';

describe('Last-Event-ID is a decimal seq, nothing else', () => {
  let t: TestServer;
  let runId: string;
  beforeAll(async () => {
    t = await startTestServer();
    runId = await startRun(t.url, 'make a report');
    await waitForEnd(t.url, runId);
  });
  afterAll(async () => {
    await t.close();
  });

  const BAD = ['0x10', '1e3', '+5', '-1', '1.0', '5 6', '1_000', 'Infinity', 'abc', '\u0663', '1234567890123456'];

  it('refuses anything else in the header with 400 and the rule', async () => {
    for (const value of BAD) {
      const res = await fetch(`${t.url}/v1/runs/${runId}/events`, { headers: { 'Last-Event-ID': encodeURI(value) === value ? value : encodeURIComponent(value) } });
      expect(res.status, JSON.stringify(value)).toBe(400);
      const error = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(/Last-Event-ID must be .*decimal digits/);
    }
  });

  it('refuses the same in ?lastEventId=, and spaces around the number', async () => {
    for (const value of [...BAD, ' 5', '5 ', '\t5']) {
      const res = await fetch(`${t.url}/v1/runs/${runId}/events?lastEventId=${encodeURIComponent(value)}`);
      expect(res.status, JSON.stringify(value)).toBe(400);
    }
  });

  it('takes decimal digits, leading zeros included, in either place', async () => {
    const all = eventsOf(await readSse(await fetch(`${t.url}/v1/runs/${runId}/events`)));
    const fromHeader = eventsOf(await readSse(await fetch(`${t.url}/v1/runs/${runId}/events`, { headers: { 'Last-Event-ID': '3' } })));
    expect(fromHeader.map((e) => e.seq)).toEqual(all.slice(3).map((e) => e.seq));
    const fromQuery = eventsOf(await readSse(await fetch(`${t.url}/v1/runs/${runId}/events?lastEventId=003`)));
    expect(fromQuery.map((e) => e.seq)).toEqual(all.slice(3).map((e) => e.seq));
  });
});
