import { describe, expect, it } from 'vitest';
import { stemsOf } from '../../src/planning/text-match.ts';
import { editDistance, TypoCorrector } from '../../src/planning/typo-match.ts';

const corrector = new TypoCorrector(['summary', 'charts', 'chart', 'report', 'revenue', 'analysis', 'recommendations', 'read', 'parts'].map((w) => [w, stemsOf(w)[0] ?? w] as const));

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent transpositions as one edit each', () => {
    expect(editDistance('summary', 'summary')).toBe(0);
    expect(editDistance('sumary', 'summary')).toBe(1);
    expect(editDistance('chrats', 'charts')).toBe(1);
    expect(editDistance('revnue', 'revenue')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('stops once past the limit', () => {
    expect(editDistance('abcdefgh', 'zyxwvuts', 2)).toBe(3);
    expect(editDistance('a', 'abcdef', 2)).toBe(3);
  });
});

describe('TypoCorrector', () => {
  it('reads a word one edit away as the manifest word', () => {
    expect(corrector.correct('sumary')).toBe('summary');
    expect(corrector.correct('chrats')).toBe('charts');
    expect(corrector.correct('reprot')).toBe('report');
    expect(corrector.correct('anaylsis')).toBe('analysis');
  });

  it('allows two edits from ten letters', () => {
    expect(corrector.correct('recomendation')).toBe('recommendations');
  });

  it('leaves known, short, numeric and distant words alone', () => {
    expect(corrector.correct('summary')).toBeUndefined();
    expect(corrector.correct('cats')).toBeUndefined();
    expect(corrector.correct('q2-2026')).toBeUndefined();
    expect(corrector.correct('banana')).toBeUndefined();
  });

  it('does not change the first letter', () => {
    expect(corrector.correct('bread')).toBeUndefined();
    expect(corrector.correct('preport')).toBeUndefined();
  });

  it('does not guess between two different words equally close', () => {
    const tied = new TypoCorrector([
      ['matter', 'matter'],
      ['mutter', 'mutter'],
    ]);
    expect(tied.correct('mattter')).toBe('matter');
    expect(tied.correct('motter')).toBeUndefined();
  });
});
