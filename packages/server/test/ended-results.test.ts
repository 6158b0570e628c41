/**
 * `GET /v1/runs/:id` of an ended run read from the journal (one a previous server on the same
 * SQLite file ran): its JSON is made once, not on every request, and a run deleted since is 404.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/src/core/events.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import { SqliteRunStore } from '../../core/src/store/index.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { EndedResultJson } from '../src/ended-results.ts';
import { createServer } from '../src/index.ts';
import type { BatonServer } from '../src/index.ts';
import { postJson, waitForEnd } from './support.ts';

class CountingStore extends SqliteRunStore {
  fullReads = 0;
  override async readEvents(runId: string, afterSeq?: number): Promise<RunEvent[]> {
    if (!afterSeq) this.fullReads++;
    return super.readEvents(runId, afterSeq);
  }
}

function serve(store: SqliteRunStore, dataDir: string): Promise<BatonServer> {
  const agents = [scriptedAgent({ name: 'maker', produces: ['thing'] })];
  return createServer({
    orchestrator: ({ limiter }) => createOrchestrator({ name: 'o', description: 'o', agents, store, limiter }),
    host: '127.0.0.1',
    port: 0,
    dataDir,
    telemetry: false,
    takeover: false,
  });
}

describe('GET /v1/runs/:id of an ended run read from the journal', () => {
  it('makes its JSON once for every request, and answers 404 once the run is deleted', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'baton-ended-'));
    const file = path.join(dataDir, 'baton.db');
    const first = await serve(new SqliteRunStore({ file }), dataDir);
    let runId: string;
    try {
      const res = await postJson(`${first.url}/v1/runs`, { plan: { tasks: [{ id: 't1', agent: 'maker' }] } });
      runId = ((await res.json()) as { runId: string }).runId;
      expect((await waitForEnd(first.url, runId)).status).toBe('succeeded');
    } finally {
      await first.close();
      await first.orchestrator.close();
    }
    const store = new CountingStore({ file });
    const server = await serve(store, dataDir);
    try {
      const bodies = await Promise.all(Array.from({ length: 5 }, async () => (await fetch(`${server.url}/v1/runs/${runId}`)).text()));
      bodies.push(await (await fetch(`${server.url}/v1/runs/${runId}`)).text());
      expect(new Set(bodies).size).toBe(1);
      expect((JSON.parse(bodies[0]!) as { status: string }).status).toBe('succeeded');
      expect(store.fullReads).toBe(1);
      // It says the last event it folds, as a run held here does, and it is always the whole run.
      const events = await store.readEvents(runId);
      const since = await fetch(`${server.url}/v1/runs/${runId}?since=2`);
      expect(since.headers.get('baton-seq')).toBe(String(events[events.length - 1]!.seq));
      expect(since.headers.get('baton-delta')).toBeNull();
      expect(await since.text()).toBe(bodies[0]);
      await store.deleteRun(runId);
      expect((await fetch(`${server.url}/v1/runs/${runId}`)).status).toBe(404);
    } finally {
      await server.close();
      await server.orchestrator.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('EndedResultJson', () => {
  const made = (json: string, ended = true) => async () => ({ json, ended, seq: json.length });

  it('keeps the JSON of ended runs within its budget, the least recently asked for let go first', async () => {
    const results = new EndedResultJson(10);
    await results.get('a', made('aaaa'));
    await results.get('b', made('bbbb'));
    await results.get('a', made('not made again'));
    await results.get('c', made('cccc'));
    expect(await results.get('a', made('made again'))).toEqual({ json: 'aaaa', seq: 4 });
    expect(await results.get('b', made('made again'))).toEqual({ json: 'made again', seq: 10 });
  });

  it('does not give what it kept of a run for another made under the same id since', async () => {
    const results = new EndedResultJson(100);
    await results.get('r', made('first'), '2026-12-05T10:00:00.000Z');
    expect(await results.get('r', made('not made again'), '2026-12-05T10:00:00.000Z')).toEqual({ json: 'first', seq: 5 });
    expect(await results.get('r', made('second'), '2026-12-05T11:00:00.000Z')).toEqual({ json: 'second', seq: 6 });
  });

  it('makes it again, once, for the requests that joined a making that found the run not ended', async () => {
    const results = new EndedResultJson(100);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let makings = 0;
    const first = results.get('r', async () => {
      makings++;
      await gate;
      return { json: 'running', ended: false, seq: 1 };
    });
    // The run ends meanwhile: requests that come now must not be given a state from before them.
    const joined = ['ended', 'not made'].map((json, i) =>
      results.get('r', async () => {
        makings++;
        return { json, ended: true, seq: 2 + i };
      }),
    );
    release();
    expect(await first).toEqual({ json: 'running', seq: 1 });
    expect(await Promise.all(joined)).toEqual([
      { json: 'ended', seq: 2 },
      { json: 'ended', seq: 2 },
    ]);
    expect(makings).toBe(2);
    // A making that found the run ended is all its joiners need.
    const ended = [results.get('e', made('done')), results.get('e', made('not made'))];
    expect(await Promise.all(ended)).toEqual([
      { json: 'done', seq: 4 },
      { json: 'done', seq: 4 },
    ]);
  });

  it('does not keep the JSON of a run that has not ended, nor one larger than the budget', async () => {
    const results = new EndedResultJson(10);
    await results.get('r', made('first', false));
    expect(await results.get('r', made('second'))).toEqual({ json: 'second', seq: 6 });
    await results.get('big', made('x'.repeat(11)));
    expect(await results.get('big', made('again'))).toEqual({ json: 'again', seq: 5 });
  });
});
