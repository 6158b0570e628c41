import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import analyticsAgent from '../agents/analytics.ts';
import dataAgent from '../agents/data.ts';
import summaryAgent from '../agents/summary.ts';
import type { Charts, Metrics, SalesDataset, Summary } from '../lib/artifacts.ts';
import { formatNumber } from '../lib/format.ts';
import { valueAt } from '../lib/summary-text.ts';
import { BatonError } from '../../../packages/core/src/core/errors.ts';
import type { AgentInput } from '../../../packages/core/src/core/types.ts';
import { sampleDatabase, sqlTotals } from './support.ts';

const EXAMPLE = join(import.meta.dirname, '..');
const ctx = { signal: new AbortController().signal };
const input = (goal: string, inputs: Record<string, unknown> = {}): AgentInput => ({
  runId: 'r_test',
  goal,
  task: { id: 't1', title: 'test', instructions: goal },
  inputs,
  params: {},
  attempt: 1,
});

interface Made {
  dataset: SalesDataset;
  metrics: Metrics;
  charts: Charts;
  summary: Summary;
}

async function make(goal: string): Promise<Made> {
  const dataset = (await dataAgent(input(goal), ctx))['sales-dataset'] as SalesDataset;
  const analytics = await analyticsAgent(input(goal, { 'sales-dataset': dataset }), ctx);
  const metrics = analytics['metrics'] as Metrics;
  const summary = (await summaryAgent(input(goal, { metrics }), ctx))['summary'] as Summary;
  return { dataset, metrics, charts: analytics['charts'] as Charts, summary };
}

const GOALS = ['Create a Q2 sales performance report with charts and an executive summary.', 'Q1 2025 sales report by region', 'sales summary for the first half of 2026', 'Q1 2023'];
/** Metrics round money to the cent: equal within half a cent (plus float noise). */
function expectCents(actual: number | undefined, expected: number, what = ''): void {
  expect(actual, what).toBeDefined();
  expect(Math.abs((actual ?? NaN) - expected), `${what} ${actual} vs ${expected}`).toBeLessThanOrEqual(0.005 + 1e-6);
}

const made = new Map<string, Made>();
let db: string;

beforeAll(async () => {
  db = sampleDatabase();
  for (const g of GOALS) made.set(g, await make(g));
}, 120_000);
const get = (goal: string): Made => made.get(goal) as Made;

describe('agents: numbers equal an independent SQL recomputation', () => {
  it.each(GOALS)('%s', (goal) => {
    const { metrics } = get(goal);
    for (const p of [metrics.period, ...metrics.comparisons]) {
      const sql = sqlTotals(db, p.start, p.end);
      const k = metrics.kpis;
      const pick = (kpi: { value: number; compare: Partial<Record<string, number>> }): number | undefined => (p.tag === 'current' ? kpi.value : kpi.compare[p.tag]);
      expectCents(pick(k.revenue), sql.revenue, 'revenue');
      expect(pick(k.units)).toBe(sql.units);
      expect(pick(k.orders)).toBe(sql.orders);
      expect(pick(k.grossMargin)).toBeCloseTo((sql.revenue - sql.cost) / sql.revenue, 5);
      expectCents(pick(k.averageOrderValue), sql.revenue / sql.orders, 'average order value');
      expect(pick(k.averageDiscount)).toBeCloseTo(1 - sql.revenue / sql.grossSales, 5);
    }
    // Growth against each comparison, and every region's and channel's revenue.
    for (const c of metrics.comparisons) {
      const tag = c.tag as 'previous' | 'year_ago';
      const expected = sqlTotals(db, metrics.period.start, metrics.period.end).revenue / sqlTotals(db, c.start, c.end).revenue - 1;
      expect(metrics.kpis.revenue.change[tag]).toBeCloseTo(expected, 5);
    }
    for (const dim of ['region', 'channel', 'product', 'country'] as const) {
      for (const item of metrics.breakdowns[dim]) {
        expectCents(item.revenue, sqlTotals(db, metrics.period.start, metrics.period.end, { column: dim, value: item.name }).revenue, `${dim} ${item.name}`);
      }
    }
    const months = metrics.monthly.filter((m) => m.inPeriod);
    expect(months.length).toBeGreaterThan(0);
    for (const m of months) expectCents(m.revenue, sqlTotals(db, `${m.month}-01`, `${m.month}-31`).revenue, m.month);
  });

  it('the dataset carries the current and comparison periods, each tagged, with the SQL that ran', () => {
    const { dataset } = get('Q1 2025 sales report by region');
    expect(dataset.periods.map((p) => `${p.tag}:${p.label}`)).toEqual(['current:Q1 2025', 'previous:Q4 2024', 'year_ago:Q1 2024']);
    expect(new Set(dataset.rows.map((r) => r.period))).toEqual(new Set(['current', 'previous', 'year_ago']));
    expect(dataset.queries.every((q) => /^\s*SELECT/i.test(q.sql))).toBe(true);
    expect(dataset.request.focus).toEqual(['region']);
    expect(JSON.stringify(dataset).length).toBeLessThan(5_000_000);
  });

  it('the default goal notes that it chose the latest Q2', () => {
    const { dataset, metrics } = get(GOALS[0] as string);
    expect(metrics.period.label).toBe('Q2 2026');
    expect(dataset.notes.join(' ')).toContain('latest complete one in the data, Q2 2026');
  });
});

describe('summary agent', () => {
  it.each(GOALS)('every number in the summary of "%s" comes from the metrics', (goal) => {
    const { metrics, summary } = get(goal);
    const names = [metrics.period, ...metrics.comparisons].map((p) => p.label);
    for (const items of Object.values(metrics.breakdowns)) names.push(...items.map((i) => i.name));
    names.sort((a, b) => b.length - a.length);
    const all = [summary.headline, ...summary.findings, ...summary.risks, ...summary.actions];
    expect(summary.findings.length).toBeGreaterThanOrEqual(3);
    expect(summary.findings.length).toBeLessThanOrEqual(5);
    for (const f of all) {
      let text = f.text;
      for (const n of names) text = text.split(n).join(' ');
      const numbers = text.match(/\$?\d[\d,]*(?:\.\d+)?(?:[KMB]|%| pts)?/g) ?? [];
      const quoted = f.evidence.map((e) => e.text);
      for (const n of numbers) expect(quoted, `"${n}" in "${f.text}"`).toContain(n);
      for (const e of f.evidence) {
        expect(valueAt(metrics, e.pointer), e.pointer).toBe(e.value);
        expect(formatNumber(e.value, e.format)).toBe(e.text);
        expect(f.text).toContain(e.text);
      }
    }
    expect(summary.headline.evidence.length).toBeGreaterThan(0);
  });

  it('tells the Q2 2026 story', () => {
    const { summary } = get(GOALS[0] as string);
    const text = [summary.headline, ...summary.findings, ...summary.risks].map((f) => f.text).join('\n');
    expect(text).toContain('Asia Pacific');
    expect(text).toContain('Aero 14 AI Laptop');
    expect(text).toContain('Latin America');
  });
});

describe('analytics agent charts', () => {
  it.each(GOALS)('"%s": at least 4 charts whose SVG parses and shows the expected series, titles and axis units', (goal) => {
    const { charts, metrics } = get(goal);
    expect(charts.charts.length).toBeGreaterThanOrEqual(4);
    for (const c of charts.charts) {
      // resvg is a real SVG parser: it throws on malformed SVG.
      const rendered = new Resvg(c.svg, { font: { loadSystemFonts: false } }).render();
      expect(rendered.width).toBeGreaterThan(100);
      expect(c.svg).toContain(c.title.replace(/&/g, '&amp;'));
      for (const s of c.series) expect(c.svg, `${c.id} legend ${s}`).toContain(`>${s.replace(/&/g, '&amp;')}<`);
      const axisTitles = JSON.stringify(c.spec.encoding);
      expect(axisTitles).toMatch(/\((USD|%)\)/);
    }
    const byId = new Map(charts.charts.map((c) => [c.id, c]));
    expect(byId.get('monthly-revenue')?.series).toEqual([metrics.period.label, 'Earlier months']);
    expect(byId.get('channel-mix')?.series.sort()).toEqual(['Online', 'Partner', 'Retail']);
    const region = byId.get('revenue-by-region');
    expect(region?.series[0]).toBe(metrics.period.label);
    for (const r of metrics.breakdowns.region) expect(region?.svg).toContain(r.name.replace(/&/g, '&amp;'));
  });

  it('puts the breakdown the goal asks for right after the trend', () => {
    expect(get('Q1 2025 sales report by region').charts.charts[1]?.id).toBe('revenue-by-region');
  });
});

describe('artifact schemas', () => {
  const schema = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(EXAMPLE, 'schemas', `${name}.json`), 'utf8')) as Record<string, unknown>;
  it.each([
    ['draft-07', () => new Ajv({ strict: true, allErrors: true })],
    ['2020-12', () => new Ajv2020({ strict: true, allErrors: true })],
  ])('every artifact validates under strict Ajv (%s)', (_draft, makeAjv) => {
    const warnings: unknown[] = [];
    const ajv = makeAjv();
    const log = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      const artifacts = get(GOALS[0] as string);
      const checks: [string, unknown][] = [['dataset', artifacts.dataset], ['metrics', artifacts.metrics], ['charts', artifacts.charts], ['summary', artifacts.summary]];
      for (const [name, value] of checks) {
        const validate = ajv.compile(schema(name));
        expect(validate(value), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      }
      // The schemas catch real mistakes.
      const broken = structuredClone(artifacts.metrics) as unknown as Record<string, unknown>;
      delete broken['kpis'];
      expect(ajv.compile(schema('metrics'))(broken)).toBe(false);
      expect(ajv.compile(schema('charts'))({ period: 'Q2 2026', charts: artifacts.charts.charts.slice(0, 3) })).toBe(false);
      expect(ajv.compile(schema('summary'))({ ...artifacts.summary, findings: [] })).toBe(false);
    } finally {
      console.warn = log;
    }
    expect(warnings).toEqual([]);
  });
});

describe('failures that retrying cannot fix', () => {
  it('a period with no data is an unrecoverable error naming the period and the data range', async () => {
    const err = await dataAgent(input('Q1 2020 sales report'), ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(BatonError.isInstance(err)).toBe(true);
    expect((err as BatonError).retryable).toBe(false);
    expect((err as Error).message).toBe(
      'No sales data for Q1 2020 (2020-01-01 to 2020-03-31): the sales database covers 2023-01-01 to 2026-09-30. Ask for a period inside that range, for example "Q3 2026 sales report".',
    );
  });

  it('analytics refuses a dataset for another period than the goal asks for', async () => {
    const { dataset } = get('Q1 2025 sales report by region');
    await expect(analyticsAgent(input('Q2 2026 report', { 'sales-dataset': dataset }), ctx)).rejects.toThrow(/covers Q1 2025 .* asks for Q2 2026/);
    await expect(analyticsAgent(input('Q2 2026 report'), ctx)).rejects.toThrow(/needs a "sales-dataset" input/);
    await expect(summaryAgent(input('Q2 2026 report'), ctx)).rejects.toThrow(/needs a "metrics" input/);
  });

  it('honours an aborted signal', async () => {
    await expect(dataAgent(input('Q2'), { signal: AbortSignal.abort() })).rejects.toThrow();
  });
});

describe('the period run parameter', () => {
  const withPeriod = (goal: string, period: string, inputs: Record<string, unknown> = {}) => ({ ...input(goal, inputs), params: { period } });

  it('names the period over the goal; the goal still says what to break down', async () => {
    const goal = 'Sales report by region';
    const dataset = (await dataAgent(withPeriod(goal, 'Q1 2025'), ctx))['sales-dataset'] as SalesDataset;
    expect(dataset).toEqual({ ...get('Q1 2025 sales report by region').dataset, queries: expect.any(Array) as unknown, request: expect.anything() as unknown, notes: expect.any(Array) as unknown });
    expect(dataset.request.current.label).toBe('Q1 2025');
    expect(dataset.request.focus).toEqual(['region']);
    expect(dataset.notes[0]).toBe('Period from the run parameter period: Q1 2025.');
    // Analytics reads the same parameter, so it agrees the dataset is for the period asked for.
    const metrics = (await analyticsAgent(withPeriod(goal, 'Q1 2025', { 'sales-dataset': dataset }), ctx))['metrics'] as Metrics;
    expect(metrics.period.label).toBe('Q1 2025');
  });

  it('a period parameter the report cannot read is an unrecoverable error naming it', async () => {
    const err = await dataAgent(withPeriod('Sales report', 'next Tuesday'), ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as BatonError).retryable).toBe(false);
    expect((err as Error).message).toMatch(/run parameter period is "next Tuesday", which is not a period/);
  });
});

describe('data agent, command form (data-replica)', () => {
  it('reads the input on stdin and writes the same dataset on stdout', () => {
    const goal = 'Q1 2025 sales report by region';
    const run = spawnSync('node', ['--import', 'tsx', 'agents/data-cli.ts'], { cwd: EXAMPLE, input: JSON.stringify(input(goal)), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { 'sales-dataset': SalesDataset };
    const strip = (d: SalesDataset): unknown => ({ ...d, queries: d.queries.map((q) => ({ ...q, durationMs: 0 })) });
    expect(strip(out['sales-dataset'])).toEqual(strip(get(goal).dataset));
  });

  it('exits 1 with the reason on stderr', () => {
    const run = spawnSync('node', ['--import', 'tsx', 'agents/data-cli.ts'], { cwd: EXAMPLE, input: JSON.stringify(input('Q4 2026')), encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('No sales data for Q4 2026');
    expect(run.stdout).toBe('');
  });
});
