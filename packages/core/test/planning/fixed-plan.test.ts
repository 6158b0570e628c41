import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { checkPlanInput, completePlan, fixedPlanOf } from '../../src/planning/fixed-plan.ts';
import type { FixedPlanProblem } from '../../src/planning/fixed-plan.ts';
import { scriptedAgent } from '../../src/testing/index.ts';

const manifest = createOrchestrator({
  name: 'trips',
  agents: [
    scriptedAgent({ name: 'flights', description: 'Finds flights', produces: ['flights'] }),
    scriptedAgent({ name: 'hotels', description: 'Finds hotels', produces: ['hotels'] }),
    scriptedAgent({ name: 'itinerary', description: 'Writes the itinerary', consumes: ['flights', 'hotels'], produces: ['itinerary'] }),
  ],
}).manifest;

function problems(raw: unknown): FixedPlanProblem[] {
  const r = checkPlanInput(raw, manifest);
  if ('plan' in r) throw new Error('expected problems');
  return r.problems;
}

describe('plans written by a person', () => {
  it('derives title, consumes, produces and dependsOn from the agents', () => {
    const r = checkPlanInput({ tasks: [{ id: 'it', agent: 'itinerary' }, { id: 'f', agent: 'flights' }, { id: 'h', agent: 'hotels', title: 'Hotels in town' }] }, manifest);
    expect('plan' in r && r.plan.tasks).toEqual([
      { id: 'it', title: 'Writes the itinerary', instructions: '', agent: 'itinerary', dependsOn: ['f', 'h'], consumes: ['flights', 'hotels'], produces: ['itinerary'] },
      { id: 'f', title: 'Finds flights', instructions: '', agent: 'flights', dependsOn: [], consumes: [], produces: ['flights'] },
      { id: 'h', title: 'Hotels in town', instructions: '', agent: 'hotels', dependsOn: [], consumes: [], produces: ['hotels'] },
    ]);
  });

  it('accepts the whole output of baton plan --json, or its plan member, unchanged', async () => {
    const planned = await createOrchestrator({ name: 'trips', agents: Object.values(manifest.agents).map((s) => scriptedAgent({ ...s })) }).plan('an itinerary');
    const whole = checkPlanInput(JSON.parse(JSON.stringify(planned)), manifest);
    const member = checkPlanInput(JSON.parse(JSON.stringify(planned.plan)), manifest);
    expect('plan' in whole && whole.plan).toEqual(planned.plan);
    expect('plan' in member && member.plan).toEqual(planned.plan);
  });

  it('names the task of every problem: an unknown agent, a cycle, an artifact nobody produces', () => {
    expect(problems({ tasks: [{ id: 'f', agent: 'flight' }] })).toEqual([
      { taskId: 'f', path: 'tasks[0]', message: 'task "f" uses agent "flight", which the manifest does not define; use one of the subagents: "flights", "hotels", "itinerary"' },
    ]);
    const cycle = problems({ tasks: [{ id: 'f', agent: 'flights', dependsOn: ['h'] }, { id: 'h', agent: 'hotels', dependsOn: ['f'] }] });
    expect(cycle).toEqual([expect.objectContaining({ taskId: 'f', path: 'tasks[0]', message: expect.stringContaining('cycle: f → h → f') as unknown })]);
    const orphan = problems({ tasks: [{ id: 'f', agent: 'flights' }, { id: 'it', agent: 'itinerary' }] });
    expect(orphan).toEqual([expect.objectContaining({ taskId: 'it', path: 'tasks[1]', message: expect.stringContaining('consumes "hotels", but no task it depends on') as unknown })]);
  });

  it('answers a plan of thousands of bad tasks with an error in proportion: 50 problems told, 100 kept, each at its task', () => {
    const tasks = Array.from({ length: 3_000 }, (_, i) => ({ id: `f${i}`, agent: 'flights', dependsOn: ['z'] }));
    let error: unknown;
    try {
      fixedPlanOf({ tasks }, manifest);
    } catch (e) {
      error = e;
    }
    if (!BatonError.isInstance(error)) throw new Error('expected a BatonError');
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/^the plan given is not a valid plan \(3000 problems\):\n {2}plan\.tasks\[0\]: task "f0" depends on "z", which is not a task of the plan; task ids are: "f0", .* and 2990 more\n/);
    expect(error.message.split('\n')).toHaveLength(52);
    expect(error.message.endsWith('... and 2950 more problems')).toBe(true);
    const details = error.details as FixedPlanProblem[];
    expect(details).toHaveLength(100);
    expect(details[99]).toMatchObject({ taskId: 'f99', path: 'tasks[99]' });
  });

  it('names shape problems by field, with a suggestion for a misspelt key', () => {
    expect(problems({ tasks: [{ id: 'f', agnt: 'flights' }] })).toEqual([
      { path: 'tasks[0].agent', taskId: 'f', message: 'missing: expected a string' },
      { path: 'tasks[0]', taskId: 'f', message: 'unknown key "agnt" (did you mean "agent"?); expected: id, agent, title, instructions, dependsOn, consumes, produces, reason' },
    ]);
    expect(problems({ tasks: [] })).toEqual([{ path: 'tasks', message: 'expected at least one task' }]);
  });

  it('checks a plan object once per manifest: the same object gives the same plan, a bad one the same error', () => {
    const raw = { tasks: [{ id: 'f', agent: 'flights' }] };
    const first = fixedPlanOf(raw, manifest);
    expect(fixedPlanOf(raw, manifest)).toBe(first);
    const bad = { tasks: [{ id: 'f', agent: 'nobody' }] };
    const errorOf = (): unknown => {
      try {
        fixedPlanOf(bad, manifest);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e1 = errorOf();
    expect(BatonError.isInstance(e1) && e1.code).toBe('BAD_REQUEST');
    expect(errorOf()).toBe(e1);
  });

  it('checks a plan object again once it was changed in place: a fixed typo runs, a new task or instruction is seen', () => {
    const raw = { tasks: [{ id: 'f', agent: 'flihgts' }] };
    expect(() => fixedPlanOf(raw, manifest)).toThrow(/flihgts/);
    raw.tasks[0]!.agent = 'flights';
    const fixed = fixedPlanOf(raw, manifest);
    expect(fixed.tasks.map((t) => t.agent)).toEqual(['flights']);
    expect(fixedPlanOf(raw, manifest)).toBe(fixed);
    (raw.tasks[0] as { instructions?: string }).instructions = 'only direct flights';
    expect(fixedPlanOf(raw, manifest).tasks[0]!.instructions).toBe('only direct flights');
    raw.tasks.push({ id: 'i', agent: 'itinerary' });
    expect(() => fixedPlanOf(raw, manifest)).toThrow(/hotels/);
    delete (raw.tasks[0] as { instructions?: string }).instructions;
    raw.tasks.pop();
    expect(fixedPlanOf(raw, manifest).tasks[0]!.instructions).toBe('');
  });

  it('fills in dependsOn for thousands of tasks in one lookup per input, in plan order', () => {
    const some = [{ id: 'it', agent: 'itinerary' }, { id: 'f0', agent: 'flights' }, { id: 'h1', agent: 'hotels' }, { id: 'f2', agent: 'flights' }, { id: 'h1', agent: 'hotels' }];
    expect(completePlan({ tasks: some }, manifest).tasks[0]!.dependsOn).toEqual(['f0', 'h1', 'f2']);
    const chain = Array.from({ length: 2_000 }, (_, i) => ({ id: `t${i}`, agent: 'itinerary', consumes: i === 0 ? [] : [`a${i - 1}`], produces: [`a${i}`] }));
    const plan = completePlan({ tasks: chain }, manifest);
    expect(plan.tasks[1_999]!.dependsOn).toEqual(['t1998']);
    expect(plan.tasks[0]!.dependsOn).toEqual([]);
  });

  it('gives a task that leaves dependsOn out a few of the many producers of its input, and says how many there are', () => {
    // Thousands of consumers of an artifact thousands of tasks make: listing every producer in
    // every consumer's dependsOn made a plan of 10,000 tasks take 78 s, and 60,000 run out of memory.
    const tasks = [
      ...Array.from({ length: 3_000 }, (_, i) => ({ id: `f${i}`, agent: 'flights' })),
      ...Array.from({ length: 3_000 }, (_, i) => ({ id: `it${i}`, agent: 'itinerary', consumes: ['flights'] })),
    ];
    expect(completePlan({ tasks }, manifest).tasks.at(-1)!.dependsOn).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9', 'f10']);
    const found = problems({ tasks });
    expect(found).toHaveLength(3_000);
    expect(found[0]).toEqual({
      path: 'tasks[3000]',
      taskId: 'it0',
      message: 'task "it0" consumes "flights", which "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9" and 2990 more tasks produce, so its input is ambiguous; list in its dependsOn the one task it takes "flights" from',
    });
  });

  it('lists eleven producers of an input in full, and counts them past that', () => {
    const tasks = [...Array.from({ length: 11 }, (_, i) => ({ id: `f${i}`, agent: 'flights' })), { id: 'it', agent: 'itinerary', consumes: ['flights'] }];
    expect(completePlan({ tasks }, manifest).tasks.at(-1)!.dependsOn).toHaveLength(11);
    expect(problems({ tasks })[0]?.message).toBe(
      'task "it" consumes "flights", which "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9" and 1 more all produce upstream of it, so its input is ambiguous; keep exactly one producer of "flights" among the tasks it depends on',
    );
    tasks.unshift({ id: 'f11', agent: 'flights' });
    expect(problems({ tasks })[0]?.message).toContain('"f8" and 2 more tasks produce, so its input is ambiguous');
  });

  it('names the first ten positions of an id used many times, and how many more', () => {
    const tasks = Array.from({ length: 30 }, () => ({ id: 'same', agent: 'flights' }));
    expect(problems({ tasks })[0]?.message).toBe('task id "same" is used by 30 tasks (positions 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 20 more); give each task its own id');
  });
});
