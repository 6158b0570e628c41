import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import type { RunEvent } from '../../src/core/events.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { MemoryRunStore } from '../../src/store/index.ts';
import { scriptedAgent } from '../../src/testing/index.ts';

const schema = { type: 'object', required: ['city'], properties: { city: { type: 'string' }, days: { type: 'integer', default: 3 } } };

function trip() {
  const flights = scriptedAgent({ name: 'flights', produces: ['flights'] });
  const plan = scriptedAgent({ name: 'planner', consumes: ['flights'], produces: ['itinerary'], script: [{ output: (i) => ({ itinerary: { for: i.params } }) }] });
  const store = new MemoryRunStore();
  const orchestrator = createOrchestrator({ name: 'trips', agents: [flights, plan], params: schema, store });
  return { orchestrator, store, flights, plan };
}

describe('run parameters through a run', () => {
  it('hands the validated parameters (defaults filled in) to every agent, journals them and puts them in the RunResult', async () => {
    const { orchestrator, store, flights, plan } = trip();
    const result = await orchestrator.run('an itinerary', { params: { city: 'Lisbon' } });
    expect(result.status).toBe('succeeded');
    expect(result.params).toEqual({ city: 'Lisbon', days: 3 });
    expect(flights.calls[0]?.params).toEqual({ city: 'Lisbon', days: 3 });
    expect(plan.calls[0]?.params).toEqual({ city: 'Lisbon', days: 3 });
    expect(result.deliverable.artifacts['itinerary']).toEqual({ for: { city: 'Lisbon', days: 3 } });
    const started = (await store.readEvents(result.runId)).find((e): e is Extract<RunEvent, { type: 'run.started' }> => e.type === 'run.started');
    expect(started?.params).toEqual({ city: 'Lisbon', days: 3 });
  });

  it('refuses bad parameters at once, before anything is journaled or any agent runs', async () => {
    const { orchestrator, store, flights } = trip();
    let thrown: unknown;
    try {
      orchestrator.start('an itinerary', { params: { days: 'x' } });
    } catch (e) {
      thrown = e;
    }
    expect(BatonError.isInstance(thrown) && thrown.code).toBe('BAD_REQUEST');
    expect((thrown as Error).message).toContain('params.city: missing required parameter "city"');
    expect((thrown as Error).message).toContain('params.days: expected an integer, got "x"');
    expect(await store.listRuns()).toEqual([]);
    expect(orchestrator.activeRuns()).toEqual([]);
    expect(flights.calls).toEqual([]);
  });

  it('gives agents {} when the orchestrator has no parameters', async () => {
    const a = scriptedAgent({ name: 'a', produces: ['x'] });
    const result = await createOrchestrator({ name: 'o', agents: [a] }).run('make x');
    expect(result.params).toEqual({});
    expect(a.calls[0]?.params).toEqual({});
  });

  it('keeps the parameters when a run is carried on by another orchestrator on the same journal', async () => {
    const store = new MemoryRunStore();
    const slow = scriptedAgent({ name: 'flights', produces: ['flights'], script: [{ hang: true }] });
    const first = createOrchestrator({ name: 'trips', agents: [slow, scriptedAgent({ name: 'planner', consumes: ['flights'], produces: ['itinerary'] })], params: schema, store });
    const handle = first.start('an itinerary', { params: { city: 'Porto', days: 5 } });
    while (slow.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    // The first process is gone without ending the run: its ownership is released, its journal stays.
    await store.release(handle.runId, (await store.ownership(handle.runId))!.owner!.id, 1);
    const again = trip();
    const second = createOrchestrator({ name: 'trips', agents: [again.flights, again.plan], params: schema, store });
    const resumed = await (await second.resume(handle.runId)).result;
    expect(resumed.status).toBe('succeeded');
    expect(again.flights.calls[0]?.params).toEqual({ city: 'Porto', days: 5 });
    expect(resumed.params).toEqual({ city: 'Porto', days: 5 });
    // The first process learns it lost the run at its next write.
    first.cancel(handle.runId);
    await expect(handle.result).rejects.toThrow(/taken over by another process/);
  });
});
