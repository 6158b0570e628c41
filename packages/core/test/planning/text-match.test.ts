import { describe, expect, it } from 'vitest';
import { GoalWords, stemsOf, tokenize } from '../../src/planning/text-match.ts';

describe('tokenize', () => {
  it('case-folds, splits on non-letters, drops stop words and keeps the written word', () => {
    expect(tokenize('Just the CHARTS for Q2!')).toEqual([
      { stem: 'chart', word: 'charts' },
      { stem: 'q2', word: 'q2' },
    ]);
  });

  it('makes plurals and singulars meet', () => {
    expect(stemsOf('charts summaries itineraries')).toEqual(stemsOf('chart summary itinerary'));
  });

  it('splits artifact names on - and _', () => {
    expect(stemsOf('sales-dataset')).toEqual(['sale', 'dataset']);
    expect(stemsOf('sales_dataset')).toEqual(['sale', 'dataset']);
  });

  it('gives nothing for a text of stop words only', () => {
    expect(tokenize('what is it for?')).toEqual([]);
  });
});

describe('GoalWords', () => {
  const goal = new GoalWords('Create the Q2 sales performance report with charts');

  it('answers membership by stem', () => {
    expect(goal.has('chart')).toBe(true);
    expect(goal.has('summari')).toBe(false);
  });

  it('requires every word for hasAll and is false for an empty phrase', () => {
    expect(goal.hasAll(stemsOf('sales charts'))).toBe(true);
    expect(goal.hasAll(stemsOf('sales summary'))).toBe(false);
    expect(goal.hasAll([])).toBe(false);
  });

  it('quotes the goal’s own spelling of matched stems', () => {
    expect(goal.quote(['sale', 'chart', 'summari'])).toBe("'sales', 'charts'");
  });
});
