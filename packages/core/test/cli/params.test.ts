import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/core/types.ts';
import { baton, calls, scratch, steerVariant } from './steer-support.ts';

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

  it('refuses a parameter named __proto__ from --param, a --params file or stdin, as the library does (not dropped)', async () => {
    const s = scratch();
    const file = path.join(s.dir, 'proto.json');
    writeFileSync(file, '{"city": "Lisbon", "__proto__": {"x": 1}}');
    const yaml = path.join(s.dir, 'proto.yaml');
    writeFileSync(yaml, 'city: Lisbon\n__proto__: { x: 1 }\n');
    const refusal = /params\.__proto__: unknown parameter "__proto__"; the parameters are: city, days/;
    const ways: [string[], string | undefined][] = [
      [['--param', 'city=Lisbon', '--param', '__proto__={"x":1}'], undefined],
      [['--param', 'city=Lisbon', '--param', '__proto__=plain'], undefined],
      [['--params', file], undefined],
      [['--params', yaml], undefined],
      [['--params', '-'], '{"city": "Lisbon", "__proto__": {"x": 1}}'],
    ];
    const runs = await Promise.all(ways.map(([args, stdin]) => baton(['run', '--store', 'memory', '--out', s.out, ...args, 'an itinerary'], { BATON_TEST_LOG: s.log }, stdin).done));
    runs.forEach((r, i) => {
      expect({ args: ways[i]![0], code: r.code }).toEqual({ args: ways[i]![0], code: 64 });
      expect(r.stderr).toMatch(refusal);
    });
    expect(calls(s.log)).toEqual([]);
  });

  it('reads a --params JSON file nested up to 1,000 levels deep, and refuses a deeper one as --param does', async () => {
    const s = scratch();
    const manifest = steerVariant(s.dir, 'deep.yaml', (yaml) => yaml.replace('      days:', '      trail: { type: array }\n      days:'));
    const deep = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    const file = path.join(s.dir, 'deep.json');
    writeFileSync(file, `{"city": "Lisbon", "trail": ${deep(900)}}`);
    const r = await baton(['run', '--json', '-m', manifest, '--store', s.store, '--out', s.out, '--plan', '-', '--params', file], {}, '{"tasks": [{"id": "f", "agent": "flights"}]}').done;
    expect(r.stderr).not.toContain('neither JSON nor YAML');
    expect(r.code).toBe(0);
    let trail = (JSON.parse(r.stdout) as RunResult).params['trail'];
    let levels = 0;
    for (; Array.isArray(trail); levels++) trail = trail[0];
    expect(levels).toBe(900);
    writeFileSync(file, `{"city": "Lisbon", "trail": ${deep(1_001)}}`);
    const fromFile = await baton(['run', '-m', manifest, '--store', s.store, '--out', s.out, '--workflow', 'quick', '--params', file]).done;
    const fromParam = await baton(['run', '-m', manifest, '--store', s.store, '--out', s.out, '--workflow', 'quick', '--param', 'city=Lisbon', '--param', `trail=${deep(1_001)}`]).done;
    expect([fromFile.code, fromParam.code]).toEqual([64, 64]);
    const tooDeep = 'params: the parameters nest arrays and objects more than 1000 levels deep, past what Baton takes';
    expect(fromFile.stderr).toContain(tooDeep);
    expect(fromParam.stderr).toContain(tooDeep);
  });

  it('refuses a JSON --params or --plan with the same key twice in one object, saying where, instead of keeping the last one silently', async () => {
    const s = scratch();
    const file = path.join(s.dir, 'params.json');
    writeFileSync(file, '{"city": "Lisbon",\n "city": "Porto"}');
    const params = await baton(['run', '--store', s.store, '--out', s.out, '--params', file, 'an itinerary'], { BATON_TEST_LOG: s.log }).done;
    expect(params.code).toBe(64);
    expect(params.stderr).toContain(`--params ${file}: ${file} has the same key twice in one object (at line 2, column 2): only one of them would be kept; remove the other`);
    const plan = await baton(['run', '--store', s.store, '--out', s.out, '--param', 'city=Lisbon', '--plan', '-'], { BATON_TEST_LOG: s.log }, '{"tasks": [{"id": "f", "agent": "mailer", "agent": "flights"}]}').done;
    expect(plan.code).toBe(64);
    expect(plan.stderr).toMatch(/--plan -: stdin has the same key twice in one object \(at line 1, column \d+\)/);
    expect(calls(s.log)).toEqual([]);
    expect(JSON.parse((await baton(['runs', 'list', '--json', '--store', s.store]).done).stdout)).toEqual([]);
  });

  const refusals: [string, string[], RegExp[]][] = [
    ['a parameter of the wrong type', ['--param', 'city=Lisbon', '--param', 'days=three'], [/params\.days: expected an integer, got "three"/]],
    ['a missing required parameter', ['--param', 'days=2'], [/params\.city: missing required parameter "city" \(expected a string\)/]],
    ['an unknown parameter', ['--param', 'city=Lisbon', '--param', 'dayz=2'], [/params\.dayz: unknown parameter "dayz" \(did you mean "days"\?\); the parameters are: city, days/]],
    ['a --param without =', ['--param', 'city'], [/--param "city": expected KEY=VALUE/]],
    [
      'an integer a number cannot hold exactly (not rounded silently)',
      ['--param', 'city=Lisbon', '--param', 'days=12345678901234567890'],
      [/--param "days=12345678901234567890": 12345678901234567890 is too large to be held exactly as a number \(it would become 12345678901234567000\); to give it as text, quote it: --param 'days="12345678901234567890"'/],
    ],
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
