/**
 * One cancellation path per run: the run's signal reaches the planner and the integrator; a cancel
 * during integration ends the run cancelled; the integration is a journaled phase; a process whose
 * run was taken by another stops writing to it (fencing).
 */
import { describe, expect, it } from 'vitest';
import type { Planner } from '../../src/core/contracts.ts';
import { BatonError } from '../../src/core/errors.ts';
import type { RunEvent } from '../../src/core/events.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { MemoryRunStore } from '../../src/store/memory-store.ts';
import { scriptedAgent } from '../../src/testing/index.ts';

const agent = () => scriptedAgent({ name: 'maker', description: 'Makes the thing', produces: ['thing'], script: [{ output: { thing: { ok: true } } }] });

/** Resolves when the signal aborts, with how long it took from `since`. */
function abortedAfter(signal: AbortSignal | undefined, since: number): Promise<number> {
  return new Promise((resolve) => signal?.addEventListener('abort', () => resolve(Date.now() - since), { once: true }));
}

describe('the run signal', () => {
  it('reaches the planner: a cancel during planning ends the run at once, with no agent run', async () => {
    let planning: Promise<number> | undefined;
    const planner: Planner = {
      name: 'llm',
      plan: (_goal, _manifest, options) =>
        new Promise((_, reject) => {
          planning = abortedAfter(options?.signal, Date.now());
          options?.signal?.addEventListener('abort', () => reject(new Error('the model call was aborted')), { once: true });
        }),
    };
    const maker = agent();
    const o = createOrchestrator({ name: 'slow', agents: [maker], planner });
    const handle = o.start('make the thing');
    await new Promise((r) => setTimeout(r, 50));
    handle.cancel('changed my mind');
    const result = await handle.result;
    expect(await planning).toBeLessThan(100);
    expect(result.status).toBe('cancelled');
    expect(result.reason).toBe('planning stopped: changed my mind');
    expect(maker.calls).toHaveLength(0);
  });

  it('reaches the integrator, and a cancel during integration ends the run cancelled', async () => {
    let integrating: (() => void) | undefined;
    let aborted: Promise<number> | undefined;
    const events: RunEvent[] = [];
    const o = createOrchestrator({
      name: 'integrating',
      agents: [agent()],
      integrator: ({ signal, artifacts, provenance }) =>
        new Promise((resolve) => {
          aborted = abortedAfter(signal, Date.now());
          integrating?.();
          // An integrator that ignores its signal still cannot keep the run past the cancel.
          setTimeout(() => resolve({ artifacts, files: [], provenance }), 5_000);
        }),
    });
    const started = new Promise<void>((r) => (integrating = r));
    const handle = o.start('make the thing', { onEvent: (e) => events.push(e) });
    await started;
    handle.cancel('stop now');
    const result = await handle.result;
    expect(await aborted).toBeLessThan(100);
    expect(result.status).toBe('cancelled');
    expect(result.reason).toBe('cancelled during integration: stop now');
    expect(events.map((e) => e.type).slice(-3)).toEqual(['integration.started', 'integration.ended', 'run.ended']);
    expect(result.integration).toMatchObject({ integrator: 'default', ok: false, error: 'stop now' });
  });

  it('bounds the integrator by policy.taskTimeoutMs: a run whose integration times out is partial, saying why', async () => {
    const o = createOrchestrator({
      name: 'stuck',
      agents: [agent()],
      policy: { taskTimeoutMs: 200 },
      integrator: () => new Promise(() => undefined),
    });
    const result = await o.run('make the thing');
    expect(result.status).toBe('partial');
    expect(result.reason).toBe('integration failed: the integrator took longer than policy.taskTimeoutMs (200 ms)');
    expect(result.integration?.ok).toBe(false);
  });
});

describe('fencing', () => {
  it('stops a run whose journal was taken by another process: no event of it lands after the claim', async () => {
    const store = new MemoryRunStore();
    let release: (() => void) | undefined;
    const slow = scriptedAgent({ name: 'maker', description: 'Makes the thing', produces: ['thing'], script: [{ hang: true }] });
    const o = createOrchestrator({ name: 'taken', agents: [slow], store });
    const handle = o.start('make the thing');
    await new Promise<void>((r) => {
      release = r;
      const poll = setInterval(() => {
        if (slow.calls.length > 0) {
          clearInterval(poll);
          release?.();
        }
      }, 5);
    });
    await new Promise((r) => setTimeout(r, 20));
    const before = (await store.readEvents(handle.runId)).length;
    const other = { id: 'elsewhere:1:abc', host: 'elsewhere', pid: 1, startedAt: 0 };
    expect(await store.claim(handle.runId, other, 1)).toBe(2);
    handle.cancel('anything this process writes now is refused');
    const outcome = await handle.result.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(BatonError.isInstance(outcome) && outcome.code).toBe('RUN_FENCED');
    expect(await store.readEvents(handle.runId)).toHaveLength(before);
    expect((await store.ownership(handle.runId))?.owner?.id).toBe(other.id);
  });
});
