import { describe, expect, it } from 'vitest';
import { RunEventListeners } from '../../src/execution/event-listeners.ts';
import { RunJournal } from '../../src/execution/journal.ts';
import { MemoryRunStore } from '../../src/store/memory-store.ts';

const immediates = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Immediate').length;

describe('RunJournal', () => {
  it('leaves no write scheduled once a flush has written the batch (a run that never yields must not stay in memory)', async () => {
    const store = new MemoryRunStore();
    await store.createRun({ runId: 'r1', goal: 'g', createdAt: new Date().toISOString() });
    const journal = new RunJournal('r1', store, new RunEventListeners());
    const before = immediates();
    journal.emit({ type: 'run.started', goal: 'g', orchestrator: 'o' });
    expect(immediates()).toBe(before + 1);
    await journal.flush();
    expect(immediates()).toBe(before);
    expect((await store.readEvents('r1')).map((e) => e.type)).toEqual(['run.started']);
  });

  it('still writes on its own when nobody flushes', async () => {
    const store = new MemoryRunStore();
    await store.createRun({ runId: 'r2', goal: 'g', createdAt: new Date().toISOString() });
    const journal = new RunJournal('r2', store, new RunEventListeners());
    journal.emit({ type: 'run.started', goal: 'g', orchestrator: 'o' });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect((await store.readEvents('r2')).map((e) => e.seq)).toEqual([1]);
  });
});
