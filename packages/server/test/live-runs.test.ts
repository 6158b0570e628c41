/** The live results `baton serve` answers GET /v1/runs/:id with, for the runs it executes. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineAgent } from '../../core/src/agents/define-agent.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import type { RunEvent, RunEventBody } from '../../core/src/core/events.ts';
import type { RunResult } from '../../core/src/core/types.ts';
import type { Orchestrator } from '../../core/src/orchestrator.ts';
import { stamp } from '../../core/test/store/sample-journal.ts';
import { LiveRuns } from '../src/live-runs.ts';

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
});
