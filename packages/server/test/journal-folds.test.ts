/**
 * Reads of a running run another process executes (read from the journal): each folds only the
 * events stored since the read before, and answers what folding the whole journal answers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/src/core/events.ts';
import type { RunResult } from '../../core/src/core/types.ts';
import { reduceEvents } from '../../core/src/core/reduce.ts';
import { defineAgent } from '../../core/src/agent.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import type { Orchestrator } from '../../core/src/orchestrator.ts';
import { SqliteRunStore } from '../../core/src/store/index.ts';
import type { Orchestrator as LiveSource } from '../../core/src/orchestrator.ts';
import { sampleJournal } from '../../core/test/store/sample-journal.ts';
import { RunningResultFolds } from '../src/journal-folds.ts';
// @ts-expect-error: the dashboard's scripts are plain JavaScript, with no types.
import { heldAfter } from '../src/dashboard/run-reads.js';
import { LiveRuns } from '../src/live-runs.ts';
import { createServer } from '../src/index.ts';

/** A journal that records where each read of events began. */
class CountingStore extends SqliteRunStore {
  readonly afterSeqs: number[] = [];
  override async readEvents(runId: string, afterSeq?: number): Promise<RunEvent[]> {
    this.afterSeqs.push(afterSeq ?? 0);
    return super.readEvents(runId, afterSeq);
  }
}

/** Tasks t0..t(n-1) in a chain, each held until the test lets it go. */
function gatedRun(n: number) {
  const gates: (() => void)[] = [];
  const agent = defineAgent({
    name: 'step',
    description: 'waits for the test',
    produces: ['out'],
    run: async (input) => {
      const at = Number(input.task.id.slice(1));
      await new Promise<void>((resolve) => (gates[at] = resolve));
      return { out: at };
    },
  });
  const tasks = Array.from({ length: n }, (_, i) => ({ id: `t${i}`, agent: 'step', dependsOn: i > 0 ? [`t${i - 1}`] : [] }));
  return { agent, tasks, release: (i: number) => gates[i]!() };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function journalDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'baton-folds-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** An orchestrator of its own on `file`, as another process would execute runs on the journal. */
function executor(file: string, agent: ReturnType<typeof gatedRun>['agent']): Orchestrator {
  const o = createOrchestrator({ name: 'elsewhere', description: 'another process', agents: [agent], store: new SqliteRunStore({ file }) });
  cleanups.push(() => o.close());
  return o;
}

/** Waits until the run's last stored event is the start of `taskId`: the journal then holds still while the task waits. */
async function waitingAt(store: SqliteRunStore, runId: string, taskId: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const events = await store.readEvents(runId);
    const last = events[events.length - 1];
    if (last?.type === 'task.started' && last.taskId === taskId) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`run ${runId} did not come to wait at ${taskId}`);
}

async function wholeFold(store: SqliteRunStore, runId: string): Promise<{ json: string; seq: number }> {
  const events = await store.readEvents(runId);
  return { json: JSON.stringify(reduceEvents(events)), seq: events[events.length - 1]!.seq };
}

describe('RunningResultFolds', () => {
  it('folds only what was stored since its last read, and answers what folding the whole journal answers', async () => {
    const file = path.join(await journalDir(), 'baton.db');
    const run = gatedRun(3);
    const handle = executor(file, run.agent).start('chain', { plan: { tasks: run.tasks } });
    const store = new CountingStore({ file });
    cleanups.push(() => store.close());
    const folds = new RunningResultFolds(store);
    await waitingAt(store, handle.runId, 't0');

    let folded = 0;
    for (let step = 0; step < 3; step++) {
      store.afterSeqs.length = 0;
      const read = await folds.read(handle.runId);
      // The first read folds the journal from its start; each later one from the last event the one before folded.
      expect(store.afterSeqs).toEqual([folded === 0 ? 0 : folded - 1]);
      const expected = await wholeFold(store, handle.runId);
      expect(read).toEqual({ ...expected, ended: false });
      expect(expected.seq).toBeGreaterThan(folded);
      folded = expected.seq;
      expect(folds.size).toBe(1);
      run.release(step);
      if (step < 2) await waitingAt(store, handle.runId, `t${step + 1}`);
    }
    const result = await handle.result;
    expect(result.status).toBe('succeeded');
    const last = await folds.read(handle.runId);
    expect(last).toEqual({ ...(await wholeFold(store, handle.runId)), ended: true });
    // An ended run's JSON is kept by the ended runs' cache, not here.
    expect(folds.size).toBe(0);
  });

  it('folds the whole journal afresh when it does not follow on from what was folded', async () => {
    const file = path.join(await journalDir(), 'baton.db');
    const run = gatedRun(2);
    const handle = executor(file, run.agent).start('chain', { plan: { tasks: run.tasks } });
    const real = new SqliteRunStore({ file });
    cleanups.push(() => real.close());
    await waitingAt(real, handle.runId, 't0');
    const events = await real.readEvents(handle.runId);
    // A journal that, after the first read, skips an event: what was folded can no longer be trusted.
    let reads = 0;
    const skipping = {
      readEvents: async (runId: string, afterSeq = 0): Promise<RunEvent[]> => {
        reads++;
        return (await real.readEvents(runId, afterSeq)).filter((e) => afterSeq === 0 || e.seq !== afterSeq + 1);
      },
    };
    const folds = new RunningResultFolds(skipping);
    expect((await folds.read(handle.runId))?.seq).toBe(events[events.length - 1]!.seq);
    run.release(0);
    await waitingAt(real, handle.runId, 't1');
    reads = 0;
    const read = await folds.read(handle.runId);
    expect(reads).toBe(2);
    expect(read).toEqual({ ...(await wholeFold(real, handle.runId)), ended: false });
    run.release(1);
    await handle.result;
  });

  it('keeps folds within its budget and for as long as they are read, and forgets a run on request', async () => {
    const file = path.join(await journalDir(), 'baton.db');
    const run = gatedRun(1);
    const o = executor(file, run.agent);
    const handles = [o.start('one', { plan: { tasks: run.tasks } }), o.start('two', { plan: { tasks: run.tasks } })];
    const store = new CountingStore({ file });
    cleanups.push(() => store.close());
    for (const h of handles) await waitingAt(store, h.runId, 't0');
    const size = (await wholeFold(store, handles[0]!.runId)).json.length;
    let now = 1_000;
    // Room for one run's JSON, not two.
    const folds = new RunningResultFolds(store, size + 50, 60_000, () => now);
    await folds.read(handles[0]!.runId);
    await folds.read(handles[1]!.runId);
    expect(folds.size).toBe(1);
    store.afterSeqs.length = 0;
    await folds.read(handles[1]!.runId);
    expect(store.afterSeqs[0]).toBeGreaterThan(0);
    // Not read for a minute: let go at the next read, and folded afresh.
    now += 60_000;
    store.afterSeqs.length = 0;
    await folds.read(handles[1]!.runId);
    expect(store.afterSeqs).toEqual([0]);
    expect(folds.size).toBe(1);
    store.afterSeqs.length = 0;
    await folds.read(handles[1]!.runId);
    expect(store.afterSeqs[0]).toBeGreaterThan(0);
    folds.forget(handles[1]!.runId);
    expect(folds.size).toBe(0);
    // None kept when one run's JSON is larger than the whole budget.
    const small = new RunningResultFolds(store, 10);
    await small.read(handles[0]!.runId);
    expect(small.size).toBe(0);
    await Promise.all(handles.map((h) => h.cancel('done')));
  });
});

describe('a run deleted and made again under the same id', () => {
  it('is folded afresh, not on top of what was folded of the run before', async () => {
    const file = path.join(await journalDir(), 'baton.db');
    const run = gatedRun(2);
    const o = executor(file, run.agent);
    const store = new SqliteRunStore({ file });
    cleanups.push(() => store.close());
    const folds = new RunningResultFolds(store);
    // Each case: the record as read (its createdAt, or one the same as the first run's, as a run
    // made again within the same millisecond would have), then where the second run is read.
    for (const sameCreatedAt of [false, true]) {
      const runId = `r_same_${sameCreatedAt}`;
      const record = async () => (sameCreatedAt ? { createdAt: 'the same' } : await store.getRun(runId));
      const first = o.start('the first goal', { runId, plan: { tasks: run.tasks } });
      await waitingAt(store, runId, 't0');
      expect(JSON.parse((await folds.read(runId, await record()))!.json)).toMatchObject({ goal: 'the first goal' });
      first.cancel('made again');
      await first.result;
      await store.deleteRun(runId);

      // Made again, and gone past where the first was folded.
      const again = o.start('the second goal', { runId, plan: { tasks: run.tasks } });
      await waitingAt(store, runId, 't0');
      run.release(0);
      await waitingAt(store, runId, 't1');
      const read = await folds.read(runId, await record());
      expect(read).toEqual({ ...(await wholeFold(store, runId)), ended: false });
      expect(JSON.parse(read!.json)).toMatchObject({ goal: 'the second goal' });
      again.cancel('done');
      await again.result;
    }
  });
});

describe('what changed in a run kept folded since an event', () => {
  it('is what a run held here answers, from every event to every later one, as the journal grows, with every attempt of a changed task or from its first changed one', async () => {
    // Every event type of a run but its end: a replan and a resumption among them.
    const journal = sampleJournal('r').filter((e) => e.type !== 'run.ended');
    let stored = 0;
    const folds = new RunningResultFolds({ readEvents: async (_runId, afterSeq = 0) => journal.slice(0, stored).filter((e) => e.seq > afterSeq) });
    let listener: ((e: RunEvent) => void) | undefined;
    const live = new LiveRuns({ on: ((l: (e: RunEvent) => void) => ((listener = l), () => (listener = undefined))) as unknown as LiveSource['on'] });
    let deltas = 0;
    let cut = 0;
    try {
      for (stored = 1; stored <= journal.length; stored++) {
        listener!(journal[stored - 1]!);
        const read = await folds.read('r');
        expect(read).toEqual({ json: live.resultJson('r'), seq: journal[stored - 1]!.seq, ended: false });
        const now = reduceEvents(journal.slice(0, stored));
        for (let since = -1; since <= stored + 1; since++) {
          for (const attempts of ['all', 'changed'] as const) {
            const delta = folds.since('r', since, attempts);
            expect(delta?.json).toBe(live.resultSince('r', since, attempts));
            if (delta) {
              expect(delta.seq).toBe(journal[stored - 1]!.seq);
              // Folded into the whole result at `since`, as the page folds it, it is the whole result now.
              const before = reduceEvents(journal.filter((e) => e.seq <= since));
              const held = heldAfter(JSON.parse(JSON.stringify(before)), since, { delta: true, seq: delta.seq, body: JSON.parse(delta.json) }) as { run: RunResult };
              expect(held.run).toEqual(JSON.parse(JSON.stringify(now)));
              const sent = (JSON.parse(delta.json) as { tasks: { attemptsFrom?: number }[] }).tasks;
              if (attempts === 'all') expect(sent.every((t) => t.attemptsFrom === undefined)).toBe(true);
              else cut += sent.filter((t) => t.attemptsFrom !== undefined).length;
              deltas++;
            }
          }
        }
      }
    } finally {
      live.close();
    }
    // Not all whole: the test compared deltas, not only their absence.
    expect(deltas).toBeGreaterThan(journal.length);
    // Nor all with every attempt: tasks of several attempts were sent from their first changed one.
    expect(cut).toBeGreaterThan(journal.length);
    expect(folds.since('other', 1)).toBeUndefined();
  });
});

/** A gated chain of 3 tasks executed on a journal by another orchestrator, and a server on that journal that does not take runs over. */
async function chainReadByServer() {
  const dataDir = await journalDir();
  const file = path.join(dataDir, 'baton.db');
  const run = gatedRun(3);
  const handle = executor(file, run.agent).start('chain', { plan: { tasks: run.tasks } });
  const store = new CountingStore({ file });
  const server = await createServer({
    orchestrator: ({ limiter }) => createOrchestrator({ name: 'o', description: 'o', agents: [run.agent], store, limiter }),
    host: '127.0.0.1',
    port: 0,
    dataDir,
    telemetry: false,
    takeover: false,
  });
  cleanups.push(async () => {
    await server.close();
    await server.orchestrator.close();
  });
  return { run, handle, store, server };
}

describe('GET /v1/runs/:id of a running run another process executes', () => {
  it('reads only the events stored since its last read, and answers the run as its journal holds it', async () => {
    const { run, handle, store, server } = await chainReadByServer();
    await waitingAt(store, handle.runId, 't0');
    let folded = 0;
    for (let step = 0; step < 3; step++) {
      store.afterSeqs.length = 0;
      const res = await fetch(`${server.url}/v1/runs/${handle.runId}`);
      expect(store.afterSeqs).toEqual([folded === 0 ? 0 : folded - 1]);
      const expected = await wholeFold(store, handle.runId);
      expect(await res.text()).toBe(expected.json);
      expect(res.headers.get('baton-seq')).toBe(String(expected.seq));
      folded = expected.seq;
      run.release(step);
      if (step < 2) await waitingAt(store, handle.runId, `t${step + 1}`);
    }
    expect((await handle.result).status).toBe('succeeded');
    const ended = await fetch(`${server.url}/v1/runs/${handle.runId}`);
    expect(await ended.text()).toBe((await wholeFold(store, handle.runId)).json);
  });

  it('answers ?since= with only what changed, as for a run it executes, and whole once the run has ended', async () => {
    const { run, handle, store, server } = await chainReadByServer();
    await waitingAt(store, handle.runId, 't0');
    const first = await fetch(`${server.url}/v1/runs/${handle.runId}`);
    let held = (await first.json()) as RunResult;
    let seq = Number(first.headers.get('baton-seq'));
    for (let step = 0; step < 2; step++) {
      run.release(step);
      await waitingAt(store, handle.runId, `t${step + 1}`);
      const res = await fetch(`${server.url}/v1/runs/${handle.runId}?since=${seq}`);
      expect(res.headers.get('baton-delta')).toBe(String(seq));
      const delta = (await res.json()) as RunResult;
      expect(delta).not.toHaveProperty('plan');
      // t(step) ended and t(step + 1) began: only their records.
      expect(delta.tasks.map((t) => t.id).sort()).toEqual([`t${step}`, `t${step + 1}`]);
      const tasks = held.tasks.map((t) => delta.tasks.find((d) => d.id === t.id) ?? t);
      held = { ...delta, plan: held.plan, tasks };
      seq = Number(res.headers.get('baton-seq'));
      const whole = await wholeFold(store, handle.runId);
      expect(seq).toBe(whole.seq);
      expect(held).toEqual(JSON.parse(whole.json));
    }
    run.release(2);
    await handle.result;
    const ended = await fetch(`${server.url}/v1/runs/${handle.runId}?since=${seq}`);
    expect(ended.headers.get('baton-delta')).toBeNull();
    expect(await ended.text()).toBe((await wholeFold(store, handle.runId)).json);
  });
});
