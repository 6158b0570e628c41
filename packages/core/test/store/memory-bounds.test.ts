import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import { DEFAULT_MAX_FINISHED_RUNS, MemoryRunStore } from '../../src/store/memory-store.ts';
import { stamp } from './sample-journal.ts';

async function startRun(store: MemoryRunStore, runId: string): Promise<void> {
  await store.createRun({ runId, goal: 'g', createdAt: new Date().toISOString() });
  await store.append(runId, stamp(runId, [{ type: 'run.started', goal: 'g', orchestrator: 'o' }], 1));
}

async function endRun(store: MemoryRunStore, runId: string): Promise<void> {
  await store.append(runId, stamp(runId, [{ type: 'run.ended', status: 'succeeded', deliverable: { artifacts: {}, files: [], provenance: {} } }], 2));
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

  it('rejects a bound that is not a number >= 0, naming the option', () => {
    expect(() => new MemoryRunStore({ maxFinishedRuns: -1 })).toThrow(/maxFinishedRuns must be a number >= 0/);
    expect(() => new MemoryRunStore({ maxFinishedAgeMs: Number.NaN })).toThrow(/maxFinishedAgeMs must be a number >= 0/);
  });
});
