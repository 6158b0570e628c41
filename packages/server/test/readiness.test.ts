/**
 * `GET /readyz` needs no token and reads the journal: many probes at once (balancers, a flood) share
 * one read of it, so they cannot take the journal's connections from the runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRunStore } from '../../core/src/store/memory-store.ts';
import { startTestServer } from './support.ts';
import type { TestServer } from './support.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A journal that answers after 200 ms, counting the reads of runs. */
class SlowReads extends MemoryRunStore {
  reads = 0;
  override async getRun(runId: string) {
    this.reads++;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return super.getRun(runId);
  }
}

describe('GET /readyz', () => {
  it('answers many probes at once with one read of the journal', async () => {
    const store = new SlowReads();
    server = await startTestServer({ orchestratorOptions: { store } });
    const probe = async (): Promise<number> => (await fetch(`${server!.url}/readyz`)).status;
    expect(await Promise.all(Array.from({ length: 20 }, probe))).toEqual(Array(20).fill(200));
    expect(store.reads).toBe(1);
    // The next probe, once that read is done, reads again: its answer is now, not a second old.
    expect(await probe()).toBe(200);
    expect(store.reads).toBe(2);
  });
});
