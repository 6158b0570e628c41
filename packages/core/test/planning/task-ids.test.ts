import { describe, expect, it } from 'vitest';
import { slug, taskId, verbOf } from '../../src/planning/task-ids.ts';

describe('verbOf', () => {
  it.each([
    ['Extracts and prepares sales data', 'extract'],
    ['Computes metrics', 'compute'],
    ['Writes an executive summary', 'write'],
    ['Fetches prices', 'fetch'],
    ['Applies discounts', 'apply'],
    ['Processes orders', 'process'],
    ['Analyses trends', 'analyse'],
    ['Forecasts the weather', 'forecast'],
    ['Extract the data', 'extract'],
  ])('%s → %s', (description, verb) => {
    expect(verbOf(description)).toBe(verb);
  });

  it.each([[''], ['   '], ['42 things'], ['The agent that finds hotels'], ['A tool']])(
    'falls back to "make" for %j',
    (description) => {
      expect(verbOf(description)).toBe('make');
    },
  );
});

describe('taskId', () => {
  it('reads t<n>-<verb>-<artifact>', () => {
    expect(taskId(1, 'extract', 'sales-dataset')).toBe('t1-extract-sales-dataset');
    expect(taskId(12, 'write', 'summary')).toBe('t12-write-summary');
  });

  it('turns any artifact name into a valid id segment', () => {
    expect(taskId(2, 'make', 'Sales_Data.v2')).toBe('t2-make-sales-data-v2');
    expect(slug('---')).toBe('output');
  });
});
