/**
 * End to end: the real CLI (`node bin/baton.js run`) on examples/sales-report/baton.yaml, as a user
 * runs it, with the report checked against SQL recomputed here and rendered in headless Chromium.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Charts, Metrics, Summary } from '../lib/artifacts.ts';
import { usd } from '../lib/format.ts';
import { CHROMIUM_ARGS, chromiumPath } from '../lib/pdf.ts';
import type { RunResult } from '../../../packages/core/src/core/types.ts';
import { sampleDatabase, sqlTotals } from './support.ts';

const ROOT = join(import.meta.dirname, '../../..');
const MANIFEST = 'examples/sales-report/baton.yaml';
const tmp = mkdtempSync(join(tmpdir(), 'baton-sales-e2e-'));

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  out: string;
  result: RunResult;
}

function runCli(goal: string, name: string, env: Record<string, string> = {}): Promise<CliRun> {
  const out = join(tmp, name);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['packages/core/bin/baton.js', 'run', '-m', MANIFEST, '--json', '--out', out, '--store', join(tmp, `${name}.db`), goal], {
      cwd: ROOT,
      env: { ...process.env, BATON_REPORT_PDF: '0', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ code, stdout, stderr, out, result: JSON.parse(stdout) as RunResult });
      } catch (e) {
        reject(new Error(`baton run "${goal}" printed no RunResult (exit ${code}): ${stderr.slice(-2000)}`, { cause: e }));
      }
    });
  });
}

const GOALS = {
  default: 'Create a Q2 sales performance report with charts and an executive summary.',
  byRegion: 'Q1 2025 sales report by region',
  vsLastYear: 'compare Q3 with the same quarter last year',
  half: 'sales summary for the first half of 2026',
  chartsOnly: 'just the charts for Q2',
  noData: 'Q1 2020 sales report',
} as const;
type GoalName = keyof typeof GOALS;
const runs = new Map<GoalName, CliRun>();
const run = (name: GoalName): CliRun => runs.get(name) as CliRun;
let db: string;

beforeAll(async () => {
  db = sampleDatabase();
  // Two at a time: the machine is small, and each run is a full process.
  const names = Object.keys(GOALS) as GoalName[];
  for (let i = 0; i < names.length; i += 2) {
    const batch = names.slice(i, i + 2);
    const done = await Promise.all(batch.map((n) => runCli(GOALS[n], n, n === 'default' ? { BATON_REPORT_PDF: '1' } : {})));
    batch.forEach((n, j) => runs.set(n, done[j] as CliRun));
  }
}, 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The metrics the analytics task produced (whether or not the goal asked for them). */
const metricsOf = (r: CliRun): Metrics => r.result.tasks.find((t) => t.output?.['metrics'])?.output?.['metrics'] as Metrics;
const html = (r: CliRun): string => readFileSync(join(r.out, 'report.html'), 'utf8');

describe('baton run on the sales report (CLI)', () => {
  it('the default goal succeeds and writes report.html, report.md and run.json, showing every step', () => {
    const r = run('default');
    expect(r.code, r.stderr).toBe(0);
    expect(r.result.status).toBe('succeeded');
    for (const f of ['report.html', 'report.md', 'run.json']) expect(existsSync(join(r.out, f)), f).toBe(true);
    expect(r.result.deliverable.files).toEqual(expect.arrayContaining([expect.stringMatching(/report\.html$/), expect.stringMatching(/report\.md$/), expect.stringMatching(/run\.json$/)]));
    expect(Object.keys(r.result.deliverable.artifacts).sort()).toEqual(['charts', 'metrics', 'summary']);
    expect(r.result.deliverable.provenance['summary']).toMatchObject({ agent: 'summary', agentVersion: '1.0.0', attempt: 1 });
    const runJson = JSON.parse(readFileSync(join(r.out, 'run.json'), 'utf8')) as RunResult;
    expect(runJson.runId).toBe(r.result.runId);
    expect(runJson.status).toBe('succeeded');
    // Progress on stderr names every task and agent.
    for (const t of r.result.plan.tasks) expect(r.stderr).toContain(t.id);
  });

  it('the report states the numbers SQL gives for the period and its comparisons', () => {
    for (const name of ['default', 'byRegion', 'vsLastYear', 'half'] as const) {
      const r = run(name);
      expect(r.code, `${name}: ${r.stderr.slice(-500)}`).toBe(0);
      const m = metricsOf(r);
      const current = sqlTotals(db, m.period.start, m.period.end);
      expect(Math.abs(m.kpis.revenue.value - current.revenue), name).toBeLessThanOrEqual(0.005 + 1e-6);
      expect(m.kpis.orders.value).toBe(current.orders);
      expect(m.kpis.units.value).toBe(current.units);
      expect(m.kpis.grossMargin.value).toBeCloseTo((current.revenue - current.cost) / current.revenue, 5);
      for (const c of m.comparisons) {
        const base = sqlTotals(db, c.start, c.end).revenue;
        expect(m.kpis.revenue.change[c.tag as 'previous' | 'year_ago'], `${name} vs ${c.label}`).toBeCloseTo(current.revenue / base - 1, 5);
      }
      for (const region of m.breakdowns.region) {
        const sql = sqlTotals(db, m.period.start, m.period.end, { column: 'region', value: region.name });
        expect(Math.abs(region.revenue - sql.revenue), `${name} ${region.name}`).toBeLessThanOrEqual(0.005 + 1e-6);
      }
      // The page shows the same figure: the revenue KPI card.
      expect(html(r)).toContain(`<div class="label">Revenue</div><div class="value">${usd(current.revenue)}</div>`);
    }
    expect(metricsOf(run('default')).period.label).toBe('Q2 2026');
    expect(metricsOf(run('byRegion')).period.label).toBe('Q1 2025');
    expect(metricsOf(run('half')).period.label).toBe('H1 2026');
    const vs = metricsOf(run('vsLastYear'));
    expect(vs.period.label).toBe('Q3 2026');
    expect(vs.primaryComparison).toBe('year_ago');
  });

  it('the summary is on top and quotes only numbers from the metrics', () => {
    const r = run('default');
    const summary = r.result.deliverable.artifacts['summary'] as Summary;
    const page = html(r);
    expect(page.indexOf('Executive summary')).toBeLessThan(page.indexOf('Key figures'));
    expect(page.indexOf('Key figures')).toBeLessThan(page.indexOf('id="charts"'));
    expect(page).toContain(summary.headline.text.replace(/&/g, '&amp;'));
    for (const f of summary.findings) for (const e of f.evidence) expect(e.value).toBe(pointer(metricsOf(r), e.pointer));
  });

  it('"How this report was made" lists each subtask, agent and version, attempts, timings and validation', () => {
    const r = run('default');
    const page = html(r);
    const section = page.slice(page.indexOf('How this report was made'));
    for (const t of r.result.tasks) {
      expect(section).toContain(t.id);
      expect(section).toContain(`#1 ${t.agent} 1.0.0: <span class="status-succeeded">succeeded</span> in `);
    }
    expect(section).toContain('valid: sales-dataset against schemas/dataset.json');
    expect(section).toContain('valid: metrics against schemas/metrics.json; charts against schemas/charts.json');
    expect(section).toContain('valid: summary against schemas/summary.json');
    expect(section).toMatch(/\d+(\.\d)? (ms|s)<\/td>/);
    expect(readFileSync(join(r.out, 'report.md'), 'utf8')).toContain('## How this report was made');
  });

  it('the HTML reports have no external references', () => {
    for (const name of ['default', 'byRegion', 'vsLastYear', 'half', 'chartsOnly'] as const) {
      const page = html(run(name)).replace(/\sxmlns(:\w+)?="[^"]*"/g, '');
      // Only same-document references (#fragment) are allowed: SVG clip paths use url(#clipN).
      expect(page.match(/https?:\/\/\S{0,60}/)?.[0], name).toBeUndefined();
      expect(page.match(/<(script|link|img|iframe|object|embed)\b/i)?.[0], name).toBeUndefined();
      expect(page.match(/\b(src|href)\s*=\s*["']?(?!#)\S{0,40}/i)?.[0], name).toBeUndefined();
      expect(page.match(/url\((?!#)[^)]{0,40}|@import/i)?.[0], name).toBeUndefined();
    }
  });

  it('"just the charts" plans no summary and reports only the charts', () => {
    const r = run('chartsOnly');
    expect(r.code, r.stderr).toBe(0);
    expect(r.result.plan.tasks.map((t) => t.agent)).not.toContain('summary');
    expect(Object.keys(r.result.deliverable.artifacts)).toEqual(['charts']);
    const page = html(r);
    expect(page).toContain('Sales charts, Q2 2026');
    expect(page).not.toContain('Executive summary');
    expect((r.result.deliverable.artifacts['charts'] as Charts).charts.length).toBeGreaterThanOrEqual(4);
    expect(page.match(/<figure class="chart"/g)?.length).toBeGreaterThanOrEqual(4);
  });

  it('a period with no data ends with a clear message and exit code 1, not an empty report', () => {
    const r = run('noData');
    expect(r.code).toBe(1);
    expect(r.result.status).toBe('failed');
    const message = 'No sales data for Q1 2020 (2020-01-01 to 2020-03-31): the sales database covers 2023-01-01 to 2026-09-30.';
    expect(r.result.reason).toContain(message);
    expect(r.stderr).toContain(message);
    expect(existsSync(join(r.out, 'report.html'))).toBe(false);
    // The data agent said retrying cannot help: no retry of it, one try of its fallback, same answer.
    const data = r.result.tasks.find((t) => t.id.includes('extract'));
    expect(data?.attempts.map((a) => `${a.agent}:${a.status}`)).toEqual(['data:failed', 'data-replica:failed']);
    for (const a of data?.attempts ?? []) expect(a.error).toContain(message);
    expect(r.result.tasks.filter((t) => t.status === 'skipped')).toHaveLength(2);
  });

  it('writes report.pdf when Chromium is available', () => {
    const pdf = join(run('default').out, 'report.pdf');
    if (!chromiumPath()) {
      expect(existsSync(pdf)).toBe(false);
      return;
    }
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
  });
});

describe('the report in headless Chromium', () => {
  it('shows every chart with a non-empty box and loads nothing from outside', async () => {
    const executablePath = chromiumPath();
    expect(executablePath, 'Chromium is needed for this test: apt-get install -y chromium').toBeDefined();
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: executablePath as string, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      const file = join(run('default').out, 'report.html');
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      const charts = page.locator('figure.chart svg');
      const count = await charts.count();
      expect(count).toBeGreaterThanOrEqual(4);
      for (let i = 0; i < count; i++) {
        const chart = charts.nth(i);
        await chart.scrollIntoViewIfNeeded();
        expect(await chart.isVisible()).toBe(true);
        const box = await chart.boundingBox();
        expect(box?.width ?? 0).toBeGreaterThan(200);
        expect(box?.height ?? 0).toBeGreaterThan(100);
        // The marks themselves are drawn, not just an empty frame.
        const marks = await chart.locator('g.mark-rect path, g.mark-rect rect').count();
        expect(marks).toBeGreaterThan(3);
      }
      expect(requests).toEqual([`file://${file}`]);
      await page.emulateMedia({ media: 'print' });
      expect(await charts.first().isVisible()).toBe(true);
    } finally {
      await browser.close();
    }
  });
});

function pointer(m: Metrics, p: string): unknown {
  return p
    .split('/')
    .slice(1)
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], m);
}
