/**
 * SharedJournalReads: the event streams of a run read from the journal share one copy of its
 * events, from where the furthest-behind stream is to the last event read.
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent, RunEventBody } from 'batonjs/internal';
import { MemoryRunStore } from 'batonjs';
import { stamp } from '../../core/test/store/sample-journal.ts';
import { SharedJournalReads } from '../src/journal-reads.ts';

class CountingStore extends MemoryRunStore {
  reads: number[] = [];
  override async readEvents(runId: string, afterSeq?: number): Promise<RunEvent[]> {
    this.reads.push(afterSeq ?? 0);
    return super.readEvents(runId, afterSeq);
  }
}

async function runOf(events: number): Promise<CountingStore> {
  const store = new CountingStore();
  await store.createRun({ runId: 'r1', goal: 'g', createdAt: '2024-06-30T08:00:00.000Z' });
  const bodies: RunEventBody[] = [{ type: 'run.started', goal: 'g', orchestrator: 'o' }];
  for (let i = 1; i < events; i++) bodies.push({ type: 'task.failed', taskId: `t${i}`, reason: 'x' });
  await store.append('r1', stamp('r1', bodies));
  return store;
}

describe('SharedJournalReads', () => {
  it('reads and holds only the tail a stream asks for, and nothing once it has asked past it', async () => {
    const store = await runOf(1_000);
    const reads = new SharedJournalReads(store);
    const stream = reads.open('r1');
    expect((await stream.eventsAfter(995)).map((e) => e.seq)).toEqual([996, 997, 998, 999, 1_000]);
    expect(store.reads).toEqual([995]);
    expect(reads.held('r1')).toBe(5);
    expect(await stream.eventsAfter(1_000)).toEqual([]);
    expect(reads.held('r1')).toBe(0);
    stream.close();
  });

  it('keeps one copy from the stream furthest behind, read once, and lets it go as that stream moves on', async () => {
    const store = await runOf(1_000);
    const reads = new SharedJournalReads(store);
    const ahead = reads.open('r1');
    const behind = reads.open('r1');
    expect(await ahead.eventsAfter(900)).toHaveLength(100);
    const all = await behind.eventsAfter(0);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
    expect(reads.held('r1')).toBe(1_000);
    // The same objects for both streams: one copy.
    expect((await ahead.eventsAfter(999))[0]).toBe(all[999]);
    await behind.eventsAfter(500);
    expect(reads.held('r1')).toBe(500);
    behind.close();
    expect(reads.held('r1')).toBe(1);
    ahead.close();
    expect(reads.held('r1')).toBe(0);
  });

  it('gives a stream the events stored after its last read, with no gap', async () => {
    const store = await runOf(10);
    const reads = new SharedJournalReads(store);
    const stream = reads.open('r1');
    expect(await stream.eventsAfter(0)).toHaveLength(10);
    await store.append('r1', stamp('r1', [{ type: 'task.failed', taskId: 'late', reason: 'x' }], 11));
    expect((await stream.eventsAfter(10)).map((e) => e.seq)).toEqual([11]);
    stream.close();
  });
});
