import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SuiteError, runEvalSuite } from '../../src/testing/index.ts';
import type { EvalSuiteInput } from '../../src/testing/index.ts';
import { REPO_ROOT } from '../support/paths.ts';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/eval');
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-suites-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** Writes a suite (its lines) next to a copy-free reference to the trips manifest (or `manifest`), and loads it. */
async function problems(lines: string[], manifest = path.join(fixtures, 'baton.yaml')): Promise<{ line?: number; path: string; message: string }[]> {
  const file = path.join(tmp, `suite-${++n}.yaml`);
  writeFileSync(file, [`manifest: ${manifest}`, ...lines].join('\n'));
  const error = await runEvalSuite(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SuiteError);
  expect((error as SuiteError).code).toBe('SUITE_INVALID');
  return (error as SuiteError).problems.map(({ line, path: p, message }) => ({ ...(line === undefined ? {} : { line }), path: p, message }));
}

describe('loading a suite', () => {
  it('reports every problem at once, with the line, the field and what was expected', async () => {
    const found = await problems([
      'suite: bad', //                                   2
      'cases:', //                                       3
      '  - name: typo', //                               4
      '    goal: hotels in Rome', //                     5
      '    expect:', //                                  6
      '      agnets: [hotels]', //                       7
      '  - name: run false', //                          8
      '    goal: hotels in Rome', //                     9
      '    run: false', //                               10
      '    expect:', //                                  11
      '      include: [hotel]', //                       12
      '      status: succeeded', //                      13
      '  - name: typo', //                               14
      '    goal: flights', //                            15
      '    expect: { status: done, artifacts: { itinerari: { type: object } } }', // 16
      '  - name: no goal', //                            17
      '    inputs: { a: 1 }', //                         18
    ]);
    expect(found).toEqual([
      { line: 7, path: 'cases[0].expect.agnets', message: 'unknown key "agnets" (did you mean "agents"?)' },
      { line: 12, path: 'cases[1].expect.include[0]', message: `no agent named "hotel" in ${path.join(fixtures, 'baton.yaml')} (did you mean "hotels"?), nor an artifact one produces` },
      { line: 13, path: 'cases[1].expect.status', message: 'status needs the run, and this case has run: false: remove one of them' },
      { line: 14, path: 'cases[2].name', message: 'case #1 is already named "typo": give each case its own name' },
      { line: 16, path: 'cases[2].expect.status', message: 'expected one of succeeded | partial | failed | cancelled, got "done"' },
      { line: 17, path: 'cases[3].goal', message: 'missing: expected the goal, as a user would ask it (or agent: NAME and inputs to test one agent)' },
      { line: 18, path: 'cases[3].inputs', message: 'inputs are for agent cases: add agent: NAME to this case (or to the suite)' },
    ]);
  });

  it('says what a rubric must be when it is neither text nor a list of text', async () => {
    const found = await problems([
      'suite: rubrics', //                                         2
      'cases:', //                                                 3
      '  - { name: number, goal: hotels, expect: { rubric: 3 } }', // 4
      '  - { name: list, goal: hotels, expect: { rubric: [Lists hotels, { x: 1 }] } }', // 5
    ]);
    expect(found).toEqual([
      { line: 4, path: 'cases[0].expect.rubric', message: 'expected a rubric (text) or a list of rubrics, got number 3' },
      { line: 5, path: 'cases[1].expect.rubric', message: 'expected a rubric (text) or a list of rubrics: item 1 is a mapping, not text' },
    ]);
  });

  it('tells the first 50 of many problems in its message and how many more; problems holds them all', async () => {
    const file = path.join(tmp, `suite-${++n}.yaml`);
    writeFileSync(file, [`manifest: ${path.join(fixtures, 'baton.yaml')}`, 'suite: many', 'cases:', ...Array.from({ length: 3_000 }, (_, i) => `  - { name: c${i}, goal: hotels, bogus: 1 }`)].join('\n'));
    const error = (await runEvalSuite(file).catch((e: unknown) => e)) as SuiteError;
    expect(error).toBeInstanceOf(SuiteError);
    expect(error.problems).toHaveLength(3_000);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('invalid eval suite (3000 problems):');
    expect(lines).toHaveLength(52);
    expect(lines[51]).toBe('  ... and 2950 more problems');
  });

  it('checks agent cases against the agent: its inputs, its artifacts, and no plan expectations', async () => {
    const found = await problems([
      'suite: agents',
      'agent: itinerary',
      'cases:',
      '  - name: one',
      '    inputs: { flight-options: [], hotel: [] }', // 6
      '    run: false', //                              7
      '    expect:', //                                 8
      '      include: [flights]', //                    9
      '      output: { itinerary: {}, summary: x }', // 10
      '      artifacts: { itinerary: { type: objekt } }', // 11
    ]);
    expect(found.map((p) => `${p.line} ${p.path}`)).toEqual([
      '6 cases[0].inputs.hotel',
      '7 cases[0].run',
      '9 cases[0].expect.include',
      '10 cases[0].expect.output.summary',
      '11 cases[0].expect.artifacts.itinerary',
    ]);
    expect(found[0]?.message).toBe('"hotel" is not an input of itinerary (consumes: flight-options, hotel-options)');
    expect(found[2]?.message).toContain('include is for plan cases; this case tests agent itinerary alone');
    expect(found[4]?.message).toContain('not a valid JSON Schema');
  });

  it('rejects plan expectations on a refused goal, an unknown agent and a missing file', async () => {
    const refused = await problems(['suite: r', 'cases:', '  - name: r', '    goal: a poem', '    expect: { refused: true, include: [hotels], status: succeeded }']);
    expect(refused.map((p) => p.message)).toEqual([
      'a refused goal has no plan and no deliverable: remove include or refused: true',
      'a refused goal ends the run failed, got status succeeded',
    ]);
    const unknown = await problems(['suite: u', 'agent: hotel', 'cases:', '  - name: u']);
    expect(unknown).toEqual([{ line: 3, path: 'agent', message: `no agent named "hotel" in ${path.join(fixtures, 'baton.yaml')} (did you mean "hotels"?)` }]);
    await expect(runEvalSuite(path.join(tmp, 'nope.yaml'))).rejects.toThrow(/suite file not found/);
  });

  it("names the suite's line and field when the manifest it names does not exist, and what to do", async () => {
    const file = path.join(tmp, 'misnamed-manifest.yaml');
    writeFileSync(file, ['suite: m', 'manifest: ./nope/baton.yaml', 'cases:', '  - { name: a, goal: hotels, run: false }'].join('\n'));
    const error = await runEvalSuite(file).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message?: string },
    );
    expect(error?.code).toBe('MANIFEST_NOT_FOUND');
    expect(error?.message).toBe(`${file}:2:11: manifest: no manifest at ${path.join(tmp, 'nope/baton.yaml')} (the path is relative to the suite's folder, ${tmp}): correct it, or give the manifest with -m`);
  });

  it('refuses a suite that is not UTF-8 (Latin-1, UTF-16) at the first bad byte, and reads a UTF-8 one with a BOM', async () => {
    const manifest = path.join(fixtures, 'baton.yaml');
    const latin1 = path.join(tmp, 'latin1.yaml');
    writeFileSync(latin1, Buffer.from(`suite: l\nmanifest: ${manifest}\ncases:\n  - { name: caf\xe9, goal: hotels, run: false }\n`, 'latin1'));
    const error = await runEvalSuite(latin1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SuiteError);
    expect((error as SuiteError).problems).toEqual([
      { file: latin1, path: '', line: 4, column: 16, message: 'the suite is not UTF-8 text: byte 0xe9 at line 4, column 16 is not UTF-8 (saved as Latin-1 or UTF-16?); save the file as UTF-8' },
    ]);
    const utf16 = path.join(tmp, 'utf16.yaml');
    writeFileSync(utf16, Buffer.from(`\ufeffsuite: u\nmanifest: ${manifest}\ncases:\n  - { name: a, goal: hotels, run: false }\n`, 'utf16le'));
    await expect(runEvalSuite(utf16)).rejects.toThrow(/utf16\.yaml:1:1: .*the suite is not UTF-8 text: byte 0xff/);
    // UTF-8, with a BOM and a U+FFFD written in it: read as it is.
    const bom = path.join(tmp, 'bom.yaml');
    writeFileSync(bom, `\ufeffsuite: b\nmanifest: ${manifest}\ncases:\n  - { name: "caf\u00e9 \ufffd", goal: hotels, run: false }\n`);
    const report = await runEvalSuite(bom);
    expect(report.cases.map((c) => c.name)).toEqual(['caf\u00e9 \ufffd']);
  });

  it('checks the params of plan cases against the parameters the orchestrator takes', async () => {
    const manifest = path.join(tmp, 'with-params.yaml');
    const params = ['  params:', '    type: object', '    required: [city]', '    properties: { city: { type: string }, tags: { type: array, items: { type: string } } }'];
    const trips = readFileSync(path.join(fixtures, 'baton.yaml'), 'utf8').replaceAll('./agents/', `${path.join(fixtures, 'agents')}/`);
    writeFileSync(manifest, trips.replace('  policy:', `${params.join('\n')}\n  policy:`));
    const found = await problems(
      [
        'suite: params', //                                       2
        'cases:', //                                              3
        '  - name: wrong types', //                               4
        '    goal: hotels in Rome', //                            5
        '    params: { city: 1, tags: [a, 2] }', //               6
        '  - name: runs without params', //                       7
        '    goal: hotels in Rome', //                            8
        '  - name: plan only without params', //                  9
        '    goal: hotels in Rome', //                            10
        '    run: false', //                                      11
        '  - name: plan only, misspelt', //                       12
        '    goal: hotels in Rome', //                            13
        '    run: false', //                                      14
        '    params:', //                                         15
        '      city: Rome', //                                    16
        '      tag: [a]', //                                      17
        '  - name: fine', //                                      18
        '    goal: hotels in Rome', //                            19
        '    params: { city: Rome }', //                          20
      ],
      manifest,
    );
    expect(found).toEqual([
      { line: 6, path: 'cases[0].params.city', message: 'expected a string, got number 1' },
      { line: 6, path: 'cases[0].params.tags[1]', message: 'expected a string, got number 2' },
      { line: 7, path: 'cases[1].params.city', message: 'missing required parameter "city" (expected a string)' },
      { line: 17, path: 'cases[3].params.tag', message: 'unknown parameter "tag" (did you mean "tags"?); the parameters are: city, tags' },
    ]);
  });

  it('refuses plan-case params for an orchestrator without parameters, as docs/evals.md says of its own example', async () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs/evals.md'), 'utf8');
    const suite = /```yaml\n(suite: trips\n[\s\S]*?)```/.exec(doc)?.[1];
    const said = /^ {2}evals\/trips\.yaml:(\d+):(\d+): cases\[1\]\.params\.nights: (.+) in \/abs\/baton\.yaml\)$/m.exec(doc);
    expect(suite).toBeDefined();
    expect(said, 'docs/evals.md shows the refusal of its example').not.toBeNull();
    const manifest = path.join(fixtures, 'baton.yaml');
    const file = path.join(tmp, 'docs-example.yaml');
    writeFileSync(file, suite!.replace(/^manifest: .*$/m, `manifest: ${manifest}`));
    const error = (await runEvalSuite(file).catch((e: unknown) => e)) as SuiteError;
    expect(error).toBeInstanceOf(SuiteError);
    expect(error.problems.find((p) => p.path === 'cases[1].params.nights')).toMatchObject({ line: Number(said![1]), column: Number(said![2]), message: `${said![3]} in ${manifest})` });
  });

  it('refuses an artifact, input or parameter named __proto__, as it does constructor', async () => {
    const found = await problems([
      'suite: proto', //                                        2
      'cases:', //                                              3
      '  - name: proto artifact', //                            4
      '    goal: an itinerary', //                              5
      '    expect: { artifacts: { __proto__: { type: object } } }', // 6
      '  - name: constructor artifact', //                      7
      '    goal: an itinerary', //                              8
      '    expect: { artifacts: { constructor: { type: object } } }', // 9
      '  - name: proto param', //                               10
      '    goal: an itinerary', //                              11
      '    params: { __proto__: { city: Rome } }', //           12
      '  - name: proto input', //                               13
      '    agent: itinerary', //                                14
      '    inputs: { __proto__: [] }', //                       15
    ]);
    const proto = (what: string): string => `"__proto__" cannot name ${what}: it is a member of every JavaScript object (Object.prototype)`;
    expect(found).toEqual([
      { line: 6, path: 'cases[0].expect.artifacts.__proto__', message: proto('an artifact') },
      { line: 9, path: 'cases[1].expect.artifacts.constructor', message: `no sub-agent of ${path.join(fixtures, 'baton.yaml')} produces "constructor"` },
      { line: 12, path: 'cases[2].params.__proto__', message: proto('a parameter') },
      { line: 15, path: 'cases[3].inputs.__proto__', message: proto('an artifact') },
    ]);
    // The same in a JSON suite, whose parser keeps __proto__ as a key too.
    const json = path.join(tmp, 'proto.json');
    writeFileSync(json, JSON.stringify({ suite: 'j', manifest: path.join(fixtures, 'baton.yaml'), cases: [{ name: 'j', goal: 'x' }] }).replace('"goal":"x"', '"goal":"x","expect":{"artifacts":{"__proto__":{"type":"object"}}}'));
    await expect(runEvalSuite(json)).rejects.toThrow(`cases[0].expect.artifacts.__proto__: ${proto('an artifact')}`);
  });

  it('reports a YAML syntax error with its line, and takes suite objects without lines', async () => {
    const syntax = await problems(['suite: s', 'cases:', '  - name: "open']);
    expect(syntax[0]?.message).toMatch(/^YAML syntax error/);
    const bad = { suite: 'o', cases: [{ name: 'o', goal: 'x', expect: { agents: 'hotels' } }] } as unknown as EvalSuiteInput;
    await expect(runEvalSuite(bad, { manifest: path.join(fixtures, 'baton.yaml') })).rejects.toThrow('(suite object): cases[0].expect.agents: expected a list, got "hotels"');
  });
});
