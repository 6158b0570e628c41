import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/manifest/findings.ts';
import { interpolateEnv } from '../../src/manifest/interpolate.ts';

function run(value: unknown, env: Record<string, string | undefined>) {
  const findings: Finding[] = [];
  return { value: interpolateEnv(value, env, findings), findings };
}

describe('interpolateEnv', () => {
  it('replaces ${VAR} in strings anywhere in the tree, leaving keys and other values alone', () => {
    const { value, findings } = run({ a: 'http://${HOST}:${PORT}/x', list: ['${HOST}', 3, true, null], '${HOST}': 'key' }, { HOST: 'h', PORT: '80' });
    expect(value).toStrictEqual({ a: 'http://h:80/x', list: ['h', 3, true, null], '${HOST}': 'key' });
    expect(findings).toEqual([]);
  });

  it('uses the default when the variable is unset or empty, as a shell does', () => {
    expect(run('${A:-one}/${B:-two}/${C:-}', { A: '', C: undefined }).value).toBe('one/two/');
    expect(run('${A:-one}', { A: 'set' }).value).toBe('set');
  });

  it('keeps an empty variable without default empty', () => {
    expect(run('[${A}]', { A: '' })).toEqual({ value: '[]', findings: [] });
  });

  it('reports each unset variable with the field path', () => {
    const { value, findings } = run({ agents: { charts: { url: '${CHARTS_URL}', env: ['${TOKEN}'] } } }, {});
    expect(value).toStrictEqual({ agents: { charts: { url: '${CHARTS_URL}', env: ['${TOKEN}'] } } });
    expect(findings.map((f) => [f.path, f.message.split(':')[0]])).toEqual([
      [['agents', 'charts', 'url'], 'environment variable CHARTS_URL is not set'],
      [['agents', 'charts', 'env', 0], 'environment variable TOKEN is not set'],
    ]);
  });

  it('writes $${VAR} as the literal text ${VAR}', () => {
    expect(run('use $${NAME} in prompts, not ${NAME}', { NAME: 'x' }).value).toBe('use ${NAME} in prompts, not x');
  });

  it('leaves text that is not a placeholder as written', () => {
    expect(run('cost: $5, ${not a var}, ${', {}).value).toBe('cost: $5, ${not a var}, ${');
  });
});
