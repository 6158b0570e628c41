import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunStore, RunStoreRetention } from '../../src/core/contracts.ts';
import { supportsRetention } from '../../src/store/retention.ts';
import { BatonError } from '../../src/core/errors.ts';
import type { BatonErrorCode } from '../../src/core/errors.ts';
import type { RunEvent } from '../../src/core/events.ts';
import type { FinalRunStatus } from '../../src/core/types.ts';
import { reduceEvents } from '../../src/core/reduce.ts';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../../src/store/journal-rules.ts';
import { ownershipSpecs } from './ownership.conformance.ts';
import { sampleJournal, stamp } from './sample-journal.ts';

/** How the suite makes, reopens and disposes of one backend's stores. */
export interface RunStoreHarness {
  /** A new store over an empty journal. */
  create(): Promise<RunStore>;
  /** Closes the store and removes its journal. Called once per test on the latest store. */
  destroy(store: RunStore): Promise<void>;
  /** Closes the store and opens its journal again, as a restarted process would (durable backends). */
  reopen?(store: RunStore): Promise<RunStore>;
  /** Opens a second store on the same journal, as another process would (shared backends). */
  openAnother?(store: RunStore): Promise<RunStore>;
  /** False for a backend without the OwnershipStore capability (default: it has it). */
  ownership?: boolean;
}

const CREATED = '2024-06-30T08:00:00.000Z';

/** The rejection of `promise`, which must be a BatonError with `code`. */
async function rejection(promise: Promise<unknown>, code: BatonErrorCode): Promise<BatonError> {
  let outcome: unknown;
  try {
    await promise;
  } catch (e) {
    outcome = e;
  }
  if (!BatonError.isInstance(outcome)) throw new Error(`expected a BatonError ${code}, got ${outcome === undefined ? 'success' : String(outcome)}`);
  expect(outcome.code).toBe(code);
  return outcome;
}

function taskFailed(runId: string, seq: number, reason = `reason ${seq}`): RunEvent {
  return stamp(runId, [{ type: 'task.failed', taskId: 't1', reason }], seq)[0] as RunEvent;
}

function runEnded(runId: string, seq: number, status: FinalRunStatus): RunEvent {
  return stamp(runId, [{ type: 'run.ended', status, deliverable: { artifacts: {}, files: [], provenance: {} } }], seq)[0] as RunEvent;
}

function runResumed(runId: string, seq: number): RunEvent {
  return stamp(runId, [{ type: 'run.resumed', interruptedAttempts: [] }], seq)[0] as RunEvent;
}

/**
 * The RunStore contract (src/core/contracts.ts), written once and run over every backend. Tests
 * that need `reopen` or `openAnother` are registered only for backends that offer them.
 */
export function runStoreConformance(name: string, harness: RunStoreHarness): void {
  describe(`RunStore conformance: ${name}`, () => {
    let store: RunStore;

    beforeEach(async () => {
      store = await harness.create();
    });

    afterEach(async () => {
      await harness.destroy(store);
    });

    const newRun = (runId: string, createdAt = CREATED) => store.createRun({ runId, goal: `goal of ${runId}`, createdAt });

    describe('createRun and getRun', () => {
      it('registers a running run with no events', async () => {
        await store.createRun({ runId: 'r_1', goal: 'Build the Q2 report', createdAt: CREATED, manifestFile: '/srv/baton.yaml' });
        expect(await store.getRun('r_1')).toStrictEqual({
          runId: 'r_1',
          goal: 'Build the Q2 report',
          status: 'running',
          createdAt: CREATED,
          updatedAt: CREATED,
          manifestFile: '/srv/baton.yaml',
          eventCount: 0,
        });
      });

      it('leaves manifestFile out when none was given', async () => {
        await newRun('r_1');
        const run = await store.getRun('r_1');
        expect(run).toBeDefined();
        expect(run).not.toHaveProperty('manifestFile');
      });

      it('returns undefined for an unknown run', async () => {
        expect(await store.getRun('r_missing')).toBeUndefined();
      });

      it('rejects a run id that exists and keeps the first run', async () => {
        await newRun('r_1');
        const error = await rejection(store.createRun({ runId: 'r_1', goal: 'another goal', createdAt: CREATED }), 'BAD_REQUEST');
        expect(error.message).toContain('r_1 already exists');
        expect((await store.getRun('r_1'))?.goal).toBe('goal of r_1');
      });

      it('rejects an empty run id and a createdAt that is not a timestamp', async () => {
        await rejection(store.createRun({ runId: '', goal: 'g', createdAt: CREATED }), 'BAD_REQUEST');
        const error = await rejection(store.createRun({ runId: 'r_1', goal: 'g', createdAt: 'yesterday' }), 'BAD_REQUEST');
        expect(error.message).toContain('createdAt');
        expect(await store.listRuns()).toEqual([]);
      });
    });

    describe('createRunWithEvents (a run with its first events, in one write)', () => {
      const startOf = (runId: string): RunEvent[] => sampleJournal(runId).slice(0, 2);
      const withEvents = (runId: string, events: RunEvent[]): Promise<void> => {
        if (!store.createRunWithEvents) throw new Error(`${name} has no createRunWithEvents`);
        return store.createRunWithEvents({ runId, goal: `goal of ${runId}`, createdAt: CREATED }, events);
      };

      it('registers the run holding its events, which appends continue', async () => {
        const journal = sampleJournal('r_1');
        await withEvents('r_1', journal.slice(0, 2));
        expect(await store.getRun('r_1')).toMatchObject({ runId: 'r_1', goal: 'goal of r_1', status: 'running', eventCount: 2 });
        expect(await store.readEvents('r_1')).toStrictEqual(journal.slice(0, 2));
        await store.append('r_1', journal.slice(2));
        expect(await store.readEvents('r_1')).toStrictEqual(journal);
        expect((await store.getRun('r_1'))?.status).toBe('partial');
      });

      it('rejects a run id that exists, adding no event to the first run', async () => {
        await newRun('r_1');
        const error = await rejection(withEvents('r_1', startOf('r_1')), 'BAD_REQUEST');
        expect(error.message).toContain('r_1 already exists');
        expect(await store.readEvents('r_1')).toEqual([]);
        expect((await store.getRun('r_1'))?.goal).toBe('goal of r_1');
      });

      it('writes neither the run nor its events when the events do not start at seq 1', async () => {
        await rejection(withEvents('r_1', startOf('r_1').map((e) => ({ ...e, seq: e.seq + 1 }))), 'INTERNAL');
        expect(await store.getRun('r_1')).toBeUndefined();
        expect(await store.listRuns()).toEqual([]);
      });
    });

    describe('append and readEvents', () => {
      it('round-trips every event type exactly, in seq order', async () => {
        const journal = sampleJournal('r_1');
        await newRun('r_1');
        await store.append('r_1', journal.slice(0, 3));
        await store.append('r_1', journal.slice(3, 4));
        await store.append('r_1', journal.slice(4));
        expect(await store.readEvents('r_1')).toStrictEqual(journal);
        expect((await store.getRun('r_1'))?.eventCount).toBe(journal.length);
      });

      it('reads only the events after afterSeq', async () => {
        const journal = sampleJournal('r_1');
        await newRun('r_1');
        await store.append('r_1', journal);
        expect(await store.readEvents('r_1', 0)).toStrictEqual(journal);
        expect(await store.readEvents('r_1', 5)).toStrictEqual(journal.slice(5));
        expect(await store.readEvents('r_1', journal.length)).toEqual([]);
        expect(await store.readEvents('r_1', journal.length + 10)).toEqual([]);
        await rejection(store.readEvents('r_1', -1), 'BAD_REQUEST');
      });

      it('keeps a 1 MB event intact', async () => {
        const big = 'x'.repeat(1024 * 1024);
        const rows = Array.from({ length: 2000 }, (_, i) => ({ i, label: `row ${i} ü` }));
        const events = stamp('r_1', [
          { type: 'task.succeeded', taskId: 't1', agent: 'data', attempt: 1, attemptId: 'a1', output: { blob: { text: big, rows } } },
        ]);
        await newRun('r_1');
        await store.append('r_1', events);
        const [read] = await store.readEvents('r_1');
        expect(read).toStrictEqual(events[0]);
      });

      it('reads an unknown run as RUN_NOT_FOUND and a run without events as empty', async () => {
        await rejection(store.readEvents('r_missing'), 'RUN_NOT_FOUND');
        await newRun('r_1');
        expect(await store.readEvents('r_1')).toEqual([]);
      });

      it('rejects an append to an unknown run with RUN_NOT_FOUND', async () => {
        const error = await rejection(store.append('r_missing', stamp('r_missing', [{ type: 'usage', usage: { llmCalls: 1, inputTokens: 1, outputTokens: 1 } }])), 'RUN_NOT_FOUND');
        expect(error.message).toContain('r_missing');
        await rejection(store.append('r_missing', []), 'RUN_NOT_FOUND');
      });

      it('accepts an empty batch as a no-op', async () => {
        await newRun('r_1');
        await store.append('r_1', []);
        expect((await store.getRun('r_1'))?.eventCount).toBe(0);
      });

      it('rejects a first batch that does not start at seq 1, storing nothing', async () => {
        await newRun('r_1');
        const error = await rejection(store.append('r_1', [taskFailed('r_1', 2)]), 'INTERNAL');
        expect(error.message).toContain('expected event seq 1, got 2');
        expect(await store.readEvents('r_1')).toEqual([]);
      });

      it('rejects a batch with a gap as a whole, storing none of it', async () => {
        await newRun('r_1');
        await store.append('r_1', [taskFailed('r_1', 1), taskFailed('r_1', 2)]);
        const error = await rejection(store.append('r_1', [taskFailed('r_1', 3), taskFailed('r_1', 4), taskFailed('r_1', 6)]), 'INTERNAL');
        expect(error.message).toContain('expected event seq 5, got 6');
        expect((await store.readEvents('r_1')).map((e) => e.seq)).toEqual([1, 2]);
        expect((await store.getRun('r_1'))?.eventCount).toBe(2);
        await store.append('r_1', [taskFailed('r_1', 3)]);
        expect((await store.getRun('r_1'))?.eventCount).toBe(3);
      });

      it('rejects a seq that is already journaled as a concurrent append', async () => {
        await newRun('r_1');
        await store.append('r_1', [taskFailed('r_1', 1), taskFailed('r_1', 2)]);
        const error = await rejection(store.append('r_1', [taskFailed('r_1', 2, 'second writer')]), 'INTERNAL');
        expect(error.message).toBe('run r_1 was appended to concurrently at seq 2: another orchestrator process is driving this run');
        expect((await store.readEvents('r_1')).map((e) => e.type === 'task.failed' && e.reason)).toEqual(['reason 1', 'reason 2']);
      });

      it('rejects an event of another run, storing nothing', async () => {
        await newRun('r_1');
        await newRun('r_2');
        const error = await rejection(store.append('r_1', [taskFailed('r_1', 1), taskFailed('r_2', 2)]), 'INTERNAL');
        expect(error.message).toContain('belongs to run r_2');
        expect(await store.readEvents('r_1')).toEqual([]);
      });

      it('bumps updatedAt on append', async () => {
        await store.createRun({ runId: 'r_1', goal: 'g', createdAt: '2020-01-01T00:00:00.000Z' });
        await store.append('r_1', [taskFailed('r_1', 1)]);
        const run = await store.getRun('r_1');
        expect(run?.createdAt).toBe('2020-01-01T00:00:00.000Z');
        expect(Date.parse(run?.updatedAt ?? '')).toBeGreaterThan(Date.parse('2020-01-01T00:00:00.000Z'));
      });

      it('journals concurrent appends to different runs without mixing them', async () => {
        const runIds = Array.from({ length: 6 }, (_, i) => `r_${i}`);
        for (const id of runIds) await newRun(id);
        await Promise.all(
          runIds.map(async (id) => {
            for (let batch = 0; batch < 10; batch++) {
              await store.append(id, [taskFailed(id, batch * 3 + 1, id), taskFailed(id, batch * 3 + 2, id), taskFailed(id, batch * 3 + 3, id)]);
            }
          }),
        );
        for (const id of runIds) {
          const events = await store.readEvents(id);
          expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
          expect(events.every((e) => e.runId === id && e.type === 'task.failed' && e.reason === id)).toBe(true);
          expect((await store.getRun(id))?.eventCount).toBe(30);
        }
      });
    });

    describe('run status', () => {
      it.each<FinalRunStatus>(['succeeded', 'partial', 'failed', 'cancelled'])('run.ended %s sets the status', async (status) => {
        await newRun('r_1');
        await store.append('r_1', [taskFailed('r_1', 1)]);
        expect((await store.getRun('r_1'))?.status).toBe('running');
        await store.append('r_1', [runEnded('r_1', 2, status)]);
        expect((await store.getRun('r_1'))?.status).toBe(status);
      });

      it('run.resumed sets the status back to running', async () => {
        await newRun('r_1');
        await store.append('r_1', [runEnded('r_1', 1, 'failed')]);
        await store.append('r_1', [runResumed('r_1', 2)]);
        expect((await store.getRun('r_1'))?.status).toBe('running');
      });

      it('takes the last status-changing event of a batch', async () => {
        await newRun('r_1');
        await store.append('r_1', [runEnded('r_1', 1, 'failed'), runResumed('r_1', 2), taskFailed('r_1', 3)]);
        expect((await store.getRun('r_1'))?.status).toBe('running');
        await store.append('r_1', [runResumed('r_1', 4), runEnded('r_1', 5, 'cancelled'), taskFailed('r_1', 6)]);
        expect((await store.getRun('r_1'))?.status).toBe('cancelled');
      });
    });

    describe('listRuns', () => {
      it('lists newest first by createdAt, then by run id', async () => {
        await newRun('r_b', '2024-01-02T00:00:00.000Z');
        await newRun('r_a', '2024-01-03T00:00:00.000Z');
        await newRun('r_c', '2024-01-02T00:00:00.000Z');
        await newRun('r_Z', '2024-01-02T00:00:00.000Z');
        await newRun('r_d', '2024-01-01T00:00:00.000Z');
        expect((await store.listRuns()).map((r) => r.runId)).toEqual(['r_a', 'r_c', 'r_b', 'r_Z', 'r_d']);
      });

      it('returns full records', async () => {
        await store.createRun({ runId: 'r_1', goal: 'g1', createdAt: CREATED, manifestFile: 'baton.yaml' });
        await store.append('r_1', [taskFailed('r_1', 1)]);
        expect(await store.listRuns()).toStrictEqual([await store.getRun('r_1')]);
      });

      it('pages with before through every run exactly once', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 9; i++) {
          const id = `r_${String(i).padStart(2, '0')}`;
          ids.push(id);
          // three runs per timestamp, so paging must break ties by run id
          await newRun(id, new Date(Date.UTC(2024, 0, 1 + Math.floor(i / 3))).toISOString());
        }
        const seen: string[] = [];
        let before: string | undefined;
        for (;;) {
          const page = await store.listRuns(before === undefined ? { limit: 2 } : { limit: 2, before });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(2);
          seen.push(...page.map((r) => r.runId));
          before = page.at(-1)?.runId;
        }
        expect(seen).toEqual([...ids].reverse());
      });

      it('filters by status, also when paging', async () => {
        for (let i = 1; i <= 5; i++) {
          await newRun(`r_${i}`, `2024-01-0${i}T00:00:00.000Z`);
          if (i % 2 === 1) await store.append(`r_${i}`, [runEnded(`r_${i}`, 1, 'succeeded')]);
        }
        expect((await store.listRuns({ status: 'succeeded' })).map((r) => r.runId)).toEqual(['r_5', 'r_3', 'r_1']);
        expect((await store.listRuns({ status: 'running' })).map((r) => r.runId)).toEqual(['r_4', 'r_2']);
        expect((await store.listRuns({ status: 'succeeded', before: 'r_5', limit: 1 })).map((r) => r.runId)).toEqual(['r_3']);
        expect((await store.listRuns({ status: 'succeeded', before: 'r_4' })).map((r) => r.runId)).toEqual(['r_3', 'r_1']);
        expect(await store.listRuns({ status: 'cancelled' })).toEqual([]);
      });

      it(`returns ${DEFAULT_LIST_LIMIT} runs by default and never more than ${MAX_LIST_LIMIT}`, async () => {
        for (let i = 0; i < MAX_LIST_LIMIT + 1; i++) await newRun(`r_${String(i).padStart(4, '0')}`);
        const first = await store.listRuns();
        expect(first).toHaveLength(DEFAULT_LIST_LIMIT);
        expect(first[0]?.runId).toBe(`r_${String(MAX_LIST_LIMIT).padStart(4, '0')}`);
        expect(await store.listRuns({ limit: 10_000 })).toHaveLength(MAX_LIST_LIMIT);
        expect(await store.listRuns({ limit: 3 })).toHaveLength(3);
      });

      it('rejects a bad limit and an unknown before run', async () => {
        await newRun('r_1');
        for (const limit of [0, -1, 1.5]) await rejection(store.listRuns({ limit }), 'BAD_REQUEST');
        const error = await rejection(store.listRuns({ before: 'r_missing' }), 'RUN_NOT_FOUND');
        expect(error.message).toContain('r_missing');
      });
    });

    describe('close', () => {
      it('is idempotent, and later calls fail clearly', async () => {
        await newRun('r_1');
        await Promise.all([store.close(), store.close()]);
        await store.close();
        const error = await rejection(store.getRun('r_1'), 'INTERNAL');
        expect(error.message).toContain('closed');
        await rejection(store.append('r_1', [taskFailed('r_1', 1)]), 'INTERNAL');
      });
    });

    describe('retention (RunStoreRetention)', () => {
      const retention = (): RunStore & RunStoreRetention => {
        if (!supportsRetention(store)) throw new Error(`the ${name} store does not implement RunStoreRetention (deleteRun, reclaimSpace)`);
        return store;
      };
      const endedRun = async (runId: string, createdAt = CREATED): Promise<void> => {
        await newRun(runId, createdAt);
        await store.append(runId, [taskFailed(runId, 1), runEnded(runId, 2, 'failed')]);
      };

      it('deletes an ended run with all its events, leaving the other runs whole', async () => {
        await endedRun('r_1');
        await endedRun('r_2', '2024-07-01T00:00:00.000Z');
        const kept = { record: await store.getRun('r_2'), events: await store.readEvents('r_2') };
        expect(await retention().deleteRun('r_1')).toBe(true);
        expect(await store.getRun('r_1')).toBeUndefined();
        await rejection(store.readEvents('r_1'), 'RUN_NOT_FOUND');
        expect((await store.listRuns()).map((r) => r.runId)).toEqual(['r_2']);
        expect(await store.listRuns({ status: 'failed' })).toStrictEqual([kept.record]);
        expect(await store.readEvents('r_2')).toStrictEqual(kept.events);
      });

      it('answers false for a run that does not exist (or was deleted already)', async () => {
        expect(await retention().deleteRun('r_missing')).toBe(false);
        await endedRun('r_1');
        expect(await retention().deleteRun('r_1')).toBe(true);
        expect(await retention().deleteRun('r_1')).toBe(false);
      });

      it('refuses to delete a running run, and keeps it whole', async () => {
        await newRun('r_1');
        await store.append('r_1', [taskFailed('r_1', 1)]);
        const error = await rejection(retention().deleteRun('r_1'), 'RUN_RUNNING');
        expect(error.message).toContain('baton runs cancel r_1');
        expect(await store.getRun('r_1')).toMatchObject({ status: 'running', eventCount: 1 });
        // Once ended it can go.
        await store.append('r_1', [runEnded('r_1', 2, 'cancelled')]);
        expect(await retention().deleteRun('r_1')).toBe(true);
      });

      it('lets a deleted run id be used again, from seq 1', async () => {
        await endedRun('r_1');
        await retention().deleteRun('r_1');
        await newRun('r_1');
        await store.append('r_1', [taskFailed('r_1', 1)]);
        expect(await store.getRun('r_1')).toMatchObject({ status: 'running', eventCount: 1 });
      });

      it('reclaims space without touching the runs that are left', async () => {
        const bulky = (runId: string): RunEvent[] => stamp(runId, [{ type: 'task.failed', taskId: 't1', reason: 'x'.repeat(200_000) }, { type: 'run.ended', status: 'failed', deliverable: { artifacts: {}, files: [], provenance: {} } }]);
        for (let i = 1; i <= 5; i++) {
          await newRun(`r_${i}`, `2024-07-0${i}T00:00:00.000Z`);
          await store.append(`r_${i}`, bulky(`r_${i}`));
        }
        for (let i = 1; i <= 4; i++) expect(await retention().deleteRun(`r_${i}`)).toBe(true);
        await retention().reclaimSpace();
        await retention().reclaimSpace({ full: true });
        expect((await store.listRuns()).map((r) => r.runId)).toEqual(['r_5']);
        expect(await store.readEvents('r_5')).toStrictEqual(bulky('r_5'));
      });

      it('reports sizes as numbers when it reports them', async () => {
        await endedRun('r_1');
        await retention().deleteRun('r_1');
        const report = await retention().reclaimSpace();
        if (report) {
          expect(report.bytesBefore).toBeGreaterThanOrEqual(0);
          expect(report.bytesAfter).toBeGreaterThanOrEqual(0);
        }
        const full = await retention().reclaimSpace({ full: true });
        if (full) expect(full.bytesAfter).toBeGreaterThanOrEqual(0);
        await endedRun('r_2');
        expect((await store.listRuns()).map((r) => r.runId)).toEqual(['r_2']);
      });
    });

    const { reopen, openAnother } = harness;
    if (supportsOwnershipOf(harness)) {
      const others: RunStore[] = [];
      afterEach(async () => {
        for (const o of others.splice(0)) await o.close();
      });
      ownershipSpecs(
        () => store,
        openAnother
          ? async () => {
              const o = await openAnother(store);
              others.push(o);
              return o;
            }
          : undefined,
      );
    }
    if (reopen) {
      describe('reopening the journal', () => {
        it('keeps runs and events, and replays to the same RunResult', async () => {
          const journal = sampleJournal('r_1');
          await store.createRun({ runId: 'r_1', goal: 'Build the Q2 sales report', createdAt: CREATED, manifestFile: '/srv/reports/baton.yaml' });
          await newRun('r_2', '2024-07-01T00:00:00.000Z');
          await store.append('r_1', journal.slice(0, 10));
          await store.append('r_1', journal.slice(10));
          const before = { runs: await store.listRuns(), events: await store.readEvents('r_1') };
          const result = reduceEvents(before.events);
          expect(result?.status).toBe('partial');
          expect(result?.tasks.length).toBeGreaterThan(2);

          store = await reopen(store);
          expect(await store.listRuns()).toStrictEqual(before.runs);
          const events = await store.readEvents('r_1');
          expect(events).toStrictEqual(journal);
          expect(reduceEvents(events)).toStrictEqual(result);
        });

        it('continues the journal at the next seq', async () => {
          await newRun('r_1');
          await store.append('r_1', [taskFailed('r_1', 1), taskFailed('r_1', 2)]);
          store = await reopen(store);
          await rejection(store.append('r_1', [taskFailed('r_1', 2)]), 'INTERNAL');
          await store.append('r_1', [runEnded('r_1', 3, 'succeeded')]);
          expect(await store.getRun('r_1')).toMatchObject({ eventCount: 3, status: 'succeeded' });
        });
      });
    }

    if (openAnother) {
      describe('two stores on one journal', () => {
        it('both read what either wrote', async () => {
          const other = await openAnother(store);
          try {
            await newRun('r_1');
            await other.createRun({ runId: 'r_2', goal: 'g2', createdAt: '2024-07-01T00:00:00.000Z' });
            await store.append('r_1', [taskFailed('r_1', 1)]);
            await other.append('r_1', [taskFailed('r_1', 2)]);
            for (const reader of [store, other]) {
              expect((await reader.listRuns()).map((r) => r.runId)).toEqual(['r_2', 'r_1']);
              expect((await reader.readEvents('r_1')).map((e) => e.seq)).toEqual([1, 2]);
            }
            await rejection(other.createRun({ runId: 'r_1', goal: 'g', createdAt: CREATED }), 'BAD_REQUEST');
          } finally {
            await other.close();
          }
        });

        it('lets only one of two writers of the same seq through, loudly', async () => {
          const other = await openAnother(store);
          try {
            await newRun('r_1');
            await store.append('r_1', [taskFailed('r_1', 1), taskFailed('r_1', 2)]);
            const outcomes = await Promise.allSettled([
              store.append('r_1', [taskFailed('r_1', 3, 'writer A'), taskFailed('r_1', 4, 'writer A')]),
              other.append('r_1', [taskFailed('r_1', 3, 'writer B'), taskFailed('r_1', 4, 'writer B')]),
            ]);
            const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
            const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
            expect(fulfilled).toHaveLength(1);
            expect(rejected).toHaveLength(1);
            expect(BatonError.isInstance(rejected[0]?.reason) && rejected[0].reason.message).toBe(
              'run r_1 was appended to concurrently at seq 3: another orchestrator process is driving this run',
            );
            const winner = outcomes[0]?.status === 'fulfilled' ? 'writer A' : 'writer B';
            const events = await other.readEvents('r_1', 2);
            expect(events.map((e) => e.type === 'task.failed' && e.reason)).toEqual([winner, winner]);
            expect((await store.getRun('r_1'))?.eventCount).toBe(4);
          } finally {
            await other.close();
          }
        });
      });
    }
  });
}

/** Whether the harness's stores record ownership (checked on a throwaway store type, not an instance). */
function supportsOwnershipOf(harness: RunStoreHarness): boolean {
  return harness.ownership ?? true;
}
