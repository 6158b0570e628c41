/** The live results `baton serve` answers GET /v1/runs/:id with, for the runs it executes. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineAgent } from '../../core/src/agents/define-agent.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
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
