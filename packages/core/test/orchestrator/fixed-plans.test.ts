import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Planner } from '../../src/core/contracts.ts';
import type { RunEvent } from '../../src/core/events.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { loadManifest } from '../../src/manifest/index.ts';
import { Orchestrator } from '../../src/orchestrator.ts';
import { FixedPlanner } from '../../src/planning/fixed-planner.ts';
import { MemoryRunStore } from '../../src/store/index.ts';
import { scriptedAgent } from '../../src/testing/index.ts';
import { CORE_FIXTURES } from '../support/paths.ts';
import { thrown } from '../support/thrown.ts';

/** A planner that must not be asked: fixed plans and workflows run with no planner. */
const noPlanner: Planner = {
  name: 'llm',
  plan: () => Promise.reject(new Error('the planner was asked for a plan')),
  replan: () => Promise.reject(new Error('the planner was asked to re-plan')),
};

function trips() {
  const flights = scriptedAgent({ name: 'flights', produces: ['flights'] });
  const hotels = scriptedAgent({ name: 'hotels', produces: ['hotels'], script: [{ throw: 'no rooms' }] });
  const itinerary = scriptedAgent({ name: 'itinerary', consumes: ['flights', 'hotels'], produces: ['itinerary'] });
  const store = new MemoryRunStore();
  const orchestrator = createOrchestrator({
    name: 'trips',
    agents: [flights, hotels, itinerary],
    store,
    planner: noPlanner,
    policy: { retries: 0 },
    workflows: { quick: { description: 'Flights only', tasks: [{ id: 'f', agent: 'flights' }] } },
  });
  return { orchestrator, store, flights, hotels, itinerary };
}

describe('fixed plans and workflows', () => {
  it('runs exactly the plan given, journaled with run.started in one write, planner "fixed", never re-planned', async () => {
    const { orchestrator, store, flights, itinerary } = trips();
    const handle = orchestrator.start('', { plan: { tasks: [{ id: 'f', agent: 'flights' }, { id: 'h', agent: 'hotels' }, { id: 'it', agent: 'itinerary' }] } });
    const result = await handle.result;
    expect(result.planner).toBe('fixed');
    expect(result.goal).toBe('the plan given: f, h, it');
    expect(result.plan.tasks.map((t) => [t.id, t.dependsOn])).toEqual([
      ['f', []],
      ['h', []],
      ['it', ['f', 'h']],
    ]);
    // hotels failed; had the planner been asked to re-plan, it would have thrown and said so in the reason.
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/^h failed: .*no rooms/);
    expect(flights.calls).toHaveLength(1);
    expect(itinerary.calls).toHaveLength(0);
    const events = await store.readEvents(handle.runId);
    expect(events.slice(0, 2).map((e) => e.type)).toEqual(['run.started', 'plan.created']);
    expect((events[1] as Extract<RunEvent, { type: 'plan.created' }>).reason).toBe('the plan given with the run');
  });

  it('names the first 10 tasks of a large plan given without a goal, and how many more: the goal goes to every agent', async () => {
    const { orchestrator, flights } = trips();
    const tasks = Array.from({ length: 2_000 }, (_, i) => ({ id: `t${i}`, agent: 'flights' }));
    const result = await orchestrator.start('', { plan: { tasks } }).result;
    const goal = 'the plan given: t0, t1, t2, t3, t4, t5, t6, t7, t8, t9 and 1990 more tasks';
    expect(result).toMatchObject({ status: 'succeeded', goal });
    expect(flights.calls).toHaveLength(2_000);
    expect(new Set(flights.calls.map((c) => c.goal))).toEqual(new Set([goal]));
  });

  it('runs a workflow of the manifest with parameters, planner "workflow", the goal optional', async () => {
    const { orchestrator, flights } = trips();
    const result = await orchestrator.run('', { workflow: 'quick' });
    expect(result).toMatchObject({ status: 'succeeded', planner: 'workflow', goal: 'quick: Flights only' });
    expect(result.plan.tasks.map((t) => t.id)).toEqual(['f']);
    expect(flights.calls[0]?.goal).toBe('quick: Flights only');
    const withGoal = await orchestrator.run('flights for the team offsite', { workflow: 'quick' });
    expect(withGoal.goal).toBe('flights for the team offsite');
  });

  it('refuses, before anything is journaled: an unknown workflow, a plan that cannot run, both at once', async () => {
    const { orchestrator, store } = trips();
    expect(thrown(() => orchestrator.start('', { workflow: 'quik' })).message).toBe('workflow: no workflow named "quik" in the manifest (did you mean "quick"?); its workflows are: quick');
    const bad = thrown(() => orchestrator.start('', { plan: { tasks: [{ id: 'it', agent: 'itinerary' }, { id: 'x', agent: 'mailer' }] } }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toContain('plan.tasks[0]: task "it" consumes "flights", but no task it depends on');
    expect(bad.message).toContain('plan.tasks[1]: task "x" uses agent "mailer", which the manifest does not define');
    expect(thrown(() => orchestrator.start('', { workflow: 'quick', plan: { tasks: [{ id: 'f', agent: 'flights' }] } })).message).toBe('give a run a plan or a workflow, not both');
    expect(await store.listRuns()).toEqual([]);
  });

  it('refuses a workflow that is not a string (JavaScript callers) as a BAD_REQUEST, in the words HTTP uses', async () => {
    const { orchestrator, store } = trips();
    for (const workflow of [5, null, {}, ['quick']]) {
      const e = thrown(() => orchestrator.start('', { workflow } as unknown as { workflow: string }));
      expect(e.code).toBe('BAD_REQUEST');
      expect(e.message).toBe("workflow: workflow must be a string: the name of one of the manifest's workflows");
    }
    expect(await store.listRuns()).toEqual([]);
  });

  it('refuses workflows and agents named like what every object inherits, as any unknown name', async () => {
    const { orchestrator, store } = trips();
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      const workflow = thrown(() => orchestrator.start('', { workflow: name }));
      expect(workflow.code).toBe('BAD_REQUEST');
      expect(workflow.message).toContain(`workflow: no workflow named "${name}" in the manifest`);
      const plan = thrown(() => orchestrator.start('', { plan: { tasks: [{ id: 't', agent: name }] } }));
      expect(plan.code).toBe('BAD_REQUEST');
      expect(plan.message).toContain(`task "t" uses agent "${name}", which the manifest does not define`);
    }
    expect(await store.listRuns()).toEqual([]);
  });

  it("takes back the plan `baton plan` printed, with the artifacts the goal ruled out", async () => {
    const { orchestrator } = trips();
    const printed = { tasks: [{ id: 'f', agent: 'flights' }], requested: ['flights'], excluded: ['hotels'], notes: ['the goal ruled out hotels'] };
    const result = await orchestrator.run('', { plan: printed });
    expect(result.status).toBe('succeeded');
    expect(result.plan).toMatchObject({ requested: ['flights'], excluded: ['hotels'], notes: ['the goal ruled out hotels'] });
  });

  it('applies the version pins to a fixed plan as to any planner\'s plan: the run fails before any agent runs', async () => {
    const manifest = await loadManifest(path.join(CORE_FIXTURES, 'versions/baton.yaml'));
    const orchestrator = new Orchestrator({ manifest, planner: noPlanner });
    const result = await orchestrator.run('', { plan: { tasks: [{ id: 'd', agent: 'data' }, { id: 's', agent: 'summary' }] } });
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/data.*1\.4\.2.*~1\.3/);
    expect(result.tasks.every((t) => t.attempts.length === 0)).toBe(true);
  });

  it('exports FixedPlanner: a planner that returns its plan for any goal, checked once per manifest', async () => {
    const a = scriptedAgent({ name: 'a', produces: ['x'] });
    const planner = new FixedPlanner({ tasks: [{ id: 'one', agent: 'a' }] });
    const orchestrator = createOrchestrator({ name: 'o', agents: [a], planner });
    const result = await orchestrator.run('anything at all');
    expect(result).toMatchObject({ status: 'succeeded', planner: 'fixed' });
    await expect(new FixedPlanner({ tasks: [{ id: 'one', agent: 'b' }] }).plan('g', orchestrator.manifest)).rejects.toThrow(/uses agent "b", which the manifest does not define/);
  });
});
