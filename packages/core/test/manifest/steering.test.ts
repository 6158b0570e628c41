import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest/index.ts';
import { problemsOf, SMALL_MANIFEST } from './helpers.ts';

const parse = (lines: string[]) => parseManifest(lines.join('\n'), { file: '/p/baton.yaml', baseDir: '/p' });

/** The small manifest with lines added under `orchestrator:`. */
const withOrchestrator = (...lines: string[]): string[] => [...SMALL_MANIFEST.slice(0, 5), ...lines, ...SMALL_MANIFEST.slice(5)];

describe('orchestrator.params in a manifest', () => {
  it('loads a parameters schema', async () => {
    const m = await parse(withOrchestrator('  params:', '    type: object', '    properties: { city: { type: string } }'));
    expect(m.orchestrator.params).toEqual({ type: 'object', properties: { city: { type: 'string' } } });
  });

  it('refuses a schema that is not of type object, naming the file, line and field', async () => {
    const problems = await problemsOf(parse(withOrchestrator('  params:', '    type: string')));
    expect(problems).toEqual([
      expect.objectContaining({ file: '/p/baton.yaml', path: 'orchestrator.params.type', line: 7, message: expect.stringContaining('expected type: object') as unknown }),
    ]);
  });

  it('refuses a default its own property schema refuses, naming the file, line and field', async () => {
    const problems = await problemsOf(
      parse(withOrchestrator('  params:', '    type: object', '    properties:', '      days: { type: integer, default: three }', '      range:', '        type: object', '        properties: { from: { type: string, minLength: 4, default: "1" } }')),
    );
    expect(problems).toEqual([
      expect.objectContaining({ file: '/p/baton.yaml', path: 'orchestrator.params.properties.days.default', line: 9, message: 'the default "three" does not fit its own schema (must be integer): every run that leaves "days" out would fail' }),
      expect.objectContaining({ path: 'orchestrator.params.properties.range.properties.from.default', message: expect.stringContaining('(must NOT have fewer than 4 characters)') as unknown }),
    ]);
  });

  it('refuses a required parameter not declared under properties of a closed schema, but not of one that lets others in', async () => {
    const problems = await problemsOf(parse(withOrchestrator('  params:', '    type: object', '    required: [city, ghost]', '    properties: { city: { type: string }, host: { type: string } }')));
    expect(problems).toEqual([
      expect.objectContaining({
        file: '/p/baton.yaml',
        path: 'orchestrator.params.required[1]',
        line: 8,
        message: '"ghost" is required but not declared under properties (did you mean "host"?), so it would be refused as an unknown parameter and no run could start; the parameters are: city, host',
      }),
    ]);
    const open = await parse(withOrchestrator('  params:', '    type: object', '    required: [ghost]', '    additionalProperties: { type: integer }'));
    expect(open.orchestrator.params?.['required']).toEqual(['ghost']);
  });

  it('refuses a schema that does not compile', async () => {
    const problems = await problemsOf(parse(withOrchestrator('  params:', '    type: object', '    properties: { days: { type: integr } }')));
    expect(problems).toEqual([expect.objectContaining({ path: 'orchestrator.params', message: expect.stringContaining('not a valid JSON Schema') as unknown })]);
  });

  it('loads a schema that nests itself through its root ($ref "#")', async () => {
    const m = await parse(withOrchestrator('  params:', '    type: object', '    properties: { name: { type: string }, sub: { $ref: "#" } }'));
    expect(m.orchestrator.params?.['properties']).toEqual({ name: { type: 'string' }, sub: { $ref: '#' } });
  });

  it('says so of a schema whose $ref references name only each other, rather than that the stack overflowed', async () => {
    const problems = await problemsOf(parse(withOrchestrator('  params:', '    type: object', '    $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } }', '    $ref: "#/$defs/a"')));
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'orchestrator.params',
        message: 'not a valid JSON Schema: the schema cannot be compiled: its $ref references go round in a cycle that reaches no schema (as #/$defs/a → #/$defs/b → #/$defs/a), or it nests too deeply',
      }),
    ]);
  });
});

/** The small manifest (data → charts) with a workflows: section. */
const withWorkflows = (...lines: string[]): string[] => [...SMALL_MANIFEST, 'workflows:', ...lines];

describe('workflows in a manifest', () => {
  it('loads a workflow as a complete plan, consumes, produces and dependsOn derived from the agents', async () => {
    const m = await parse(withWorkflows('  both:', '    description: Data then charts', '    tasks:', '      - { id: c, agent: charts }', '      - { id: d, agent: data }'));
    expect(m.workflows?.['both']).toEqual({
      name: 'both',
      description: 'Data then charts',
      plan: {
        tasks: [
          { id: 'c', title: 'Draws charts', instructions: '', agent: 'charts', dependsOn: ['d'], consumes: ['sales-dataset'], produces: ['charts'] },
          { id: 'd', title: 'Extracts sales data', instructions: '', agent: 'data', dependsOn: [], consumes: [], produces: ['sales-dataset'] },
        ],
      },
    });
  });

  it('names the workflow, the task and its line for a plan that could not run', async () => {
    const problems = await problemsOf(parse(withWorkflows('  both:', '    tasks:', '      - { id: d, agent: dta }', '      - { id: c, agent: charts }')));
    expect(problems).toEqual([
      expect.objectContaining({ path: 'workflows.both.tasks[0]', line: 21, message: expect.stringContaining('task "d" uses agent "dta", which the manifest does not define') as unknown }),
      expect.objectContaining({ path: 'workflows.both.tasks[1]', line: 22, message: expect.stringContaining('task "c" consumes "sales-dataset", but no task it depends on') as unknown }),
    ]);
  });

  it('names shape problems of a workflow task, and a bad workflow name', async () => {
    const problems = await problemsOf(parse(withWorkflows('  Both:', '    tasks:', '      - { id: d, agnt: data }')));
    // The misspelt key is reported once, not also as a missing agent.
    expect(problems.map((p) => p.path)).toEqual(['workflows.Both', 'workflows.Both.tasks[0].agnt']);
    expect(problems[1]?.message).toBe('unknown key "agnt" (did you mean "agent"?)');
  });
});

describe('approval in a manifest', () => {
  it('loads policy.approval, policy.approvalTimeoutMs and an agent approval: required', async () => {
    const lines = withOrchestrator('  policy: { approval: plan, approvalTimeoutMs: 60000 }');
    lines.splice(lines.indexOf('    kind: command'), 0, '    approval: required');
    const m = await parse(lines);
    expect(m.orchestrator.policy).toMatchObject({ approval: 'plan', approvalTimeoutMs: 60000 });
    expect(m.agents['data']?.approval).toBe('required');
  });

  it('names a wrong approval value and what was expected', async () => {
    const problems = await problemsOf(parse(withOrchestrator('  policy: { approval: tasks }')));
    expect(problems).toEqual([expect.objectContaining({ path: 'orchestrator.policy.approval', message: 'expected one of none | plan, got "tasks"' })]);
  });
});
