import { describe, expect, it } from 'vitest';
import { closest, describeValue, formatPath } from '../../src/manifest/describe.ts';

describe('closest', () => {
  it('finds typos: a missing, extra, wrong or swapped letter, or another case', () => {
    const keys = ['description', 'produces', 'consumes', 'fallback'];
    expect(closest('descripton', keys)).toBe('description');
    expect(closest('producess', keys)).toBe('produces');
    expect(closest('cosnumes', keys)).toBe('consumes');
    expect(closest('Fallback', keys)).toBe('fallback');
  });

  it('offers nothing for unrelated words or for the word itself', () => {
    expect(closest('timeout', ['description', 'produces'])).toBeUndefined();
    expect(closest('llm', ['llm'])).toBeUndefined();
    expect(closest('a2', ['llm', 'a2a'])).toBe('a2a');
  });
});

describe('formatPath and describeValue', () => {
  it('writes keys dotted and indices in brackets', () => {
    expect(formatPath(['agents', 'data', 'output', 'sales-dataset', 'schema'])).toBe('agents.data.output.sales-dataset.schema');
    expect(formatPath(['orchestrator', 'subagents', 1])).toBe('orchestrator.subagents[1]');
    expect(formatPath([])).toBe('');
  });

  it('describes what was found', () => {
    expect([undefined, null, 'x', 2, false, [], [1, 2], {}].map(describeValue)).toEqual([
      'nothing',
      'an empty value',
      '"x"',
      'number 2',
      'boolean false',
      'an empty list',
      'a list of 2',
      'a mapping',
    ]);
  });
});
