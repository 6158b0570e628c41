import { describe, expect, it } from 'vitest';
import { journalProblems } from '../../../../bench/soak/journal-check.ts';
import { runSoak } from '../../../../bench/soak/run-soak.ts';
import type { RunEvent } from '../../src/core/events.ts';
import { reduceEvents } from '../../src/core/reduce.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { MemoryRunStore } from '../../src/store/index.ts';
import { scriptedAgent } from '../../src/testing/index.ts';

// The soak's own checks must be able to fail: the journal check on broken journals, and a small
// soak end to end (real command agents, real cancellations) whose every check comes out zero.

async function journalOfOneRun(): Promise<{ events: RunEvent[]; status: string }> {
  const store = new MemoryRunStore();
  const o = createOrchestrator({ name: 'j', store, agents: [scriptedAgent({ name: 'a', produces: ['x'], script: [{ throw: 'once' }, { output: { x: 1 } }] })], policy: { backoff: { initialDelayMs: 1, factor: 1, maxDelayMs: 1, jitter: 0 } } });
  const r = await o.run('make x');
  const events = await store.readEvents(r.runId);
  await o.close();
  return { events, status: r.status };
}

describe('soak journal check', () => {
  it('accepts a journal that replays to its result', async () => {
    const { events, status } = await journalOfOneRun();
    expect(journalProblems(events, reduceEvents(events)!, status)).toEqual([]);
  });

  it('finds gaps, events after the end, attempts ended twice and results that differ', async () => {
    const { events, status } = await journalOfOneRun();
    const result = reduceEvents(events)!;
    const succeeded = events.find((e) => e.type === 'task.succeeded')!;
    expect(journalProblems(events.filter((e) => e.seq !== 3), result, status).join('\n')).toMatch(/has seq/);
    expect(journalProblems([...events, { ...succeeded, seq: events.length + 1 }], result, status).join('\n')).toMatch(/events after run.ended[\s\S]*ended twice/);
    expect(journalProblems(events, { ...result, status: 'partial' }, status).join('\n')).toMatch(/replay differs from the returned RunResult: \$\.status/);
    expect(journalProblems(events, result, 'running').join('\n')).toMatch(/run record says running/);
  });
});

describe('soak', () => {
  it('holds on a small in-process soak with faults and cancellations', async () => {
    const report = await runSoak({ runs: 12, seed: 3, failureRate: 0.3, cancelRate: 0.25, mode: 'in-process', concurrency: 6, taskTimeoutMs: 1000, workers: 0, keep: false, log: () => undefined });
    expect(report.failures).toEqual([]);
    expect(report.journal).toMatchObject({ checked: 12, consistent: 12 });
    const runs = Object.values(report.tally.runs).reduce((a, b) => a + b, 0);
    expect(runs).toBe(12);
    const injected = Object.entries(report.tally.faults).filter(([k]) => k !== 'none');
    expect(injected.length).toBeGreaterThan(0);
  });
});
