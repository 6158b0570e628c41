/**
 * The sales report's integrator (`orchestrator.integrator` in baton.yaml): writes report.html
 * (self-contained), report.md with the charts as SVG and PNG files, and report.pdf when Chromium is
 * available; Baton writes the run's run.json beside them. When only some artifacts exist ("just the charts"), the report holds what
 * exists and says what is missing.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderAsync } from '@resvg/resvg-js';
import type { IntegrationInput } from 'batonjs';
import type { Deliverable, Provenance } from 'batonjs';
import type { Charts, Metrics, SalesDataset, Summary } from './lib/artifacts.ts';
import { howMade } from './lib/how-made.ts';
import { printPdf } from './lib/pdf.ts';
import { renderHtml } from './lib/report-html.ts';
import type { ReportParts } from './lib/report-html.ts';
import { renderMarkdown } from './lib/report-md.ts';

const REPORT_ARTIFACTS = ['metrics', 'charts', 'summary'] as const;

/** The charts' PNG files: 1,200 px wide on white, in the system's fonts. */
const PNG_OPTIONS = { background: 'white', fitTo: { mode: 'width', value: 1200 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } } as const;

/**
 * The artifacts the report shows: those the plan asked for (a summary comes with the key figures it
 * is drawn from), else all the report knows.
 */
function shown(input: IntegrationInput): Set<string> {
  const requested = (input.plan.requested ?? []).filter((a) => (REPORT_ARTIFACTS as readonly string[]).includes(a));
  const want = new Set<string>(requested.length > 0 ? requested : REPORT_ARTIFACTS);
  if (want.has('summary')) want.add('metrics');
  return want;
}

function reasonMissing(input: IntegrationInput, artifact: string): string {
  const task = input.plan.tasks.find((t) => t.produces.includes(artifact));
  const result = task && input.tasks.find((t) => t.id === task.id);
  return result?.reason ?? (result ? `task ${result.id} ${result.status}` : 'no task produced it');
}

/** Gathers the report's parts from the run. */
export function reportParts(input: IntegrationInput, generatedAt = new Date().toISOString()): ReportParts {
  const want = shown(input);
  const dataset = input.artifacts['sales-dataset'] as SalesDataset | undefined;
  const metrics = input.artifacts['metrics'] as Metrics | undefined;
  const charts = input.artifacts['charts'] as Charts | undefined;
  const summary = input.artifacts['summary'] as Summary | undefined;
  const period = metrics?.period ?? dataset?.request.current;
  const comparisons = metrics?.comparisons ?? dataset?.request.comparisons ?? [];
  const primary = metrics?.primaryComparison ?? dataset?.request.primaryComparison;
  const onlyCharts = want.size === 1 && want.has('charts');
  const parts: ReportParts = {
    title: period ? `${onlyCharts ? 'Sales charts' : 'Sales performance'}, ${period.label}` : 'Sales performance report',
    comparisons,
    notes: [...new Set([...(metrics?.notes ?? dataset?.notes ?? [])])],
    queries: dataset?.queries ?? [],
    howMade: howMade(input),
    missing: [...want].filter((a) => !(a in input.artifacts)).map((a) => ({ artifact: a, reason: reasonMissing(input, a) })),
    generatedAt,
  };
  if (period) parts.period = period;
  if (primary) parts.primaryComparison = primary;
  const coverage = metrics?.coverage ?? dataset?.source.coverage;
  if (coverage) parts.coverage = coverage;
  if (summary && want.has('summary')) parts.summary = summary;
  if (metrics && want.has('metrics')) parts.metrics = metrics;
  if (charts && want.has('charts')) parts.charts = charts;
  return parts;
}

/**
 * The charts' PNGs, drawn on libuv's thread pool two at a time: drawn in this thread (new
 * Resvg(svg).render()), they held the orchestrator's event loop ~0.3 s per report, and a `baton
 * serve`'s other runs and requests waited. Two, not all: the pool's four threads also do the
 * process's file reads and writes. Only each PNG's encoding (~10 ms) is done here. (resvg refuses a
 * signal shared by drawings made at once, InvalidArg; they take ~0.1 s, and a stop is heard after.)
 */
async function drawPngs(svgs: string[]): Promise<Buffer[]> {
  const pngs: Buffer[] = [];
  let next = 0;
  const drawer = async (): Promise<void> => {
    while (next < svgs.length) {
      const i = next++;
      pngs[i] = (await renderAsync(svgs[i]!, PNG_OPTIONS)).asPng();
    }
  };
  await Promise.all([drawer(), drawer()]);
  return pngs;
}

/** Writes the report files and returns the deliverable. */
export default async function integrateSalesReport(input: IntegrationInput): Promise<Deliverable> {
  const outDir = input.outDir;
  await mkdir(outDir, { recursive: true });
  const parts = reportParts(input);
  const files: string[] = [];
  const write = async (name: string, content: string | Buffer): Promise<void> => {
    const file = join(outDir, name);
    await writeFile(file, content);
    files.push(file);
  };

  if (parts.charts) {
    await mkdir(join(outDir, 'charts'), { recursive: true });
    const pngs = await drawPngs(parts.charts.charts.map((c) => c.svg));
    input.signal.throwIfAborted();
    for (const [i, c] of parts.charts.charts.entries()) {
      await write(`charts/${c.id}.svg`, c.svg);
      await write(`charts/${c.id}.png`, pngs[i]!);
    }
  }
  const html = renderHtml(parts);
  await write('report.html', html);
  await write('report.md', renderMarkdown(parts, (id) => `charts/${id}.png`));
  const pdf = join(outDir, 'report.pdf');
  if (await printPdf(join(outDir, 'report.html'), pdf, input.signal)) files.push(pdf);

  const artifacts: Record<string, unknown> = {};
  const provenance: Record<string, Provenance> = {};
  const missing: string[] = [];
  for (const type of shown(input)) {
    const p = input.provenance[type];
    if (type in input.artifacts && p) {
      artifacts[type] = input.artifacts[type];
      provenance[type] = p;
    } else missing.push(type);
  }
  return missing.length > 0 ? { artifacts, files, provenance, missing } : { artifacts, files, provenance };
}
