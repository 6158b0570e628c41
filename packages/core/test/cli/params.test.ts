import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/core/types.ts';
import { baton, calls, scratch } from './steer-support.ts';

describe('baton run --param / --params (the real CLI)', () => {
  it('hands typed parameters to every agent, journals them and shows them in runs show', async () => {
    const s = scratch();
    const r = await baton(['run', '--json', '--store', s.store, '--out', s.out, '--param', 'city=Lisbon', '--param', 'days=5', 'an itinerary'], { BATON_TEST_LOG: s.log }).done;
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as RunResult;
    expect(result.params).toEqual({ city: 'Lisbon', days: 5 });
    const started = calls(s.log).filter((c) => c.event === 'start');
    expect(started.map((c) => c.artifact).sort()).toEqual(['flights', 'hotels', 'itinerary']);
    for (const c of started) expect(c.params).toEqual({ city: 'Lisbon', days: 5 });
    const shown = await baton(['runs', 'show', '--store', s.store, result.runId]).done;
    expect(shown.stdout).toContain('params:  {"city":"Lisbon","days":5}');
  });

  it('reads --params from a YAML file or stdin; --param overrides it; a value that is not JSON is a string', async () => {
    const s = scratch();
    const file = path.join(s.dir, 'params.yaml');
    writeFileSync(file, 'city: Porto\ndays: 2\n');
    const fromFile = await baton(['run', '--json', '--store', s.store, '--out', s.out, '--params', file, '--param', 'days=4', 'an itinerary']).done;
    expect(fromFile.code).toBe(0);
    expect((JSON.parse(fromFile.stdout) as RunResult).params).toEqual({ city: 'Porto', days: 4 });
    const fromStdin = await baton(['run', '--json', '--store', s.store, '--out', s.out, '--params', '-', '--param', 'city=1999 Lisbon', 'an itinerary'], {}, '{"city": "Faro"}').done;
    expect(fromStdin.code).toBe(0);
    expect((JSON.parse(fromStdin.stdout) as RunResult).params).toEqual({ city: '1999 Lisbon', days: 3 });
  });

  const refusals: [string, string[], RegExp[]][] = [
    ['a parameter of the wrong type', ['--param', 'city=Lisbon', '--param', 'days=three'], [/params\.days: expected an integer, got "three"/]],
    ['a missing required parameter', ['--param', 'days=2'], [/params\.city: missing required parameter "city" \(expected a string\)/]],
    ['an unknown parameter', ['--param', 'city=Lisbon', '--param', 'dayz=2'], [/params\.dayz: unknown parameter "dayz" \(did you mean "days"\?\); the parameters are: city, days/]],
    ['a --param without =', ['--param', 'city'], [/--param "city": expected KEY=VALUE/]],
    ['a number too large for JSON, and null', ['--param', 'city=null', '--param', 'days=1e400'], [/params\.city: expected a string, got null\n/, /params\.days: the number is too large to be a JSON number \(got Infinity;/]],
  ];
  for (const [what, args, messages] of refusals) {
    it(`exits 64 for ${what}, naming the field, and runs nothing`, async () => {
      const s = scratch();
      const r = await baton(['run', '--store', s.store, '--out', s.out, ...args, 'an itinerary'], { BATON_TEST_LOG: s.log }).done;
      expect(r.code).toBe(64);
      for (const m of messages) expect(r.stderr).toMatch(m);
      expect(calls(s.log)).toEqual([]);
      const list = await baton(['runs', 'list', '--json', '--store', s.store]).done;
      expect(JSON.parse(list.stdout)).toEqual([]);
    });
  }
});
