/**
 * The event stream as the server writes it to Node's response: its head, a HEAD request, and its
 * end when the server closes while the run goes on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startRun, startTestServer, statusIs, waitForEnd } from './support.ts';
import type { TestServer } from './support.ts';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** Reads a stream to its end: its text, and the error if it did not end cleanly. */
async function readToEnd(res: Response, onText: (text: string) => void = () => undefined): Promise<{ text: string; error?: unknown }> {
  if (!res.body) throw new Error('no body');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { text };
      text += value;
      onText(text);
    }
  } catch (error) {
    return { text, error };
  }
}

describe('an event stream written to the Node response', () => {
  it('has the head of an event stream', async () => {
    t = await startTestServer();
    const runId = await startRun(t.url, 'make a report');
    await waitForEnd(t.url, runId);
    const res = await fetch(`${t.url}/v1/runs/${runId}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const { text, error } = await readToEnd(res);
    expect(error).toBeUndefined();
    expect(text).toMatch(/^event: run\.started\ndata: \{.*\}\nid: 1\n\n/);
    expect(text).toMatch(/event: run\.ended\ndata: \{.*\}\nid: \d+\n\n$/);
  });

  it('answers a HEAD request with the head alone, and ends it though the run goes on', async () => {
    t = await startTestServer({ policy: { approval: 'plan' } });
    const runId = await startRun(t.url, 'make a report');
    await statusIs(t.url, runId, 'awaiting-approval');
    const head = await fetch(`${t.url}/v1/runs/${runId}/events`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/event-stream');
    expect(await head.text()).toBe('');
    expect((await fetch(`${t.url}/v1/runs/r_nosuchrun01/events`, { method: 'HEAD' })).status).toBe(404);
  });

  it('ends every open stream cleanly when the server closes, though their run has not ended', async () => {
    // The run waits for its plan's approval: the server lets it go at close, so no run.ended comes.
    t = await startTestServer({ policy: { approval: 'plan' } });
    const runId = await startRun(t.url, 'make a report');
    const reads = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const res = await fetch(`${t?.url}/v1/runs/${runId}/events`);
        let opened!: () => void;
        const waiting = new Promise<void>((resolve) => (opened = resolve));
        const read = readToEnd(res, (text) => {
          if (text.includes('event: approval.requested\n')) opened();
        });
        await waiting;
        // Wrapped: an async function returning the promise itself would wait for its end.
        return { read };
      }),
    );
    await t.server.close();
    for (const { text, error } of await Promise.all(reads.map((r) => r.read))) {
      // Without the close ending it, the server would cut the connection mid-stream after 2 s.
      expect(error).toBeUndefined();
      expect(text.endsWith('\n\n')).toBe(true);
      expect(text).not.toContain('event: run.ended');
    }
  });
});
