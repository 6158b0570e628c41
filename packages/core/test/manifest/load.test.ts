import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import { defineManifest, loadManifest, manifestFromObject, parseManifest } from '../../src/manifest/index.ts';
import { compileJsonSchema } from '../../src/manifest/index.ts';
import { fixture, SMALL_MANIFEST } from './helpers.ts';

const env = { CHARTS_URL: 'http://127.0.0.1:4100' };
const validYaml = fixture('valid/baton.yaml');
const validDir = dirname(validYaml);

describe('loadManifest on a valid manifest with one agent of each kind', () => {
  it('records where the manifest came from', async () => {
    const manifest = await loadManifest(validYaml, { env });
    expect(manifest.version).toBe(1);
    expect(manifest.file).toBe(validYaml);
    expect(manifest.baseDir).toBe(validDir);
    expect(Object.keys(manifest.agents)).toEqual(['data', 'data-replica', 'analytics', 'charts', 'summary']);
  });

  it('fills the policy defaults around the values written', async () => {
    const { orchestrator } = await loadManifest(validYaml, { env });
    expect(orchestrator.policy).toStrictEqual({
      maxParallel: 2,
      retries: 2,
      taskTimeoutMs: 60_000,
      runTimeoutMs: 600_000,
      maxOutputBytes: 16 * 1024 * 1024,
      backoff: { initialDelayMs: 200, factor: 3, maxDelayMs: 5000, jitter: 0.2 },
      maxReplans: 1,
    });
    expect(orchestrator.model).toBe('openai:gpt-4o-mini');
    expect(orchestrator.instructions).toContain('extraction, analysis');
    expect(orchestrator.integrator).toBe(join(validDir, 'integrators/report.ts'));
  });

  it('resolves a module agent to an absolute path and keeps the agent fields', async () => {
    const { agents } = await loadManifest(validYaml, { env });
    expect(agents['data']).toMatchObject({
      name: 'data',
      kind: 'module',
      module: join(validDir, 'agents/data.ts'),
      version: '1.0.0',
      capabilities: ['data extraction', 'sql', 'sales'],
      consumes: [],
      produces: ['sales-dataset'],
      fallback: ['data-replica'],
      timeoutMs: 30_000,
      retries: 1,
      baseDir: validDir,
    });
  });

  it('applies agent defaults and leaves optional fields absent rather than undefined', async () => {
    const manifest = await loadManifest(validYaml, { env });
    const replica = manifest.agents['data-replica'];
    expect(replica).toStrictEqual({
      name: 'data-replica',
      description: 'Reads the same sales data from the read replica',
      version: '0.0.0',
      capabilities: [],
      consumes: [],
      produces: ['sales-dataset'],
      kind: 'command',
      command: ['node', 'agents/replica.js'],
      env: { REPLICA_URL: 'postgres://replica.local/sales' },
      output: {},
      fallback: [],
      baseDir: validDir,
    });
    expect(JSON.parse(JSON.stringify(manifest))).toStrictEqual(manifest);
  });

  it('loads artifact schemas from JSON, YAML and inline, keeping where each came from', async () => {
    const { agents } = await loadManifest(validYaml, { env });
    const dataset = agents['data']?.output['sales-dataset'];
    expect(dataset?.schemaPath).toBe(join(validDir, 'schemas/dataset.json'));
    expect(dataset?.schema).toStrictEqual(JSON.parse(await readFile(join(validDir, 'schemas/dataset.json'), 'utf8')));

    const metrics = agents['analytics']?.output['metrics'];
    expect(metrics?.schemaPath).toBe(join(validDir, 'schemas/metrics.yaml'));
    expect(metrics?.schema?.['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(metrics?.checks).toStrictEqual([{ rubric: 'Every metric names its unit' }]);

    const report = agents['summary']?.output['report'];
    expect(report).toStrictEqual({
      schema: { type: 'object', required: ['title'], properties: { title: { type: 'string' } } },
    });
  });

  it('gives schemas that validate the fixture agent output', async () => {
    const { agents } = await loadManifest(validYaml, { env });
    const agentModule = (await import(agents['data']?.module ?? '')) as { default: (input: { goal: string }) => Record<string, unknown> };
    const output = agentModule.default({ goal: 'Q2 sales' });
    const validate = compileJsonSchema(agents['data']?.output['sales-dataset']?.schema ?? {});
    expect(validate(output['sales-dataset'])).toBe(true);
    expect(validate({ rows: [{ region: 'north' }] })).toBe(false);
  });

  it('maps llm tools to ToolSpecs and keeps a2a urls from the environment', async () => {
    const { agents } = await loadManifest(validYaml, { env });
    expect(agents['summary']).toMatchObject({ kind: 'llm', model: 'anthropic:claude-3-5-haiku', instructions: 'Write a one-page report.' });
    expect(agents['summary']?.tools).toStrictEqual([
      { kind: 'mcp', name: 'files', command: ['npx', 'files-mcp-server'], allow: ['read_file'] },
      { kind: 'mcp', name: 'search', url: 'http://127.0.0.1:4200/mcp' },
      { kind: 'builtin', name: 'fetch', options: { maxBytes: 100000 } },
    ]);
    expect(agents['charts']).toMatchObject({ kind: 'a2a', url: 'http://127.0.0.1:4100' });
  });

  it('reads process.env when no env is given', async () => {
    const before = process.env['CHARTS_URL'];
    process.env['CHARTS_URL'] = 'https://charts.example.com';
    try {
      const { agents } = await loadManifest(validYaml);
      expect(agents['charts']?.url).toBe('https://charts.example.com');
    } finally {
      if (before === undefined) delete process.env['CHARTS_URL'];
      else process.env['CHARTS_URL'] = before;
    }
  });

  it('loads a JSON manifest the same way', async () => {
    const manifest = await loadManifest(fixture('valid/baton.json'));
    expect(manifest.orchestrator.deliverable).toEqual(['sales-dataset']);
    expect(manifest.agents['data']?.module).toBe(join(validDir, 'agents/data.ts'));
    expect(manifest.agents['data']?.output['sales-dataset']?.schemaPath).toBe(join(validDir, 'schemas/dataset.json'));
  });

  it('reads baton.yaml when given its folder', async () => {
    const manifest = await loadManifest(validDir, { env });
    expect(manifest.file).toBe(validYaml);
  });
});

describe('loadManifest on a missing file', () => {
  it('throws MANIFEST_NOT_FOUND naming the path', async () => {
    const missing = fixture('valid/nope.yaml');
    const error = await loadManifest(missing).catch((e: unknown) => e);
    expect(BatonError.isInstance(error)).toBe(true);
    expect((error as BatonError).code).toBe('MANIFEST_NOT_FOUND');
    expect((error as BatonError).retryable).toBe(false);
    expect((error as BatonError).message).toContain(missing);
  });
});

describe('manifests written in code', () => {
  it('validates an object like the same manifest in a file, without mutating it', async () => {
    const object = parseYaml(await readFile(validYaml, 'utf8')) as unknown;
    const copy = structuredClone(object);
    const fromObject = await manifestFromObject(object, { baseDir: validDir, env });
    const { file: _file, ...fromFile } = await loadManifest(validYaml, { env });
    expect(fromObject).toStrictEqual(fromFile);
    expect(object).toStrictEqual(copy);
  });

  it('accepts a defineManifest object and records the given file', async () => {
    const manifest = await manifestFromObject(
      defineManifest({
        version: 1,
        orchestrator: { name: 'mini', description: 'One agent', subagents: ['echo'], deliverable: ['echo'] },
        agents: { echo: { kind: 'command', description: 'Echoes', produces: ['echo'], command: ['cat'] } },
      }),
      { baseDir: validDir, file: join(validDir, 'manifest.ts') },
    );
    expect(manifest.file).toBe(join(validDir, 'manifest.ts'));
    expect(manifest.orchestrator.policy.maxParallel).toBe(4);
    expect(manifest.agents['echo']).toMatchObject({ kind: 'command', command: ['cat'], version: '0.0.0' });
  });
});

describe('relative paths', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('resolve against the manifest folder, not the working directory', async () => {
    dir = await mkdtemp(join(tmpdir(), 'baton-manifest-'));
    await writeFile(join(dir, 'agent.ts'), 'export default () => ({ "sales-dataset": {} });\n');
    await writeFile(join(dir, 'dataset.json'), '{ "type": "object" }\n');
    const text = SMALL_MANIFEST.map((line) => line.replace('kind: command', 'kind: module').replace('command: [node, data.js]', 'module: agent.ts'))
      .concat(['    output:', '      charts: { schema: dataset.json }'])
      .join('\n');
    await writeFile(join(dir, 'baton.yaml'), text);
    const manifest = await loadManifest(join(dir, 'baton.yaml'));
    expect(manifest.agents['data']?.module).toBe(join(dir, 'agent.ts'));
    expect(manifest.agents['charts']?.output['charts']?.schemaPath).toBe(join(dir, 'dataset.json'));
  });

  it('parseManifest takes the folder from its options', async () => {
    const manifest = await parseManifest(SMALL_MANIFEST.join('\n'), { file: '/somewhere/baton.yaml', baseDir: '/somewhere' });
    expect(manifest.baseDir).toBe('/somewhere');
    expect(manifest.agents['data']?.baseDir).toBe('/somewhere');
  });
});
