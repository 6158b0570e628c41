import { describe, expect, it } from 'vitest';
import { BatonError, ManifestError } from '../../src/core/errors.ts';
import { loadManifest, manifestFromObject, parseManifest } from '../../src/manifest/index.ts';
import { fixture, problemsOf, SMALL_MANIFEST } from './helpers.ts';

interface Expected {
  path: string;
  message: string;
  line: number;
}

const cases: { file: string; expected: Expected[] }[] = [
  {
    file: 'unknown-key.yaml',
    // The misspelt key is reported once, not also as a missing description.
    expected: [{ path: 'agents.data.descripton', message: 'unknown key "descripton" (did you mean "description"?)', line: 8 }],
  },
  {
    file: 'missing-subagent.yaml',
    expected: [{ path: 'orchestrator.subagents[1]', message: 'no agent named "analytic" under agents (did you mean "analytics"?)', line: 5 }],
  },
  {
    file: 'orchestrator-tools.yaml',
    expected: [{ path: 'orchestrator.tools', message: 'the orchestrator never calls tools', line: 6 }],
  },
  {
    file: 'cycle.yaml',
    expected: [
      { path: 'agents.analytics.consumes[0]', message: 'cycle: analytics consumes sales-dataset ← data consumes metrics ← analytics', line: 15 },
    ],
  },
  {
    file: 'bad-kind.yaml',
    expected: [{ path: 'agents.data.kind', message: 'expected one of module | command | llm | a2a, got "modul" (did you mean "module"?)', line: 10 }],
  },
  {
    file: 'command-string.yaml',
    expected: [{ path: 'agents.data.command', message: 'e.g. ["node", "agents/data.js", "--since", "2024-01-01"]', line: 11 }],
  },
  {
    file: 'missing-module.yaml',
    expected: [
      { path: 'orchestrator.integrator', message: `integrator file not found: ${fixture('bad/integrators/missing.ts')}`, line: 6 },
      { path: 'agents.data.module', message: `agent module file not found: ${fixture('bad/agents/missing.ts')}`, line: 12 },
    ],
  },
  {
    file: 'broken-schema.yaml',
    expected: [
      {
        path: 'agents.data.output.sales-dataset.schema',
        message: 'schema file ./schemas/broken.json is not a valid JSON Schema: schema is invalid: data/properties/rows/type',
        line: 13,
      },
      { path: 'agents.analytics.output.metrics.schema', message: 'schema file ./schemas/not-json.json cannot be parsed', line: 21 },
    ],
  },
  {
    // JSON.parse would keep the second "properties" and drop the first without a word.
    file: 'duplicate-schema-key.yaml',
    expected: [
      {
        path: 'agents.data.output.sales-dataset.schema',
        message: 'schema file ./schemas/duplicate-key.json cannot be parsed: Map keys must be unique at line 5, column 3',
        line: 13,
      },
    ],
  },
  {
    file: 'bad-model.yaml',
    expected: [{ path: 'orchestrator.model', message: 'expected provider:model (e.g. openai:gpt-4o-mini), got "gpt-4o"', line: 5 }],
  },
  {
    file: 'fallback-mismatch.yaml',
    expected: [{ path: 'agents.data.fallback[0]', message: 'fallback "data-lite" does not produce customers, which data produces', line: 12 }],
  },
  {
    file: 'kind-fields.yaml',
    expected: [
      { path: 'agents.data.url', message: 'url is only for agents of kind a2a, and this agent is kind module', line: 12 },
      { path: 'agents.analytics.tools', message: 'tools is only for agents of kind llm, and this agent is kind command', line: 19 },
    ],
  },
  {
    file: 'duplicate-agent.yaml',
    expected: [{ path: 'agents.data', message: '"data" is written twice under agents (first at line 8): each key once; rename or remove one', line: 13 }],
  },
  {
    file: 'syntax-error.yaml',
    expected: [
      { path: '', message: 'YAML syntax error: Nested mappings are not allowed in compact mappings', line: 8 },
      { path: '', message: 'YAML syntax error: Nested mappings are not allowed in compact mappings', line: 8 },
    ],
  },
];

describe('bad manifests are rejected with the field, what was expected and the line', () => {
  for (const { file, expected } of cases) {
    it(file, async () => {
      const path = fixture(`bad/${file}`);
      const problems = await problemsOf(loadManifest(path));
      expect(problems.map((p) => ({ path: p.path, line: p.line }))).toEqual(expected.map((e) => ({ path: e.path, line: e.line })));
      problems.forEach((problem, i) => {
        expect(problem.file).toBe(path);
        expect(problem.message).toContain(expected[i]?.message);
        expect(problem.column).toBeGreaterThan(0);
      });
    });
  }

  it('points a missing key at its parent and reports every problem at once, in line order', async () => {
    const path = fixture('bad/many-problems.yaml');
    const problems = await problemsOf(loadManifest(path));
    expect(problems.map((p) => `${p.line} ${p.path}`)).toEqual([
      '1 version',
      '5 orchestrator.subagents[3]',
      '6 orchestrator.deliverable[0]',
      '7 orchestrator.policy.maxParallel',
      '7 orchestrator.policy.retrys',
      '13 agents.data.command',
      '14 agents.analytics.description',
      '15 agents.analytics.consumes[0]',
      '18 agents.analytics.model',
      '24 agents.charts.url',
      '25 agents.Summary',
      '32 agents.Summary.output.reprot',
    ]);
    const message = (p: string) => problems.find((problem) => problem.path === p)?.message;
    expect(message('version')).toBe('expected 1, got number 2');
    expect(message('orchestrator.subagents[3]')).toContain('did you mean "Summary"?');
    expect(message('orchestrator.deliverable[0]')).toContain('produced only by Summary, which orchestrator.subagents does not list');
    expect(message('orchestrator.policy.maxParallel')).toBe('expected a number greater than 0, got number 0');
    expect(message('orchestrator.policy.retrys')).toBe('unknown key "retrys" (did you mean "retries"?)');
    expect(message('agents.analytics.description')).toBe('missing: expected a string');
    expect(message('agents.analytics.consumes[0]')).toContain('no sub-agent produces it (did you mean "sales-dataset"?)');
    expect(message('agents.charts.url')).toBe('expected an http(s) URL such as http://127.0.0.1:4100, got "ftp://charts.local"');
    expect(message('agents.Summary')).toContain('lower-case letters');
    expect(message('agents.Summary.output.reprot')).toContain('does not produce (produces: report) (did you mean "report"?)');
  });

  it('throws one ManifestError whose message lists every problem with file and line', async () => {
    const path = fixture('bad/kind-fields.yaml');
    const error = await loadManifest(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    expect(BatonError.isInstance(error)).toBe(true);
    const manifestError = error as ManifestError;
    expect(manifestError.code).toBe('MANIFEST_INVALID');
    expect(manifestError.retryable).toBe(false);
    expect(manifestError.details).toBe(manifestError.problems);
    expect(manifestError.message).toContain('invalid manifest (2 problems)');
    expect(manifestError.message).toContain(`${path}:12:5: agents.data.url: url is only for agents of kind a2a`);
  });

  it('says a manifest nests too deeply to be read, once, not as a syntax error and keys read twice', async () => {
    const problems = await problemsOf(small((lines) => [...lines.slice(0, 3), `  instructions: ${'['.repeat(5_000)}${']'.repeat(5_000)}`, ...lines.slice(3)]));
    expect(problems).toEqual([{ file: '/m/baton.yaml', path: '', line: 4, column: expect.any(Number) as unknown, message: 'the YAML nests lists and mappings too deeply to be read (thousands of levels)' }]);
  });

  it('tells the first 50 of many problems in its message and how many more; problems holds them all', async () => {
    const keys = Array.from({ length: 3_000 }, (_, i) => `  k${i}: 1`);
    const error = (await small((lines) => [lines[0]!, lines[1]!, ...keys, ...lines.slice(2)]).catch((e: unknown) => e)) as ManifestError;
    expect(error).toBeInstanceOf(ManifestError);
    expect(error.problems).toHaveLength(3_000);
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('invalid manifest (3000 problems):');
    expect(lines[1]).toMatch(/^  \/m\/baton\.yaml:3:3: orchestrator\.k0: unknown key "k0"/);
    expect(lines).toHaveLength(52);
    expect(lines[51]).toBe('  ... and 2950 more problems');
  });
});

/** Parses SMALL_MANIFEST with some lines replaced or added. */
function small(edit: (lines: string[]) => string[], env: Record<string, string> = {}) {
  return parseManifest(edit([...SMALL_MANIFEST]).join('\n'), { file: '/m/baton.yaml', baseDir: '/m', env });
}

describe('more rules', () => {
  it('accepts the small manifest the other cases edit', async () => {
    const manifest = await small((lines) => lines);
    expect(Object.keys(manifest.agents)).toEqual(['data', 'charts']);
  });

  it('names an unset environment variable once, not also the check the placeholder fails', async () => {
    const problems = await problemsOf(small((lines) => lines.map((l) => l.replace('http://127.0.0.1:4100', '${CHARTS_URL}'))));
    expect(problems).toEqual([
      {
        file: '/m/baton.yaml',
        path: 'agents.charts.url',
        message: 'environment variable CHARTS_URL is not set: set it, or write ${CHARTS_URL:-default} (or $${CHARTS_URL} for the literal text)',
        line: 17,
        column: 10,
      },
    ]);
  });

  it('reports a missing kind together with the problems of the common fields', async () => {
    const problems = await problemsOf(small((lines) => lines.filter((l) => l !== '    kind: a2a' && !l.includes('Draws charts'))));
    expect(problems.map((p) => [p.path, p.message, p.line])).toEqual([
      ['agents.charts.kind', 'missing: expected one of module | command | llm | a2a', 12],
      ['agents.charts.description', 'missing: expected a string', 12],
    ]);
  });

  it('lists the allowed keys when an unknown key is no near miss', async () => {
    const problems = await problemsOf(small((lines) => [...lines, 'extras: true']));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'extras', line: 18, message: 'unknown key "extras"; expected one of: $schema, version, orchestrator, agents, workflows' });
  });

  it('checks deliverables, duplicate sub-agents, self fallbacks and unknown fallbacks', async () => {
    const problems = await problemsOf(
      small((lines) =>
        lines
          .map((l) => l.replace('subagents: [data, charts]', 'subagents: [data, charts, data]'))
          .concat(['    fallback: [charts, chart]'])
          .toSpliced(5, 0, '  deliverable: [chart]'),
      ),
    );
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['orchestrator.subagents[2]', '"data" is listed twice'],
      ['orchestrator.deliverable[0]', '"chart" is in the deliverable but no sub-agent produces it (did you mean "charts"?)'],
      ['agents.charts.fallback[0]', 'an agent cannot be its own fallback: name another agent that produces the same artifacts'],
      ['agents.charts.fallback[1]', 'no agent named "chart" under agents (did you mean "charts"?)'],
    ]);
  });

  it('rejects an agent that consumes what only it produces as a cycle', async () => {
    const problems = await problemsOf(small((lines) => lines.map((l) => l.replace('consumes: [sales-dataset]', 'consumes: [sales-dataset, charts]'))));
    expect(problems.map((p) => [p.path, p.message])).toEqual([['agents.charts.consumes[1]', 'cycle: charts consumes charts ← charts']]);
  });

  it('checks the shape of llm tools', async () => {
    const llm = [
      '  writer:',
      '    description: Writes',
      '    produces: [text]',
      '    kind: llm',
      '    model: openai:gpt-4o-mini',
      '    tools:',
      '      - mcp: { command: [npx, server] }', // no name
      '      - { builtin: fetch, name: web }',
      '      - mcp: { command: [npx, server], url: "http://127.0.0.1:1" }',
      '        name: both',
      '      - { name: nothing }',
      '      - mcp: { command: [npx, server] }',
      '        name: files',
      '        allow: read_file',
    ];
    const problems = await problemsOf(small((lines) => [...lines, ...llm]));
    expect(problems.map((p) => [p.path, p.message, p.line])).toEqual([
      ['agents.writer.tools[0].name', 'missing: an mcp tool needs a name', 24],
      ['agents.writer.tools[1].name', 'a builtin tool is named by builtin: remove name', 25],
      ['agents.writer.tools[2].mcp', 'expected exactly one of command: [...] or url: http(s)://...', 26],
      ['agents.writer.tools[3]', 'expected a tool: { mcp: { command: [...] } or { url: ... }, name: ... } or { builtin: <name> }', 28],
      ['agents.writer.tools[4].allow', 'expected a list, got "read_file"', 31],
    ]);
  });

  it('suggests quoting a number where text is expected', async () => {
    const problems = await problemsOf(small((lines) => [...lines, '    env: { PORT: 8080 }']));
    expect(problems.map((p) => [p.path, p.message])).toEqual([['agents.charts.env.PORT', 'expected a string, got number 8080 (quote it to mean the text "8080")']]);
  });

  it('reports an empty file', async () => {
    const problems = await problemsOf(parseManifest('# nothing yet\n', { file: '/m/baton.yaml', baseDir: '/m' }));
    expect(problems).toEqual([{ file: '/m/baton.yaml', path: '', message: 'the manifest is empty: expected version: 1, orchestrator and agents' }]);
  });

  it('reports a JSON syntax error with its line', async () => {
    const problems = await problemsOf(parseManifest('{\n  "version": 1,\n  "agents": {\n}', { file: '/m/baton.json', baseDir: '/m' }));
    expect(problems[0]).toMatchObject({ path: '', line: 4 });
    expect(problems[0]?.message).toContain('YAML syntax error');
  });

  it('reports a broken inline schema', async () => {
    const problems = await problemsOf(small((lines) => [...lines, '    output:', '      charts: { schema: { type: object, requird: [title] } }']));
    expect(problems.map((p) => [p.path, p.message, p.line])).toEqual([
      ['agents.charts.output.charts.schema', 'the inline schema is not a valid JSON Schema: strict mode: unknown keyword: "requird"', 19],
    ]);
  });

  it('reports problems of an object manifest without lines', async () => {
    const problems = await problemsOf(
      manifestFromObject(
        { version: 1, orchestrator: { name: 'o', description: 'd', subagents: ['a'] }, agents: { a: { kind: 'command', description: 'x', produces: ['y'], command: 'run' } } },
        { baseDir: '/m' },
      ),
    );
    expect(problems).toEqual([
      {
        file: '(manifest object)',
        path: 'agents.a.command',
        message: 'expected a list of strings (program and arguments), e.g. ["run"], got the string "run"',
      },
    ]);
  });
});

describe("a module agent's process and its memory bound", () => {
  const modules = fixture('../agents/modules');
  const withModule = (...keys: string[]) =>
    parseManifest([...SMALL_MANIFEST.slice(0, 9), '    kind: module', '    module: ./tricky.ts', ...keys.map((k) => `    ${k}`), ...SMALL_MANIFEST.slice(11)].join('\n'), { file: `${modules}/baton.yaml`, baseDir: modules });

  it('takes isolation: process with a maxMemoryMb', async () => {
    const manifest = await withModule('isolation: process', 'maxMemoryMb: 256');
    expect(manifest.agents['data']).toMatchObject({ kind: 'module', isolation: 'process', maxMemoryMb: 256 });
  });

  it('refuses a maxMemoryMb without isolation: process, or under 32 MB, with the line of the field', async () => {
    for (const isolation of [[], ['isolation: thread'], ['isolation: none']]) {
      expect(await problemsOf(withModule(...isolation, 'maxMemoryMb: 256'))).toEqual([
        { file: `${modules}/baton.yaml`, path: 'agents.data.maxMemoryMb', line: 12 + isolation.length, column: 18, message: expect.stringMatching(/^needs isolation: process: a limit on a worker thread's heap would not protect Baton/) },
      ]);
    }
    expect(await problemsOf(withModule('isolation: process', 'maxMemoryMb: 16'))).toEqual([
      { file: `${modules}/baton.yaml`, path: 'agents.data.maxMemoryMb', line: 13, column: 18, message: 'expected a number at least 32, got number 16' },
    ]);
  });
});
