/**
 * A run stopped from inside one of its own events (a listener that cancels, a usage report that
 * spends the budget) ends, with every attempt it started ended and counted, and calls no agent
 * after the stop.
 */
import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/define-agent.ts';
import type { RunEvent } from '../../src/core/events.ts';
import type { RunResult } from '../../src/core/types.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';

/** `data` always fails; `backup` (a capable stand-in, not a fallback) counts its calls and may report usage. */
function orchestrator(policy: Record<string, number>, backupUsage?: number) {
  const calls = { data: 0, backup: 0 };
  const data = defineAgent({
    name: 'data', description: 'Extracts the dataset', produces: ['dataset'],
    run: () => {
      calls.data++;
      throw new Error('the primary source is down');
    },
  });
  const backup = defineAgent({
    name: 'backup', description: 'Extracts the dataset elsewhere', produces: ['dataset'],
    run: (_input, ctx) => {
      calls.backup++;
      if (backupUsage !== undefined) ctx.reportUsage?.({ llmCalls: 1, inputTokens: backupUsage, outputTokens: backupUsage });
      return { dataset: { rows: 1 } };
    },
  });
  return { o: createOrchestrator({ name: 'reports', agents: [data, backup], deliverable: ['dataset'], policy: { retries: 0, ...policy } }), calls };
}

/** Runs the goal, cancelling the run (once) at the first event `cancelAt` picks; fails after 5 s instead of hanging. */
async function runCancellingAt(o: ReturnType<typeof orchestrator>['o'], cancelAt: (e: RunEvent) => boolean): Promise<{ result: RunResult; seen: string[] }> {
  const seen: string[] = [];
  let cancelled = false;
  const result = o.run('the dataset', {
    onEvent: (e) => {
      seen.push(e.type === 'task.started' ? `task.started ${e.agent}` : e.type);
      if (!cancelled && cancelAt(e)) cancelled = o.cancel(e.runId, 'not wanted any more');
    },
  });
  const hung = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the run never ended: ${seen.join(', ')}`)), 5_000).unref());
  return { result: await Promise.race([result, hung]), seen };
}

describe('a run stopped from inside its own events', () => {
  it('ends when a listener cancels it as a task is reassigned, or as a retry is scheduled', async () => {
    for (const [event, policy] of [
      ['task.reassigned', {}],
      ['task.retrying', { retries: 1 }],
    ] as const) {
      const { o, calls } = orchestrator(policy);
      try {
        const { result, seen } = await runCancellingAt(o, (e) => e.type === event);
        expect(result.status).toBe('cancelled');
        expect(seen.slice(seen.indexOf(event))).toEqual([event, 'task.cancelled', 'run.ended']);
        expect(calls).toEqual({ data: 1, backup: 0 });
      } finally {
        await o.close();
      }
    }
  });

  it("ends an attempt cancelled by a listener of its task.started without calling its agent, whether its agent was ready or a stand-in's first", async () => {
    for (const agent of ['data', 'backup']) {
      const { o, calls } = orchestrator({});
      try {
        const { result, seen } = await runCancellingAt(o, (e) => e.type === 'task.started' && e.agent === agent);
        expect(result.status).toBe('cancelled');
        expect(seen.slice(seen.indexOf(`task.started ${agent}`))).toEqual([`task.started ${agent}`, 'task.attempt.failed', 'task.cancelled', 'run.ended']);
        const attempt = result.tasks[0]!.attempts.at(-1)!;
        expect([attempt.agent, attempt.status, attempt.error]).toEqual([agent, 'failed', 'cancelled: not wanted any more']);
        expect(calls[agent as 'data' | 'backup']).toBe(0);
      } finally {
        await o.close();
      }
    }
  });

  it("counts the usage of a stand-in's first attempt whose own report spends the budget", async () => {
    const { o, calls } = orchestrator({ maxTokens: 100 }, 500);
    try {
      const result = await o.run('the dataset');
      expect(calls.backup).toBe(1);
      expect(result.status).toBe('failed');
      expect(result.usage).toEqual({ llmCalls: 1, inputTokens: 500, outputTokens: 500 });
      expect(result.tasks[0]!.attempts.map((a) => [a.agent, a.status])).toEqual([
        ['data', 'failed'],
        ['backup', 'failed'],
      ]);
    } finally {
      await o.close();
    }
  });
});
