/**
 * The event stream as the server writes it to Node's response: its head, a HEAD request, and its
 * end when the server closes while the run goes on.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/src/core/events.ts';
import type { RunRecord } from '../../core/src/core/contracts.ts';
import { MemoryRunStore } from '../../core/src/store/index.ts';
import { eventually, startRun, startTestServer, statusIs, waitForEnd } from './support.ts';
import type { TestServer } from './support.ts';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** A journal whose read of one run's summary takes 300 ms: what the stream's handler awaits first. */
class SlowRunRead extends MemoryRunStore {
  constructor(private readonly slow: string) {
    super();
  }

  override async getRun(runId: string): Promise<RunRecord | undefined> {
    if (runId === this.slow) await new Promise((resolve) => setTimeout(resolve, 300));
    return super.getRun(runId);
  }
}

/** A journal whose read of one run's events throws an object with no prototype, not an Error. */
class OddThrow extends MemoryRunStore {
  constructor(private readonly odd: string) {
    super();
  }

  override async readEvents(runId: string, afterSeq?: number): Promise<RunEvent[]> {
    if (runId === this.odd) throw Object.create(null);
    return super.readEvents(runId, afterSeq);
  }
}

/** A journal whose reads of one run's events wait until the test opens the gate. */
class GatedRead extends MemoryRunStore {
  open!: () => void;
  readonly #gate = new Promise<void>((resolve) => (this.open = resolve));

  constructor(private readonly gated: string) {
    super();
  }

  override async readEvents(runId: string, afterSeq?: number): Promise<RunEvent[]> {
    if (runId === this.gated) await this.#gate;
    return super.readEvents(runId, afterSeq);
  }
}

/** Journals a run as another process would: started, with `filler` characters of events, ended or not. */
async function journalRun(store: MemoryRunStore, runId: string, options: { filler: number; ended: boolean }): Promise<void> {
  const at = new Date().toISOString();
  await store.createRun({ runId, goal: 'elsewhere', createdAt: at });
  const events: RunEvent[] = [{ type: 'run.started', goal: 'elsewhere', orchestrator: 'other', runId, seq: 1, at }];
  for (let i = 0; i < options.filler / 5_000; i++) events.push({ type: 'task.skipped', taskId: `t${i}`, reason: 'x'.repeat(5_000), runId, seq: events.length + 1, at });
  if (options.ended) events.push({ type: 'run.ended', status: 'failed', reason: 'r', deliverable: { artifacts: {}, files: [], provenance: {} }, runId, seq: events.length + 1, at });
  await store.append(runId, events);
}

/** Counts the server's open subscriptions to each run's events (each event stream holds one). */
function countSubscriptions(server: TestServer['server']): Map<string, number> {
  const open = new Map<string, number>();
  const orchestrator = server.orchestrator;
  const on = orchestrator.on.bind(orchestrator);
  orchestrator.on = (listener, options = {}) => {
    const runId = options.runId ?? '*';
    open.set(runId, (open.get(runId) ?? 0) + 1);
    const off = on(listener, options);
    let done = false;
    return () => {
      if (!done) open.set(runId, (open.get(runId) ?? 0) - 1);
      done = true;
      off();
    };
  };
  return open;
}

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
    const open = countSubscriptions(t.server);
    const head = await fetch(`${t.url}/v1/runs/${runId}/events`, { method: 'HEAD', signal: AbortSignal.timeout(5_000) });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/event-stream');
    expect(await head.text()).toBe('');
    // Nothing follows the run for a request that gets no body.
    await eventually(() => open.get(runId) === 0);
    expect(open.get(runId)).toBe(0);
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

  it('sends its head before the journal has given the events to replay', async () => {
    const runId = 'r_gatedread001';
    const store = new GatedRead(runId);
    t = await startTestServer({ orchestratorOptions: { store }, takeover: false });
    await journalRun(store, runId, { filler: 0, ended: true });
    // The journal's read waits for the gate: the answer's head must come without it.
    const res = await fetch(`${t.url}/v1/runs/${runId}/events`, { signal: AbortSignal.timeout(5_000) });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    store.open();
    const { text, error } = await readToEnd(res);
    expect(error).toBeUndefined();
    expect(text).toMatch(/^event: run\.started\n[^]*event: run\.ended\n[^]*\n\n$/);
  });

  it('ends with an error event when the journal throws something that is not an Error', async () => {
    const runId = 'r_oddthrow0001';
    const store = new OddThrow(runId);
    t = await startTestServer({ orchestratorOptions: { store }, takeover: false });
    await journalRun(store, runId, { filler: 0, ended: false });
    const { text, error } = await readToEnd(await fetch(`${t.url}/v1/runs/${runId}/events`));
    expect(error).toBeUndefined();
    expect(text).toBe('event: error\ndata: the event stream failed\n\n');
  });

  it('lets go at once of a stream that waits for its run when its client leaves', async () => {
    // The default heartbeat (15 s): only the client's going may wake the stream before it.
    t = await startTestServer({ policy: { approval: 'plan' } });
    const runId = await startRun(t.url, 'make a report');
    await statusIs(t.url, runId, 'awaiting-approval');
    const open = countSubscriptions(t.server);
    const controller = new AbortController();
    const res = await fetch(`${t.url}/v1/runs/${runId}/events`, { signal: controller.signal });
    let openWhileRead: number | undefined;
    await readToEnd(res, (text) => {
      if (!text.includes('event: approval.requested\n')) return;
      openWhileRead = open.get(runId);
      controller.abort();
    });
    expect(openWhileRead).toBe(1);
    await eventually(() => open.get(runId) === 0);
    expect(open.get(runId)).toBe(0);
  });

  it('lets go of a stream whose client left while its handler still awaited the journal', async () => {
    const runId = 'r_slowread0001';
    const store = new SlowRunRead(runId);
    t = await startTestServer({ orchestratorOptions: { store }, limits: { heartbeatMs: 100, pollMs: 20 }, takeover: false });
    // A run another process executes, not ended: its stream polls the journal until the client goes.
    await journalRun(store, runId, { filler: 0, ended: false });
    const open = countSubscriptions(t.server);
    const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`GET /v1/runs/${runId}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    // The handler's journal read ends 200 ms later; the stream must then end, not poll for good.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await eventually(() => open.get(runId) === 0);
    expect(open.get(runId)).toBe(0);
  });

  it('lets go of a stream queued behind another on its connection (pipelining) when the client leaves', async () => {
    const store = new MemoryRunStore();
    t = await startTestServer({ orchestratorOptions: { store }, limits: { heartbeatMs: 100, pollMs: 20 }, takeover: false });
    const waiting = 'r_waitingrun01';
    const large = 'r_largerun0001';
    await journalRun(store, waiting, { filler: 0, ended: false });
    // More than a response may buffer before its connection is free: its writes wait for a drain.
    await journalRun(store, large, { filler: 200_000, ended: true });
    const open = countSubscriptions(t.server);
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
      socket.on('error', () => undefined);
      // More streams on one connection than an emitter's default limit of listeners (10).
      const queued = 14;
      socket.write(`GET /v1/runs/${waiting}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n${`GET /v1/runs/${large}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`.repeat(queued)}`);
      await eventually(() => open.get(waiting) === 1 && open.get(large) === queued);
      expect([open.get(waiting), open.get(large)]).toEqual([1, queued]);
      socket.destroy();
      await eventually(() => open.get(waiting) === 0 && open.get(large) === 0);
      expect([open.get(waiting), open.get(large)]).toEqual([0, 0]);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
