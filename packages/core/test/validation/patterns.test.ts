/**
 * JSON Schema `pattern`s come from manifests, which Baton does not trust: they are matched in time
 * linear in the text (RE2), so a pattern like ^(a+)+$ cannot hold the process; a pattern RE2
 * cannot run (backreferences, lookaround) is refused at load, naming the file, the field and the pattern.
 */
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest/index.ts';
import { checkOutput } from '../../src/validation/output-validator.ts';
import { compileSchema } from '../../src/validation/schema-compiler.ts';
import type { AgentSpec } from '../../src/core/types.ts';
import { problemsOf } from '../manifest/helpers.ts';

// With a backtracking engine this text takes about 20 s against ^(a+)+$ (it doubles with each
// 'a'), and nothing can interrupt it: the bound below is three orders of magnitude above RE2's time.
const EVIL_TEXT = `${'a'.repeat(28)}!`;
const BLOCKING_MS = 1_000;

function timed<T>(work: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = work();
  return { value, ms: performance.now() - started };
}

describe('schema patterns', () => {
  it('match in linear time: an exponential pattern does not hold the process (pattern)', () => {
    const validate = compileSchema({ type: 'string', pattern: '^(a+)+$' });
    const { value, ms } = timed(() => validate(EVIL_TEXT));
    expect(value).toBe(false);
    expect(ms).toBeLessThan(BLOCKING_MS);
    expect(validate('aaaa')).toBe(true);
  });

  it('match in linear time: an exponential pattern does not hold the process (patternProperties, draft 2020-12)', () => {
    const spec: AgentSpec = {
      name: 'a', description: 'd', version: '1', capabilities: [], consumes: [], produces: ['x'], kind: 'code', fallback: [],
      output: { x: { schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', patternProperties: { '^(a+)+$': { type: 'number' } } } } },
    };
    const { value, ms } = timed(() => checkOutput(spec, ['x'], { x: { [EVIL_TEXT]: 'not checked', aaa: 'a string' } }));
    expect(ms).toBeLessThan(BLOCKING_MS);
    expect(value).toEqual({ ok: false, problems: ["artifact 'x': /aaa must be number"] });
  });

  it('keep their JavaScript meaning for what RE2 can run', () => {
    const validate = compileSchema({
      type: 'object',
      properties: {
        code: { type: 'string', pattern: '^\\d{3}-[A-Z]+$' },
        year: { type: 'string', pattern: '^(?<year>\\d{4})$' },
        word: { type: 'string', pattern: '^\\p{Lu}\\p{Ll}+$' },
        escaped: { type: 'string', pattern: '^\\u00e9/\\x41$' },
      },
    });
    expect(validate({ code: '123-AB', year: '2024', word: 'Émile', escaped: 'é/A' })).toBe(true);
    expect(validate({ code: '12-AB' })).toBe(false);
    expect(validate({ word: 'émile' })).toBe(false);
  });

  it.each([
    ['a backreference', '^(a)\\1$'],
    ['a named backreference', '^(?<x>a)\\k<x>$'],
    ['a lookahead', '^(?!admin)\\w+$'],
    ['a lookbehind', '(?<=\\$)\\d+'],
  ])('are refused at load when RE2 cannot run them (%s), naming the file, the field and the pattern', async (_, pattern) => {
    const yaml = [
      'version: 1',
      'orchestrator: { name: o, description: d, subagents: [data] }',
      'agents:',
      '  data:',
      '    description: Extracts data',
      '    produces: [dataset]',
      '    kind: command',
      '    command: [node, data.js]',
      '    output:',
      '      dataset:',
      `        schema: { type: object, properties: { name: { type: string, pattern: ${JSON.stringify(pattern)} } } }`,
    ].join('\n');
    const problems = await problemsOf(parseManifest(yaml, { file: '/m/baton.yaml', baseDir: '/m' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: '/m/baton.yaml', path: 'agents.data.output.dataset.schema', line: 11 });
    expect(problems[0]?.message).toContain(`the pattern ${JSON.stringify(pattern)} at /properties/name/pattern cannot be used`);
    expect(problems[0]?.message).toMatch(/no lookahead, lookbehind or backreferences/);
  });

  it('are still refused when they are not valid JavaScript patterns', () => {
    expect(() => compileSchema({ type: 'string', pattern: '^\\q(' })).toThrow(/pattern/);
  });
});
