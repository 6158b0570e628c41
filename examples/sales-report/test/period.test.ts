import { describe, expect, it } from 'vitest';
import { labelOf, parsePeriodRequest, periodRequestFor } from '../lib/period.ts';
import type { Coverage, PeriodRequest } from '../lib/period.ts';

const COVERAGE: Coverage = { start: '2023-01-01', end: '2026-09-30' };
const parse = (goal: string, coverage: Coverage = COVERAGE): PeriodRequest => parsePeriodRequest(goal, coverage);
const range = (r: PeriodRequest): string => `${r.current.start}..${r.current.end}`;
const comparisons = (r: PeriodRequest): string[] => r.comparisons.map((p) => `${p.tag}:${p.label}`);

describe('period parser: quarters', () => {
  it.each([
    ['Q2 2026 sales report', 'Q2 2026', '2026-04-01..2026-06-30'],
    ['Q1 2025 sales report by region', 'Q1 2025', '2025-01-01..2025-03-31'],
    ['q4 2024', 'Q4 2024', '2024-10-01..2024-12-31'],
    ['2025 Q3 numbers', 'Q3 2025', '2025-07-01..2025-09-30'],
    ['2025-Q3 numbers', 'Q3 2025', '2025-07-01..2025-09-30'],
    ["Q2'25 performance", 'Q2 2025', '2025-04-01..2025-06-30'],
    ['Q2 FY2024', 'Q2 2024', '2024-04-01..2024-06-30'],
    ['the second quarter of 2024', 'Q2 2024', '2024-04-01..2024-06-30'],
    ['3rd quarter 2025', 'Q3 2025', '2025-07-01..2025-09-30'],
    ['quarter 1 of 2026', 'Q1 2026', '2026-01-01..2026-03-31'],
  ])('%s → %s', (goal, label, span) => {
    const r = parse(goal);
    expect(r.current.label).toBe(label);
    expect(range(r)).toBe(span);
    expect(r.current.kind).toBe('quarter');
    expect(r.fallback).toBe(false);
    expect(r.noData).toBeUndefined();
  });

  it('a quarter without a year is its latest complete occurrence in the data, and says so', () => {
    const r = parse('Create a Q2 sales performance report with charts and an executive summary.');
    expect(r.current.label).toBe('Q2 2026');
    expect(r.notes.join(' ')).toContain('no year for Q2');
    // Q4 has not happened yet in 2026: the latest complete Q4 is 2025's.
    expect(parse('Q4 report').current.label).toBe('Q4 2025');
  });

  it('compares a quarter with the previous quarter and the same quarter a year earlier', () => {
    const r = parse('Q1 2025 sales report');
    expect(comparisons(r)).toEqual(['previous:Q4 2024', 'year_ago:Q1 2024']);
    expect(r.primaryComparison).toBe('year_ago');
  });
});

describe('period parser: halves, months, years, ranges', () => {
  it.each([
    ['sales summary for the first half of 2026', 'H1 2026', '2026-01-01..2026-06-30', 'half'],
    ['H2 2025', 'H2 2025', '2025-07-01..2025-12-31', 'half'],
    ['1H26 review', 'H1 2026', '2026-01-01..2026-06-30', 'half'],
    ['2024 H2', 'H2 2024', '2024-07-01..2024-12-31', 'half'],
    ['March 2026 sales', 'March 2026', '2026-03-01..2026-03-31', 'month'],
    ['sales for sept 2025', 'September 2025', '2025-09-01..2025-09-30', 'month'],
    ['2026-02 revenue', 'February 2026', '2026-02-01..2026-02-28', 'month'],
    ['full year 2025', '2025', '2025-01-01..2025-12-31', 'year'],
    ['FY2024 results', '2024', '2024-01-01..2024-12-31', 'year'],
    ['January to March 2026', 'Jan–Mar 2026', '2026-01-01..2026-03-31', 'range'],
    ['from oct 2025 to mar 2026', 'Oct 2025 – Mar 2026', '2025-10-01..2026-03-31', 'range'],
  ])('%s → %s', (goal, label, span, kind) => {
    const r = parse(goal);
    expect(r.current.label).toBe(label);
    expect(range(r)).toBe(span);
    expect(r.current.kind).toBe(kind);
  });

  it('a half compares with the previous half and the same half last year', () => {
    expect(comparisons(parse('H1 2026'))).toEqual(['previous:H2 2025', 'year_ago:H1 2025']);
  });

  it('a year compares once, with the year before', () => {
    const r = parse('2025 sales report');
    expect(comparisons(r)).toEqual(['year_ago:2024']);
    expect(r.primaryComparison).toBe('year_ago');
  });

  it('a year the data ends inside is reported to date, against the same months a year earlier', () => {
    const r = parse('2026 sales');
    expect(r.current.label).toBe('Jan–Sep 2026');
    expect(comparisons(r)).toEqual(['year_ago:Jan–Sep 2025']);
    expect(r.notes.join(' ')).toContain('reported to date');
    expect(parse('YTD revenue').current.label).toBe('Jan–Sep 2026');
  });

  it('"may" counts as a month only when it reads like one', () => {
    expect(parse('sales may have dropped').fallback).toBe(true);
    expect(parse('sales in May').current.label).toBe('May 2026');
    expect(parse('May 2025 report').current.label).toBe('May 2025');
  });

  it('trailing months end at the last complete month', () => {
    const r = parse('last 12 months by product');
    expect(range(r)).toBe('2025-10-01..2026-09-30');
    expect(comparisons(r)).toEqual(['year_ago:Oct 2024 – Sep 2025']);
    expect(parse('trailing six months').current.start).toBe('2026-04-01');
  });
});

describe('period parser: relative periods count from the latest date in the data', () => {
  it.each([
    ['sales for last quarter', 'Q3 2026'],
    ['the most recent quarter', 'Q3 2026'],
    ['last month', 'September 2026'],
    ['last year', '2025'],
    ['last half', 'H1 2026'],
  ])('%s → %s', (goal, label) => {
    expect(parse(goal).current.label).toBe(label);
  });

  it('when the data ends mid-quarter, "last quarter" is the last complete one and "this quarter" is to date', () => {
    const midQuarter: Coverage = { start: '2023-01-01', end: '2026-08-15' };
    expect(parse('last quarter', midQuarter).current.label).toBe('Q2 2026');
    expect(parse('last month', midQuarter).current.label).toBe('July 2026');
    const thisQuarter = parse('this quarter', midQuarter);
    expect(range(thisQuarter)).toBe('2026-07-01..2026-07-31');
    expect(thisQuarter.notes.join(' ')).toContain('to date');
  });

  it('"last year" after a comparison word is a comparison, not the period', () => {
    const r = parse('compare Q3 with the same quarter last year');
    expect(r.current.label).toBe('Q3 2026');
    expect(r.primaryComparison).toBe('year_ago');
    const vs = parse('Q2 2026 vs last year');
    expect(vs.current.label).toBe('Q2 2026');
    expect(vs.primaryComparison).toBe('year_ago');
  });
});

describe('period parser: comparisons', () => {
  it.each([
    ['Q2 2026 year over year', 'year_ago'],
    ['Q2 2026 YoY', 'year_ago'],
    ['Q2 2026 compared with the previous quarter', 'previous'],
    ['Q2 2026 QoQ', 'previous'],
    ['Q2 2026 quarter-over-quarter', 'previous'],
    ['Q2 2026 report', 'year_ago'],
  ])('%s → headline comparison %s', (goal, primary) => {
    expect(parse(goal).primaryComparison).toBe(primary);
  });

  it('a second named period becomes the comparison', () => {
    const r = parse('Q3 2026 vs Q1 2026');
    expect(r.current.label).toBe('Q3 2026');
    expect(comparisons(r)).toContain('custom:Q1 2026');
    expect(r.primaryComparison).toBe('custom');
    // Naming the year-ago quarter explicitly just picks that comparison.
    const yoy = parse('compare Q3 2026 with Q3 2025');
    expect(yoy.primaryComparison).toBe('year_ago');
    expect(yoy.comparisons.some((p) => p.tag === 'custom')).toBe(false);
  });

  it('a comparison period without data is left out, with a note', () => {
    const r = parse('Q1 2023');
    expect(r.comparisons).toEqual([]);
    expect(r.primaryComparison).toBeUndefined();
    expect(r.notes.join(' ')).toContain('No complete data for Q4 2022');
    expect(r.notes.join(' ')).toContain('No complete data for Q1 2022');
  });
});

describe('period parser: fallbacks and periods without data', () => {
  it('no period at all falls back to the latest complete quarter and says so', () => {
    const r = parse('Create a sales performance report with charts');
    expect(r.fallback).toBe(true);
    expect(r.current.label).toBe('Q3 2026');
    expect(r.notes).toEqual(['No period in the goal; used the latest complete quarter, Q3 2026.']);
  });

  it.each([['Q5 2026 report', 'Q5 2026'], ['H3 numbers', 'H3'], ['sales for the spring', 'spring']])('an unparseable period (%s) falls back and names what it could not read', (goal, bad) => {
    const r = parse(goal);
    expect(r.fallback).toBe(true);
    expect(r.current.label).toBe('Q3 2026');
    expect(r.notes[0]).toContain(`"${bad}"`);
  });

  it.each([['Q1 2020 sales report', 'Q1 2020'], ['Q4 2026 report', 'Q4 2026'], ['FY27', '2027'], ['sales in 2019', '2019']])(
    '%s has no data: the message names the period and the range covered',
    (goal, label) => {
      const r = parse(goal);
      expect(r.noData).toContain(`No sales data for ${label}`);
      expect(r.noData).toContain('covers 2023-01-01 to 2026-09-30');
      expect(r.comparisons).toEqual([]);
    },
  );
});

describe('period parser: breakdowns named in the goal', () => {
  it.each([
    ['Q1 2025 sales report by region', ['region']],
    ['last 12 months by product and channel', ['product', 'channel']],
    ['top products in Q2', ['product']],
    ['Q2 split by customer segment', ['segment']],
    ['Q2 report', []],
  ])('%s → %j', (goal, focus) => {
    expect(parse(goal).focus).toEqual(focus);
  });
});

describe('labels', () => {
  it('names whole periods the way people say them', () => {
    expect(labelOf({ kind: 'quarter', start: '2026-04-01', end: '2026-06-30' })).toBe('Q2 2026');
    expect(labelOf({ kind: 'half', start: '2025-07-01', end: '2025-12-31' })).toBe('H2 2025');
    expect(labelOf({ kind: 'month', start: '2026-02-01', end: '2026-02-28' })).toBe('February 2026');
    expect(labelOf({ kind: 'year', start: '2024-01-01', end: '2024-12-31' })).toBe('2024');
    expect(labelOf({ kind: 'range', start: '2025-11-01', end: '2026-01-31' })).toBe('Nov 2025 – Jan 2026');
    expect(labelOf({ kind: 'range', start: '2026-01-05', end: '2026-01-20' })).toBe('2026-01-05 – 2026-01-20');
  });
});

describe('determinism', () => {
  it('the same goal and coverage always give the same request', () => {
    const goals = ['Q2', 'H1 2026 by region', 'last quarter vs last year', 'nothing here'];
    for (const g of goals) expect(parse(g)).toEqual(parse(g));
  });
});

describe('period of an agent input', () => {
  it('comes from the goal; from the task instructions only when the goal names none', () => {
    expect(periodRequestFor({ goal: 'Q1 2025 report', task: { instructions: 'Extract data for Q3 2026' } }, COVERAGE).current.label).toBe('Q1 2025');
    const fromTask = periodRequestFor({ goal: 'sales report', task: { instructions: 'Extract the orders of H1 2025 and its comparison periods' } }, COVERAGE);
    expect(fromTask.current.label).toBe('H1 2025');
    expect(fromTask.fallback).toBe(false);
    expect(fromTask.notes[0]).toContain("used the one in the task's instructions, H1 2025");
    const neither = periodRequestFor({ goal: 'sales report', task: { instructions: 'Produce sales-dataset for the goal "sales report"' } }, COVERAGE);
    expect(neither.fallback).toBe(true);
    expect(neither.current.label).toBe('Q3 2026');
  });
});
