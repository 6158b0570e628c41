import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import { DEFAULT_MAX_FINISHED_EVENTS, DEFAULT_MAX_FINISHED_RUNS, MemoryRunStore } from '../../src/store/memory-store.ts';
import { stamp } from './sample-journal.ts';

async function startRun(store: MemoryRunStore, runId: string): Promise<void> {
  await store.createRun({ runId, goal: 'g', createdAt: new Date().toISOString() });
  await store.append(runId, stamp(runId, [{ type: 'run.started', goal: 'g', orchestrator: 'o' }], 1));
}

async function endRun(store: MemoryRunStore, runId: string): Promise<void> {
  await store.append(runId, stamp(runId, [{ type: 'run.ended', status: 'succeeded', deliverable: { artifacts: {}, files: [], provenance: {} } }], 2));
}

/** A run of `events` events in all (run.started, usage reports, run.ended). */
async function runOf(store: MemoryRunStore, runId: string, events: number): Promise<void> {
  await startRun(store, runId);
  const usage = Array.from({ length: events - 2 }, () => ({ type: 'usage' as const, usage: { llmCalls: 1, inputTokens: 1, outputTokens: 1 } }));
  await store.append(runId, stamp(runId, usage, 2));
  await store.append(runId, stamp(runId, [{ type: 'run.ended', status: 'succeeded', deliverable: { artifacts: {}, files: [], provenance: {} } }], events));
}

async function known(store: MemoryRunStore, runIds: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of runIds) if (await store.getRun(id)) out.push(id);
  return out;
}

describe('MemoryRunStore bounds', () => {
  afterEach(() => vi.useRealTimers());

  it('keeps the finished runs that ended last and never forgets a run still going', async () => {
    const store = new MemoryRunStore({ maxFinishedRuns: 2 });
    await startRun(store, 'long');
    for (const id of ['a', 'b', 'c', 'd']) {
      await startRun(store, id);
      await endRun(store, id);
    }
    expect(await known(store, ['long', 'a', 'b', 'c', 'd'])).toEqual(['long', 'c', 'd']);
    const err = await store.readEvents('a').catch((e: unknown) => e);
    expect(BatonError.isInstance(err) && err.code).toBe('RUN_NOT_FOUND');
    await endRun(store, 'long');
    expect(await known(store, ['long', 'c', 'd'])).toEqual(['long', 'd']);
  });

  it(`keeps ${DEFAULT_MAX_FINISHED_RUNS} finished runs by default`, async () => {
    const store = new MemoryRunStore();
    const ids = Array.from({ length: DEFAULT_MAX_FINISHED_RUNS + 2 }, (_, i) => `r${i}`);
    for (const id of ids) {
      await startRun(store, id);
      await endRun(store, id);
    }
    expect(await known(store, ids)).toEqual(ids.slice(2));
  });

  it('forgets finished runs older than maxFinishedAgeMs', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const store = new MemoryRunStore({ maxFinishedAgeMs: 60_000 });
    await startRun(store, 'old');
    await endRun(store, 'old');
    vi.setSystemTime(new Date('2026-01-01T00:00:30Z'));
    await startRun(store, 'young');
    await endRun(store, 'young');
    vi.setSystemTime(new Date('2026-01-01T00:01:10Z'));
    await startRun(store, 'new');
    expect(await known(store, ['old', 'young', 'new'])).toEqual(['young', 'new']);
  });

  it('keeps every run with maxFinishedRuns: Infinity', async () => {
    const store = new MemoryRunStore({ maxFinishedRuns: Infinity });
    const ids = Array.from({ length: DEFAULT_MAX_FINISHED_RUNS + 5 }, (_, i) => `r${i}`);
    for (const id of ids) {
      await startRun(store, id);
      await endRun(store, id);
    }
    expect((await known(store, ids)).length).toBe(ids.length);
  });

  it('forgets the finished runs that ended first once their events pass maxFinishedEvents, never the last one', async () => {
    const store = new MemoryRunStore({ maxFinishedEvents: 100 });
    await runOf(store, 'a', 40);
    await runOf(store, 'b', 40);
    expect(await known(store, ['a', 'b'])).toEqual(['a', 'b']);
    await runOf(store, 'c', 40);
    expect(await known(store, ['a', 'b', 'c'])).toEqual(['b', 'c']);
    // One run larger than the bound on its own is still kept, until another ends.
    await runOf(store, 'huge', 500);
    expect(await known(store, ['b', 'c', 'huge'])).toEqual(['huge']);
    expect(await store.readEvents('huge')).toHaveLength(500);
    await runOf(store, 'd', 10);
    expect(await known(store, ['huge', 'd'])).toEqual(['d']);
  });

  it('counts a deleted run and a resumed run out of the finished events', async () => {
    const store = new MemoryRunStore({ maxFinishedEvents: 100 });
    await runOf(store, 'a', 45);
    await runOf(store, 'b', 45);
    expect(await store.deleteRun('b')).toBe(true);
    await runOf(store, 'c', 45);
    expect(await known(store, ['a', 'c'])).toEqual(['a', 'c']);
    // A finished run carried on again is a run going: its events no longer count, and it is never forgotten.
    await store.append('a', stamp('a', [{ type: 'run.resumed', interruptedAttempts: [] }], 46));
    await runOf(store, 'd', 45);
    expect(await known(store, ['a', 'c', 'd'])).toEqual(['a', 'c', 'd']);
    await store.append('a', stamp('a', [{ type: 'run.ended', status: 'failed', reason: 'again', deliverable: { artifacts: {}, files: [], provenance: {} } }], 47));
    expect(await known(store, ['a', 'c', 'd'])).toEqual(['a', 'd']);
  });

  it(`keeps ${DEFAULT_MAX_FINISHED_EVENTS} events of finished runs by default`, async () => {
    const store = new MemoryRunStore();
    const per = DEFAULT_MAX_FINISHED_EVENTS / 4;
    for (const id of ['r0', 'r1', 'r2', 'r3']) await runOf(store, id, per);
    expect(await known(store, ['r0', 'r1', 'r2', 'r3'])).toEqual(['r0', 'r1', 'r2', 'r3']);
    await runOf(store, 'r4', 2);
    expect(await known(store, ['r0', 'r1', 'r2', 'r3', 'r4'])).toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  it('rejects a bound that is not a number >= 0, naming the option', () => {
    expect(() => new MemoryRunStore({ maxFinishedEvents: -5 })).toThrow(/maxFinishedEvents must be a number >= 0/);
    expect(() => new MemoryRunStore({ maxFinishedRuns: -1 })).toThrow(/maxFinishedRuns must be a number >= 0/);
    expect(() => new MemoryRunStore({ maxFinishedAgeMs: Number.NaN })).toThrow(/maxFinishedAgeMs must be a number >= 0/);
  });
});
