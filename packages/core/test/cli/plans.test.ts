import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/core/types.ts';
import { baton, calls, scratch } from './steer-support.ts';

describe('baton run --plan / --workflow (the real CLI)', () => {
  it('runs the output of baton plan --json unchanged, exactly that plan, with no planner', async () => {
    const s = scratch();
    const planned = await baton(['plan', '--json', 'an itinerary']).done;
    expect(planned.code).toBe(0);
    // The plan is edited by hand before it runs: only the flights task is kept.
    const output = JSON.parse(planned.stdout) as { plan: RunResult['plan'] };
    output.plan.tasks = output.plan.tasks.filter((t) => t.agent === 'flights');
    delete output.plan.requested;
    const file = path.join(s.dir, 'plan.json');
    writeFileSync(file, JSON.stringify(output));
    const r = await baton(['run', '--json', '--store', s.store, '--out', s.out, '--plan', file, '--param', 'city=Lisbon'], { BATON_TEST_LOG: s.log }).done;
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as RunResult;
    expect(result).toMatchObject({ status: 'succeeded', planner: 'fixed', goal: 'the plan given: t1-find-flights' });
    expect(result.plan.tasks).toEqual(output.plan.tasks);
    expect(calls(s.log).map((c) => `${c.event} ${c.artifact}`)).toEqual(['start flights', 'done flights']);
  });

  it('takes the plan member alone from stdin, tasks with only id and agent', async () => {
    const s = scratch();
    const plan = { tasks: [{ id: 'f', agent: 'flights' }, { id: 'h', agent: 'hotels' }, { id: 'it', agent: 'itinerary' }] };
    const r = await baton(['run', '--json', '--store', s.store, '--out', s.out, '--plan', '-', '--param', 'city=Porto', 'a trip plan'], {}, JSON.stringify(plan)).done;
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as RunResult;
    expect(result.goal).toBe('a trip plan');
    expect(result.plan.tasks.find((t) => t.id === 'it')?.dependsOn).toEqual(['f', 'h']);
    expect(result.deliverable.artifacts['itinerary']).toEqual({ by: 'itinerary', params: { city: 'Porto', days: 3 }, inputs: ['flights', 'hotels'] });
  });

  it('takes a blank goal beside --workflow as a goal left out, as the library does', async () => {
    const s = scratch();
    const r = await baton(['run', '--json', '--store', s.store, '--out', s.out, '--workflow', 'quick', '--param', 'city=Faro', ' \t ']).done;
    expect(r.stderr).not.toContain('the goal is empty');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout) as RunResult).toMatchObject({ status: 'succeeded', planner: 'workflow', goal: 'quick: Flights and hotels only' });
  });

  it('runs a workflow of the manifest with parameters', async () => {
    const s = scratch();
    const r = await baton(['run', '--json', '--store', s.store, '--out', s.out, '--workflow', 'quick', '--param', 'city=Faro'], { BATON_TEST_LOG: s.log }).done;
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as RunResult;
    expect(result).toMatchObject({ status: 'succeeded', planner: 'workflow', goal: 'quick: Flights and hotels only' });
    expect(calls(s.log).filter((c) => c.event === 'start').map((c) => c.artifact).sort()).toEqual(['flights', 'hotels']);
  });

  const refusals: [string, string[], string | undefined, RegExp][] = [
    ['a plan naming an unknown agent', ['--plan', '-'], JSON.stringify({ tasks: [{ id: 'f', agent: 'flight' }] }), /plan\.tasks\[0\]: task "f" uses agent "flight", which the manifest does not define/],
    ['a plan with a cycle', ['--plan', '-'], JSON.stringify({ tasks: [{ id: 'a', agent: 'flights', dependsOn: ['b'] }, { id: 'b', agent: 'hotels', dependsOn: ['a'] }] }), /plan\.tasks\[0\] \(task "a"\): tasks depend on each other in a cycle: a → b → a/],
    ['a plan consuming an artifact nobody produces', ['--plan', '-'], JSON.stringify({ tasks: [{ id: 'it', agent: 'itinerary' }] }), /plan\.tasks\[0\]: task "it" consumes "flights", but no task it depends on .* no task of the plan produces it/],
    ['an unknown workflow', ['--workflow', 'quik'], undefined, /no workflow named "quik" in the manifest \(did you mean "quick"\?\); its workflows are: quick, full/],
    ['neither a goal nor a plan', [], undefined, /baton run needs a goal .* or --plan FILE or --workflow NAME/],
    ['a plan file with no end', ['--plan', '/dev/zero'], undefined, /--plan \/dev\/zero: cannot read \/dev\/zero: it is larger than 67108864 bytes \(64 MiB\)/],
  ];
  for (const [what, args, stdin, message] of refusals) {
    it(`exits 64 naming the task or field for ${what}; nothing runs`, async () => {
      const s = scratch();
      const r = await baton(['run', '--store', s.store, '--out', s.out, '--param', 'city=Lisbon', ...args], { BATON_TEST_LOG: s.log }, stdin).done;
      expect(r.code).toBe(64);
      expect(r.stderr).toMatch(message);
      expect(calls(s.log)).toEqual([]);
    });
  }
});
