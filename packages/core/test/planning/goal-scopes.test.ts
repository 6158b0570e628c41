import { describe, expect, it } from 'vitest';
import { readScopes } from '../../src/planning/goal-scopes.ts';
import { indexManifest } from '../../src/planning/manifest-index.ts';
import { salesManifest } from './fixtures.ts';

const vocabulary = indexManifest(salesManifest()).vocabulary;
const read = (goal: string) => readScopes(goal, vocabulary);
const words = (tokens: readonly { word: string }[]): string[] => tokens.map((t) => t.word);

describe('readScopes', () => {
  it('keeps a goal without cues entirely positive', () => {
    const r = read('Q2 revenue by region');
    expect(words(r.positive)).toEqual(['q2', 'revenue', 'region']);
    expect(r.excluded).toEqual([]);
    expect(r.only).toEqual([]);
  });

  it.each([
    ['Q2 revenue by region, no summary', ['summary']],
    ['report without charts', ['charts']],
    ['everything except the executive summary for H1', ['executive', 'summary']],
    ['full report but skip the summary', ['summary']],
    ['Q3 report, no charts or summary', ['charts', 'summary']],
    ["Q2 report, don't include charts", ['charts']],
    ['report, leave out the charts', ['charts']],
    ['charts rather than a summary', ['summary']],
    ['charts instead of the summary', ['summary']],
    ['all but the charts', ['charts']],
    ['no need for a summary', ['summary']],
    ['the metrics, minus charts and summary', ['charts', 'summary']],
    ['Q2 charts, summary not needed', ['summary']],
    ['metrics w/o charts', ['charts']],
  ])('reads %j as excluding %j', (goal, excluded) => {
    const r = read(goal);
    expect(r.excluded.map(words)).toEqual([excluded]);
    for (const w of excluded) expect(words(r.positive)).not.toContain(w);
  });

  it('ends an exclusion at a preposition, a time expression, a request verb or a contrast', () => {
    expect(words(read('no summary for Q2 revenue').positive)).toEqual(['q2', 'revenue']);
    expect(words(read('no summary Q2 revenue').positive)).toEqual(['q2', 'revenue']);
    expect(words(read('without the summary, give me charts').positive)).toEqual(['give', 'charts']);
    expect(words(read('no summary but charts').positive)).toEqual(['charts']);
  });

  it('reads one exclusion scope per negation', () => {
    expect(read('no charts, no summary').excluded.map(words)).toEqual([['charts'], ['summary']]);
  });

  it.each([
    ['just the charts for Q2', ['charts']],
    ['only the metrics', ['metrics']],
    ['I just want the charts and the summary', ['charts', 'summary']],
    ['summary only, please', ['summary']],
    ['the charts alone', ['charts']],
    ['nothing but charts', ['charts']],
  ])('reads %j as asking only for %j', (goal, only) => {
    const r = read(goal);
    expect(r.only.map(words)).toEqual([only]);
    for (const w of only) expect(words(r.positive)).toContain(w);
  });

  it('records the addition words and the first "about"', () => {
    const r = read('report with charts and a summary about Q2');
    expect(r.additions).toEqual([1, 3]);
    expect(r.about).toBe(6);
  });

  it('reads misspelt words as the manifest words they are one edit from, and says so', () => {
    const r = read('executive sumary, no chrats');
    expect(words(r.positive)).toEqual(['executive', 'summary']);
    expect(r.excluded.map(words)).toEqual([['charts']]);
    expect(r.corrections).toEqual([
      ['sumary', 'summary'],
      ['chrats', 'charts'],
    ]);
  });
});
