/** The live results `baton serve` answers GET /v1/runs/:id with, for the runs it executes. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineAgent } from '../../core/src/agents/define-agent.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import type { RunEvent, RunEventBody } from '../../core/src/core/events.ts';
import type { RunResult } from '../../core/src/core/types.ts';
import type { Orchestrator } from '../../core/src/orchestrator.ts';
import { stamp } from '../../core/test/store/sample-journal.ts';
import { reduceEvents } from '../../core/src/core/reduce.ts';
import { LiveRuns } from '../src/live-runs.ts';
// @ts-expect-error: the dashboard's scripts are plain JavaScript, with no types.
import { heldAfter } from '../src/dashboard/run-reads.js';

afterEach(() => vi.restoreAllMocks());

describe('the JSON of a live run', () => {
  it('is made once for each state of the run, however many read it, and anew after each event', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const orchestrator = createOrchestrator({
      name: 'notes',
      agents: [
        defineAgent({
          name: 'writer',
          description: 'writes the notes once let',
          produces: ['notes'],
          run: async () => {
            await gate;
            return { notes: 'done' };
          },
        }),
      ],
    });
    const live = new LiveRuns(orchestrator);
    try {
      const handle = orchestrator.start('the notes');
      for (let i = 0; i < 200 && !live.resultJson(handle.runId)?.includes('"running"'); i++) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20));

      const stringify = vi.spyOn(JSON, 'stringify');
      const first = live.resultJson(handle.runId);
      const reads = Array.from({ length: 5 }, () => live.resultJson(handle.runId));
      // Made by the reads above at the latest (none since the run began to wait).
      expect(stringify.mock.calls.length).toBeLessThanOrEqual(1);
      expect(reads).toEqual(Array(5).fill(first));
      expect(JSON.parse(first!)).toMatchObject({ runId: handle.runId, status: 'running' });

      release();
      await handle.result;
      const ended = JSON.parse(live.resultJson(handle.runId)!) as { status: string };
      expect(ended.status).toBe('succeeded');
    } finally {
      live.close();
      await orchestrator.close();
    }
  });
});

describe('what changed in a live run since an event', () => {
  /** A source that hands LiveRuns the events given, as stored. */
  const fed = (): { source: Pick<Orchestrator, 'on'>; feed(events: RunEvent[]): void } => {
    let listener: ((e: RunEvent) => void) | undefined;
    return {
      source: { on: ((l: (e: RunEvent) => void) => ((listener = l), () => (listener = undefined))) as unknown as Orchestrator['on'] },
      feed: (events) => events.forEach((e) => listener?.(e)),
    };
  };
  const task = (id: string) => ({ id, title: id, instructions: '', agent: 'a', dependsOn: [], consumes: [], produces: [id] });
  const started = (id: string): RunEventBody => ({ type: 'task.started', taskId: id, agent: 'a', agentVersion: '1', attempt: 1, attemptId: `r:${id}:1` });
  const ok = (id: string): RunEventBody => ({ type: 'task.succeeded', taskId: id, agent: 'a', attempt: 1, attemptId: `r:${id}:1`, output: { [id]: 1 } });

  it('names only records of the result: one a replan dropped is not sent, though a later event names it', () => {
    const { source, feed } = fed();
    const live = new LiveRuns(source);
    try {
      feed(
        stamp('r', [
          { type: 'run.started', goal: 'g', orchestrator: 'o' },
          { type: 'plan.created', plan: { tasks: [task('t1'), task('t2')] }, planner: 'builtin' },
          started('t1'),
          { type: 'plan.replaced', plan: { tasks: [task('t2')] }, planner: 'llm', reason: 'the goal changed' },
        ]),
      );
      const since = live.lastSeq('r')!;
      expect(since).toBe(4);
      feed(stamp('r', [{ type: 'task.attempt.failed', taskId: 't1', agent: 'a', attempt: 1, attemptId: 'r:t1:1', status: 'failed', error: 'late' }, started('t2'), ok('t2')], 5));
      const whole = JSON.parse(live.resultJson('r')!) as RunResult;
      expect(whole.tasks.map((t) => t.id)).toEqual(['t2']);
      const delta = JSON.parse(live.resultSince('r', since)!) as RunResult;
      expect(delta.tasks.map((t) => t.id)).toEqual(['t2']);
      expect(delta.tasks[0]).toEqual(whole.tasks[0]);
      expect(delta).not.toHaveProperty('plan');
      // Across the replan, and from outside the run's events: only the whole result says it.
      expect(live.resultSince('r', 3)).toBeUndefined();
      expect(live.resultSince('r', 0)).toBeUndefined();
      expect(live.resultSince('r', 8)).toBeUndefined();
      expect(live.resultSince('other', 1)).toBeUndefined();
      expect((JSON.parse(live.resultSince('r', 7)!) as RunResult).tasks).toEqual([]);
    } finally {
      live.close();
    }
  });

  it('keeps only the latest events of a long run, for streams that replay from near its end, and says what changed since any of them', () => {
    const { source, feed } = fed();
    const live = new LiveRuns(source, 30_000, 10);
    try {
      const retried = (n: number): RunEventBody[] => [
        { type: 'task.started', taskId: 'p', agent: 'a', agentVersion: '1', attempt: n, attemptId: `r:p:${n}` },
        { type: 'task.attempt.failed', taskId: 'p', agent: 'a', attempt: n, attemptId: `r:p:${n}`, status: 'failed', error: 'not yet' },
        { type: 'task.retrying', taskId: 'p', agent: 'a', attempt: n + 1, delayMs: 2, feedback: 'Your previous attempt failed: not yet' },
      ];
      const events = stamp('r', [{ type: 'run.started', goal: 'g', orchestrator: 'o' }, { type: 'plan.created', plan: { tasks: [task('p')] }, planner: 'builtin' }, ...Array.from({ length: 20 }, (_, i) => retried(i + 1)).flat()]);
      feed(events.slice(0, 20));
      // Up to twice as many as it keeps: all of them, from the start.
      expect(live.eventsAfter('r', 0)?.map((e) => e.seq)).toEqual(events.slice(0, 20).map((e) => e.seq));
      feed(events.slice(20));
      const last = events[events.length - 1]!.seq;
      expect(live.lastSeq('r')).toBe(last);
      // From further back than it keeps: the journal's are to be read.
      expect(live.eventsAfter('r', 0)).toBeUndefined();
      expect(live.eventsAfter('r', last - 30)).toBeUndefined();
      for (const after of [last - 10, last - 4, last - 1, last]) expect(live.eventsAfter('r', after)?.map((e) => e.seq)).toEqual(events.filter((e) => e.seq > after).map((e) => e.seq));
      // What changed since any event, those it no longer keeps too, folded into the result then: the result now.
      const now = JSON.parse(live.resultJson('r')!) as RunResult;
      expect(now).toEqual(JSON.parse(JSON.stringify(reduceEvents(events))));
      for (const since of [2, 3, 17, last - 12, last - 1]) {
        for (const attempts of ['all', 'changed'] as const) {
          const delta = live.resultSince('r', since, attempts);
          const before = JSON.parse(JSON.stringify(reduceEvents(events.filter((e) => e.seq <= since)))) as RunResult;
          const held = heldAfter(before, since, { delta: true, seq: last, body: JSON.parse(delta!) }) as { run: RunResult };
          expect(held.run, `since ${since}, attempts ${attempts}`).toEqual(now);
        }
      }
      expect(JSON.parse(live.resultSince('r', last - 1, 'changed')!).tasks[0]).toMatchObject({ id: 'p', attemptsFrom: 20, attempts: [] });
    } finally {
      live.close();
    }
  });
});
