import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { matchOutput } from '../../src/eval/deep-match.ts';
import { formatReport, junitXml, summaryLine } from '../../src/testing/index.ts';
import type { EvalReport } from '../../src/testing/index.ts';

const nasty = 'a <b> & "c" \'d\' ]]> \u0001 \uD800 end\nsecond line';

const report: EvalReport = {
  suite: 'trips & <co>',
  file: '/suites/trips.yaml',
  manifest: '/suites/baton.yaml',
  planner: 'builtin',
  passed: 1,
  failed: 1,
  skipped: 1,
  durationMs: 1234,
  cases: [
    { name: 'ok', outcome: 'passed', passed: true, durationMs: 5, differences: [], line: 4, planAgents: ['hotels'] },
    {
      name: `bad ${nasty}`,
      outcome: 'failed',
      passed: false,
      durationMs: 20,
      line: 9,
      goal: 'Plan my trip',
      differences: [
        { expectation: 'exclude', message: `flights was planned (${nasty})` },
        { expectation: 'status', message: 'expected succeeded, got partial' },
      ],
      planAgents: ['flights', 'hotels'],
      status: 'partial',
    },
    { name: 'judged', outcome: 'skipped', passed: true, skipped: 'rubric not judged: no model', durationMs: 3, differences: [] },
  ],
};

describe('reports', () => {
  it('ends the text report with the summary line, after what differed in each failing case', () => {
    const text = formatReport(report);
    const lines = text.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('eval: 1 passed, 1 failed, 1 skipped');
    expect(text).toContain('✖ bad a <b> & "c" \'d\' ]]> \\u0001 \uD800 end\\nsecond line (trips.yaml:9)\n');
    expect(text).toContain('    exclude: flights was planned');
    expect(text).toContain('    status: expected succeeded, got partial');
    expect(text).toContain('○ judged: rubric not judged: no model');
    expect(text).not.toContain('ok');
    expect(summaryLine({ passed: 3, failed: 0, skipped: 0 })).toBe('eval: 3 passed, 0 failed');
  });

  it('shows control characters (C0, ESC, DEL, C1) of names and messages as escapes: nothing a terminal would act on', () => {
    const ansi = '\u001b[2J\u001b[32m✔ FAKE\u001b[0m\u009b1m\u007f\t\r';
    const escaped = '\\u001b[2J\\u001b[32m✔ FAKE\\u001b[0m\\u009b1m\\u007f\\t\\r';
    const text = formatReport({
      ...report,
      cases: [
        { name: `failed ${ansi}`, outcome: 'failed', passed: false, durationMs: 1, goal: `goal ${ansi}`, differences: [{ expectation: 'status', message: `message ${ansi}` }], status: 'failed', planNotes: [`note ${ansi}`] },
        { name: `skipped ${ansi}`, outcome: 'skipped', passed: true, durationMs: 1, differences: [], skipped: `why ${ansi}` },
        { name: `passed ${ansi}`, outcome: 'passed', passed: true, durationMs: 1, differences: [] },
      ],
    }, { all: true });
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    for (const line of [`✖ failed ${escaped}`, `    goal: goal ${escaped}`, `    status: message ${escaped}`, `    note: note ${escaped}`, `○ skipped ${escaped}: why ${escaped}`, `✔ passed ${escaped} (1 ms)`]) {
      expect(text.split('\n')).toContain(line);
    }
  });

  it('writes JUnit XML that parses back, with failures, skips and odd characters escaped', () => {
    const xml = junitXml(report);
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', processEntities: true, htmlEntities: true }).parse(xml) as {
      testsuites: { testsuite: { name: string; tests: string; failures: string; skipped: string; testcase: Record<string, unknown>[] } };
    };
    const suite = parsed.testsuites.testsuite;
    expect(suite).toMatchObject({ name: 'trips & <co>', tests: '3', failures: '1', skipped: '1' });
    const [ok, bad, judged] = suite.testcase;
    expect(ok).toMatchObject({ name: 'ok', classname: 'trips & <co>', time: '0.005', line: '4' });
    expect(ok).not.toHaveProperty('failure');
    expect(bad?.['name']).toBe('bad a <b> & "c" \'d\' ]]> \uFFFD \uFFFD end\nsecond line');
    const failure = bad?.['failure'] as { message: string; type: string; '#text': string };
    expect(failure.type).toBe('exclude');
    expect(failure.message).toContain('exclude: flights was planned (a <b> & "c"');
    expect(failure['#text']).toContain('status: expected succeeded, got partial');
    expect(judged?.['skipped']).toEqual({ message: 'rubric not judged: no model' });
  });
});

describe('matchOutput', () => {
  it('partial: keys left out may hold anything; lists match item by item', () => {
    const actual = { summary: { regions: [{ name: 'EMEA', revenue: 10 }, { name: 'APAC', revenue: 5 }], text: 'x' } };
    expect(matchOutput({ summary: { regions: [{ name: 'EMEA' }, { name: 'APAC' }] } }, actual, 'partial')).toEqual([]);
    expect(matchOutput({ summary: { regions: [{ name: 'EMEA' }] } }, actual, 'partial')).toEqual([
      { path: '/summary/regions', expected: [{ name: 'EMEA' }], actual: actual.summary.regions, message: 'expected 1 item, got 2' },
    ]);
    expect(matchOutput({ summary: { total: 15, 'a/b': 1 } }, actual, 'partial').map((m) => `${m.path} ${m.message}`)).toEqual(['/summary/total is missing', '/summary/a~1b is missing']);
    expect(matchOutput({ summary: [] }, actual, 'partial')[0]?.message).toBe('expected a list, got an object');
  });

  it('exact: extra keys differ too', () => {
    expect(matchOutput({ a: 1 }, { a: 1, b: 2 }, 'exact')).toEqual([{ path: '/b', expected: undefined, actual: 2, message: 'is not expected' }]);
    expect(matchOutput({ a: 1 }, { a: 1 }, 'exact')).toEqual([]);
    expect(matchOutput({ a: '1' }, { a: 1 }, 'exact')[0]?.message).toBe('expected "1", got 1');
  });
});
