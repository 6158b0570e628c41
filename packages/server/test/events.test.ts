import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/src/core/events.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { MemoryRunStore } from '../../core/src/store/index.ts';
import { eventsOf, readSse, startRun, startTestServer, waitForEnd } from './support.ts';
import type { TestServer } from './support.ts';

function expectContiguous(events: RunEvent[], from = 1): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => from + i));
}

describe('GET /v1/runs/:id/events (Server-Sent Events)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      agents: [
        // Fails once, so the stream carries a retry; slow enough to join mid-run.
        scriptedAgent({ name: 'extract', produces: ['rows'], script: [{ throw: 'database busy', delayMs: 150 }, { output: { rows: [1] }, delayMs: 150 }] }),
        scriptedAgent({ name: 'report', consumes: ['rows'], produces: ['report'], script: [{ output: { report: 'done' }, delayMs: 300 }] }),
      ],
      policy: { backoff: { initialDelayMs: 10, factor: 1, maxDelayMs: 10, jitter: 0 } },
      limits: { heartbeatMs: 100, pollMs: 50 },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('streams a live run from its start to run.ended, then closes', async () => {
    const runId = await startRun(t.url, 'make a report');
    const res = await fetch(`${t.url}/v1/runs/${runId}/events`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const messages = await readSse(res);
    const events = eventsOf(messages);
    expectContiguous(events);
    expect(events[0]?.type).toBe('run.started');
    expect(events.at(-1)).toMatchObject({ type: 'run.ended', status: 'succeeded' });
    expect(events.map((e) => e.type)).toContain('task.retrying');
    // run.ended carries the artifacts, as always, though the journal references them.
    const ended = events.at(-1);
    expect(ended?.type === 'run.ended' && ended.deliverable.artifacts).toEqual({ report: 'done' });
    expect(ended && 'artifactRefs' in ended).toBe(false);
    const replayed = eventsOf(await readSse(await fetch(`${t.url}/v1/runs/${runId}/events`)));
    expect(replayed.at(-1)).toEqual(ended);
    const journaled = await t.server.orchestrator.store.readEvents(runId);
    expect(journaled.at(-1)).toMatchObject({ artifactRefs: { report: expect.any(String) }, deliverable: { artifacts: { report: null } } });
    for (const m of messages.filter((x) => x.data)) {
      const e = JSON.parse(m.data ?? '') as RunEvent;
      expect(m.id).toBe(String(e.seq));
      expect(m.event).toBe(e.type);
    }
    // Slow steps leave room for heartbeats (every 100 ms here, 15 s by default).
    expect(messages.some((m) => m.comment === 'heartbeat')).toBe(true);
  });

  it('replays a finished run in full and ends', async () => {
    const runId = await startRun(t.url, 'make a report');
    await waitForEnd(t.url, runId);
    const events = eventsOf(await readSse(await fetch(`${t.url}/v1/runs/${runId}/events`)));
    expectContiguous(events);
    expect(events.at(-1)?.type).toBe('run.ended');
  });

  it('resumes after Last-Event-ID without gaps or duplicates, mid-run and after the end', async () => {
    const runId = await startRun(t.url, 'make a report');
    // Read the first three events, then drop the connection.
    const head = eventsOf(await readSse(await fetch(`${t.url}/v1/runs/${runId}/events`), (_, all) => eventsOf(all).length >= 3));
    expect(head.map((e) => e.seq)).toEqual([1, 2, 3]);
    const rest = eventsOf(await readSse(await fetch(`${t.url}/v1/runs/${runId}/events`, { headers: { 'Last-Event-ID': '3' } })));
    expectContiguous(rest, 4);
    expect(rest.at(-1)?.type).toBe('run.ended');
    const last = rest.at(-1)?.seq ?? 0;
    // The query parameter works too; after the last event there is nothing more to send.
    const none = eventsOf(await readSse(await fetch(`${t.url}/v1/runs/${runId}/events?lastEventId=${last}`)));
    expect(none).toEqual([]);
    const bad = await fetch(`${t.url}/v1/runs/${runId}/events`, { headers: { 'Last-Event-ID': 'abc' } });
    expect(bad.status).toBe(400);
  });

  it('follows a run that another process journals, by polling the store', async () => {
    const store = t.server.orchestrator.store;
    const runId = 'r_elsewhere1';
    const at = new Date().toISOString();
    await store.createRun({ runId, goal: 'made elsewhere', createdAt: at });
    await store.append(runId, [{ type: 'run.started', goal: 'made elsewhere', orchestrator: 'other', runId, seq: 1, at }]);
    const stream = fetch(`${t.url}/v1/runs/${runId}/events`).then((r) => readSse(r));
    await new Promise((r) => setTimeout(r, 120));
    await store.append(runId, [
      { type: 'task.skipped', taskId: 't1', reason: 'nothing to do', runId, seq: 2, at },
      { type: 'run.ended', status: 'succeeded', deliverable: { artifacts: {}, files: [], provenance: {} }, runId, seq: 3, at },
    ]);
    const events = eventsOf(await stream);
    expectContiguous(events);
    expect(events.map((e) => e.type)).toEqual(['run.started', 'task.skipped', 'run.ended']);
  });

  it('replays a run larger than one write in parts: every event once, in order, in the text/event-stream format', async () => {
    const store = t.server.orchestrator.store;
    const runId = 'r_largereplay1';
    const at = new Date().toISOString();
    await store.createRun({ runId, goal: 'many events', createdAt: at });
    // ~330 KB of events: the stream sends a replay in writes of about 64 KB.
    const events: RunEvent[] = [{ type: 'run.started', goal: 'many events', orchestrator: 'other', runId, seq: 1, at }];
    for (let i = 0; i < 1000; i++) events.push({ type: 'task.skipped', taskId: `t${i}`, reason: `skipped ${i} ${'x'.repeat(200 + (i % 7))}`, runId, seq: events.length + 1, at });
    events.push({ type: 'run.ended', status: 'succeeded', deliverable: { artifacts: {}, files: [], provenance: {} }, runId, seq: events.length + 1, at });
    await store.append(runId, events);
    const res = await fetch(`${t.url}/v1/runs/${runId}/events`);
    const text = await res.text();
    const journaled = await store.readEvents(runId);
    expect(journaled).toHaveLength(1002);
    expect(text).toBe(journaled.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\nid: ${e.seq}\n\n`).join(''));
  });

  it('serves many followers of one run the same events', async () => {
    const runId = await startRun(t.url, 'make a report');
    const streams = await Promise.all([0, 1, 2, 3].map(() => fetch(`${t.url}/v1/runs/${runId}/events`).then((r) => readSse(r))));
    const seqs = streams.map((s) => eventsOf(s).map((e) => e.seq));
    for (const s of seqs) expect(s).toEqual(seqs[0]);
    expect(eventsOf(streams[0] ?? []).at(-1)?.type).toBe('run.ended');
  });

  it('streams each of several runs at once its own events only, all of them, joined mid-run', async () => {
    const runIds = await Promise.all([0, 1, 2, 3].map((i) => startRun(t.url, `make report ${i}`)));
    const streams = await Promise.all(runIds.map((runId) => fetch(`${t.url}/v1/runs/${runId}/events`).then((r) => readSse(r))));
    for (const [i, runId] of runIds.entries()) {
      const events = eventsOf(streams[i] ?? []);
      expect(events.every((e) => e.runId === runId)).toBe(true);
      expectContiguous(events);
      expect(events.at(-1)).toMatchObject({ type: 'run.ended', status: 'succeeded' });
      expect(events.map((e) => e.seq)).toEqual((await t.server.orchestrator.store.readEvents(runId)).map((e) => e.seq));
    }
  });
});

/** A journal whose whole-run read fails for one run: what the stream reads to give `run.ended` its artifacts. */
class ResultReadFails extends MemoryRunStore {
  constructor(private readonly failing: string) {
    super();
  }

  override async readEvents(runId: string, afterSeq?: number): Promise<RunEvent[]> {
    // Two lines: each goes out as a data line of the error event, never as a field of its own.
    if (runId === this.failing && afterSeq === undefined) throw new Error('the journal could not be read\nretry: 1');
    return super.readEvents(runId, afterSeq);
  }
}

describe('GET /v1/runs/:id/events when an event of a batch cannot be sent', () => {
  const runId = 'r_resultfails1';
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ orchestratorOptions: { store: new ResultReadFails(runId) }, limits: { heartbeatMs: 100, pollMs: 50 } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('sends the events before it, then the error; a client that resumes gets none of them again', async () => {
    const store = t.server.orchestrator.store;
    const at = new Date().toISOString();
    await store.createRun({ runId, goal: 'artifacts unreadable', createdAt: at });
    const events: RunEvent[] = [{ type: 'run.started', goal: 'artifacts unreadable', orchestrator: 'other', runId, seq: 1, at }];
    for (let i = 0; i < 5; i++) events.push({ type: 'task.skipped', taskId: `t${i}`, reason: 'nothing to do', runId, seq: events.length + 1, at });
    events.push({ type: 'run.ended', status: 'succeeded', deliverable: { artifacts: { report: null }, files: [], provenance: {} }, artifactRefs: { report: 't0' }, runId, seq: 7, at });
    await store.append(runId, events);
    const first = await readSse(await fetch(`${t.url}/v1/runs/${runId}/events`));
    expect(eventsOf(first.filter((m) => m.event !== 'error')).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(first.at(-1)).toEqual({ event: 'error', data: 'the journal could not be read\nretry: 1' });
    const resumed = await readSse(await fetch(`${t.url}/v1/runs/${runId}/events`, { headers: { 'Last-Event-ID': '6' } }));
    expect(resumed.filter((m) => m.event !== 'error' && m.data)).toEqual([]);
    expect(resumed.at(-1)).toMatchObject({ event: 'error' });
  });

  it('refuses an event whose type holds a line break (a foreign journal), as writeSSE did, instead of letting it add fields', async () => {
    const store = t.server.orchestrator.store;
    const other = 'r_badtype0001';
    const at = new Date().toISOString();
    await store.createRun({ runId: other, goal: 'bad type', createdAt: at });
    const bad = { type: 'task.skipped\nretry: 1', taskId: 't1', reason: 'r', runId: other, seq: 2, at } as unknown as RunEvent;
    const ended: RunEvent = { type: 'run.ended', status: 'failed', reason: 'r', deliverable: { artifacts: {}, files: [], provenance: {} }, runId: other, seq: 3, at };
    // Ended, so that the server's sweep does not carry it on meanwhile.
    await store.append(other, [{ type: 'run.started', goal: 'bad type', orchestrator: 'other', runId: other, seq: 1, at }, bad, ended]);
    const text = await (await fetch(`${t.url}/v1/runs/${other}/events`)).text();
    expect(text).toContain('id: 1\n\n');
    expect(text).toContain('event: error\ndata: event 2 of the run has a type with a line break: it cannot be sent');
    expect(text).not.toContain('retry: 1');
  });
});

describe('GET /v1/runs/:id/events of a long run this server executes', () => {
  it('replays from its start or from far back through the journal, and from near its end from what it keeps: every event once, in order', { timeout: 60_000 }, async () => {
    const t = await startTestServer({
      agents: [scriptedAgent({ name: 'poll', produces: ['status'], retries: 1_000_000, script: [{ throw: 'not yet' }] })],
      policy: { backoff: { initialDelayMs: 1, factor: 1, maxDelayMs: 1, jitter: 0 }, runTimeoutMs: 120_000 },
    });
    try {
      const res = await fetch(`${t.url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ goal: 'poll', plan: { tasks: [{ id: 'p', agent: 'poll' }] } }) });
      const { runId } = (await res.json()) as { runId: string };
      // Past the 2,000 latest events the server keeps of a run at most.
      const seqNow = async (): Promise<number> => Number((await fetch(`${t.url}/v1/runs/${runId}`)).headers.get('baton-seq'));
      for (let until = Date.now() + 45_000; (await seqNow()) < 2_600 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
      const reached = await seqNow();
      expect(reached).toBeGreaterThanOrEqual(2_600);
      for (const after of [0, 300, reached - 500, reached - 5]) {
        const upTo = reached + 30;
        const headers: Record<string, string> = after > 0 ? { 'Last-Event-ID': String(after) } : {};
        const events = eventsOf(await readSse(await fetch(`${t.url}/v1/runs/${runId}/events`, { headers }), (_, all) => (all.filter((m) => m.data).length > 0 && Number(all.filter((m) => m.data).at(-1)!.id) >= upTo)));
        expect(events.length, `after ${after}`).toBeGreaterThanOrEqual(upTo - after);
        expectContiguous(events, after + 1);
      }
      await fetch(`${t.url}/v1/runs/${runId}/cancel`, { method: 'POST' });
      await waitForEnd(t.url, runId);
    } finally {
      await t.close();
    }
  });
});
