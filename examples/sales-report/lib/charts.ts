/**
 * The report's charts: Vega-Lite specs built from the metrics, rendered to SVG in Node with vega's
 * headless view (no browser, no canvas). Every chart has a title, axis titles with units and a
 * legend naming its series.
 */
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { BreakdownItem, Chart, Charts, Metrics } from './artifacts.ts';
import { monthLabel } from './calendar.ts';
import type { Dimension, PeriodDef } from './period.ts';

const WIDTH = 560;
const COLORS = { current: '#1f4e79', compare: ['#9db4cc', '#d4dbe3', '#c9b27c'], up: '#2e7d5b', down: '#b5473a', muted: '#c7d0da' };
const CHANNEL_COLORS = ['#1f4e79', '#4f8fbf', '#a9c6e0', '#c9b27c', '#7a8793'];

const CONFIG = {
  font: 'sans-serif',
  background: 'white',
  view: { stroke: null },
  title: { fontSize: 15, fontWeight: 600, anchor: 'start', color: '#1b2733', subtitleColor: '#5b6774', subtitleFontSize: 12, offset: 12 },
  axis: { labelLimit: 240, labelFontSize: 11, titleFontSize: 12, titleFontWeight: 500, titleColor: '#3b4754', labelColor: '#3b4754', gridColor: '#e6eaef', domainColor: '#9aa5b1', tickColor: '#9aa5b1' },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'bottom', direction: 'horizontal' },
} as const;

const DIMENSION_TITLES: Record<Dimension, string> = {
  region: 'Region', country: 'Country', product: 'Product', category: 'Category', channel: 'Channel', segment: 'Customer segment',
};

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The periods shown side by side in comparison charts: current first, then up to two comparisons, primary first. */
function shownPeriods(m: Metrics): PeriodDef[] {
  const comps = [...m.comparisons].sort((a, b) => Number(b.tag === m.primaryComparison) - Number(a.tag === m.primaryComparison));
  return [m.period, ...comps.slice(0, 2)];
}

function periodColors(periods: PeriodDef[]): { domain: string[]; range: string[] } {
  return { domain: periods.map((p) => p.label), range: periods.map((_, i) => (i === 0 ? COLORS.current : (COLORS.compare[i - 1] ?? COLORS.muted))) };
}

function base(title: string, subtitle: string): { $schema: string; config: typeof CONFIG; title: { text: string; subtitle: string } } {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, title: { text: title, subtitle } };
}

function monthlyChart(m: Metrics): { spec: TopLevelSpec; series: string[] } {
  const values = m.monthly.map((p) => ({ label: monthLabel(p.month), revenue: p.revenue, series: p.inPeriod ? m.period.label : 'Earlier months' }));
  const first = m.monthly[0]?.month ?? m.period.start.slice(0, 7);
  const last = m.monthly[m.monthly.length - 1]?.month ?? m.period.end.slice(0, 7);
  const series = [m.period.label, 'Earlier months'];
  return {
    series,
    spec: {
      ...base(`Monthly revenue, ${monthLabel(first)} – ${monthLabel(last)}`, `${m.period.label} highlighted; net revenue after discounts, USD`),
      width: WIDTH,
      height: 220,
      data: { values },
      mark: { type: 'bar', cornerRadiusEnd: 2 },
      encoding: {
        x: { field: 'label', type: 'ordinal', sort: null, title: 'Month', axis: { labelAngle: -45 } },
        y: { field: 'revenue', type: 'quantitative', title: 'Revenue (USD)', axis: { format: '$~s' } },
        color: { field: 'series', type: 'nominal', title: null, scale: { domain: series, range: [COLORS.current, COLORS.muted] } },
        tooltip: [{ field: 'label', title: 'Month' }, { field: 'revenue', format: '$,.0f', title: 'Revenue' }],
      },
    } as TopLevelSpec,
  };
}

function comparisonBars(m: Metrics, dim: Dimension, measure: 'revenue' | 'grossMargin', limit = 12): { spec: TopLevelSpec; series: string[] } {
  const periods = shownPeriods(m);
  const items = m.breakdowns[dim].slice(0, limit);
  const values: { name: string; period: string; value: number }[] = [];
  for (const item of items) {
    for (const p of periods) {
      const value = measure === 'grossMargin' ? (p.tag === 'current' ? item.grossMargin : undefined) : p.tag === 'current' ? item.revenue : item.compare[p.tag as Exclude<typeof p.tag, 'current'>];
      if (value !== undefined) values.push({ name: item.name, period: p.label, value });
    }
  }
  const shown = measure === 'grossMargin' ? [m.period] : periods;
  const colors = periodColors(shown);
  const what = measure === 'grossMargin' ? 'Gross margin' : 'Revenue';
  const title = `${what} by ${DIMENSION_TITLES[dim].toLowerCase()}${shown.length > 1 ? `: ${shown.map((p) => p.label).join(' vs ')}` : `, ${m.period.label}`}`;
  const subtitle = measure === 'grossMargin' ? '(revenue − cost of goods) ÷ revenue' : dim === 'country' ? `Top ${items.length} countries by revenue, USD` : 'Net revenue after discounts, USD';
  return {
    series: colors.domain,
    spec: {
      ...base(title, subtitle),
      width: WIDTH - 140,
      height: { step: shown.length > 1 ? 11 : 20 },
      data: { values },
      mark: { type: 'bar', cornerRadiusEnd: 2 },
      encoding: {
        y: { field: 'name', type: 'nominal', sort: items.map((i) => i.name), title: DIMENSION_TITLES[dim] },
        yOffset: { field: 'period', type: 'nominal', sort: colors.domain },
        x: measure === 'grossMargin'
          ? { field: 'value', type: 'quantitative', title: 'Gross margin (%)', axis: { format: '.0%' } }
          : { field: 'value', type: 'quantitative', title: 'Revenue (USD)', axis: { format: '$~s' } },
        color: { field: 'period', type: 'nominal', title: null, scale: colors },
        tooltip: [{ field: 'name', title: DIMENSION_TITLES[dim] }, { field: 'period', title: 'Period' }, { field: 'value', format: measure === 'grossMargin' ? '.1%' : '$,.0f', title: what }],
      },
    } as TopLevelSpec,
  };
}

function changeChart(m: Metrics, dim: Dimension): { spec: TopLevelSpec; series: string[] } | undefined {
  const against = m.comparisons.find((p) => p.tag === m.primaryComparison);
  if (!against) return undefined;
  const tag = against.tag as Exclude<typeof against.tag, 'current'>;
  const values = m.breakdowns[dim].map((i: BreakdownItem) => {
    const delta = Math.round((i.revenue - (i.compare[tag] ?? 0)) * 100) / 100;
    return { name: i.name, delta, direction: delta >= 0 ? 'Growth' : 'Decline' };
  });
  values.sort((a, b) => b.delta - a.delta);
  const series = ['Growth', 'Decline'];
  return {
    series,
    spec: {
      ...base(`Revenue change by ${DIMENSION_TITLES[dim].toLowerCase()}: ${m.period.label} vs ${against.label}`, 'Difference in net revenue, USD'),
      width: WIDTH - 140,
      height: { step: 20 },
      data: { values },
      mark: { type: 'bar', cornerRadiusEnd: 2 },
      encoding: {
        y: { field: 'name', type: 'nominal', sort: values.map((v) => v.name), title: DIMENSION_TITLES[dim] },
        x: { field: 'delta', type: 'quantitative', title: `Change in revenue vs ${against.label} (USD)`, axis: { format: '$~s' } },
        color: { field: 'direction', type: 'nominal', title: null, scale: { domain: series, range: [COLORS.up, COLORS.down] } },
        tooltip: [{ field: 'name', title: DIMENSION_TITLES[dim] }, { field: 'delta', format: '$,.0f', title: 'Change' }],
      },
    } as TopLevelSpec,
  };
}

function mixChart(m: Metrics, dim: Dimension): { spec: TopLevelSpec; series: string[] } {
  const periods = shownPeriods(m);
  const names = m.breakdowns[dim].map((i) => i.name);
  // Segment positions are computed here so each share can be labelled in the middle of its bar.
  const values: { period: string; name: string; revenue: number; start: number; end: number; mid: number; share: number; label: string }[] = [];
  for (const p of periods) {
    const revenues = m.breakdowns[dim].map((item) => (p.tag === 'current' ? item.revenue : (item.compare[p.tag as Exclude<typeof p.tag, 'current'>] ?? 0)));
    const total = revenues.reduce((a, b) => a + b, 0) || 1;
    let at = 0;
    m.breakdowns[dim].forEach((item, i) => {
      const share = (revenues[i] ?? 0) / total;
      values.push({ period: p.label, name: item.name, revenue: revenues[i] ?? 0, start: at, end: at + share, mid: at + share / 2, share, label: share >= 0.07 ? `${Math.round(share * 100)}%` : '' });
      at += share;
    });
  }
  return {
    series: names,
    spec: {
      ...base(`${DIMENSION_TITLES[dim]} mix: share of revenue`, periods.map((p) => p.label).join(', ')),
      width: WIDTH - 100,
      height: { step: 34 },
      data: { values },
      encoding: {
        y: { field: 'period', type: 'nominal', sort: periods.map((p) => p.label), title: 'Period' },
        x: { field: 'start', type: 'quantitative', title: 'Share of revenue (%)', axis: { format: '.0%' }, scale: { domain: [0, 1] } },
        tooltip: [{ field: 'period', title: 'Period' }, { field: 'name', title: DIMENSION_TITLES[dim] }, { field: 'revenue', format: '$,.0f', title: 'Revenue' }, { field: 'share', format: '.1%', title: 'Share' }],
      },
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            x2: { field: 'end' },
            color: { field: 'name', type: 'nominal', title: null, sort: names, scale: { domain: names, range: CHANNEL_COLORS.slice(0, names.length) } },
          },
        },
        {
          mark: { type: 'text', fontSize: 11, fontWeight: 600 },
          encoding: {
            x: { field: 'mid', type: 'quantitative' },
            text: { field: 'label' },
            color: { condition: { test: `indexof(${JSON.stringify(names.slice(0, 2))}, datum.name) >= 0`, value: 'white' }, value: '#1b2733' },
          },
        },
      ],
    } as TopLevelSpec,
  };
}

interface Planned {
  id: string;
  description: string;
  make: () => { spec: TopLevelSpec; series: string[] } | undefined;
}

/** Builds and renders the charts for a metrics artifact: at least four, the goal's breakdowns first. */
export async function buildCharts(m: Metrics, signal?: AbortSignal): Promise<Charts> {
  const against = m.comparisons.find((p) => p.tag === m.primaryComparison);
  const planned: Planned[] = [
    { id: 'monthly-revenue', description: `Revenue per month over the last ${m.monthly.length} months, with ${m.period.label} highlighted.`, make: () => monthlyChart(m) },
  ];
  const extra: Record<Dimension, Planned> = {
    region: { id: 'revenue-by-region', description: `Revenue per region in ${m.period.label}${against ? ` next to ${shownPeriods(m).slice(1).map((p) => p.label).join(' and ')}` : ''}.`, make: () => comparisonBars(m, 'region', 'revenue') },
    product: against
      ? { id: 'product-change', description: `How much each product's revenue grew or shrank in ${m.period.label} compared with ${against.label}.`, make: () => changeChart(m, 'product') }
      : { id: 'revenue-by-product', description: `Revenue per product in ${m.period.label}.`, make: () => comparisonBars(m, 'product', 'revenue') },
    channel: { id: 'channel-mix', description: 'Share of revenue from each sales channel, per period.', make: () => mixChart(m, 'channel') },
    segment: { id: 'segment-mix', description: 'Share of revenue from each customer segment, per period.', make: () => mixChart(m, 'segment') },
    category: { id: 'revenue-by-category', description: `Revenue per product category in ${m.period.label}.`, make: () => comparisonBars(m, 'category', 'revenue') },
    country: { id: 'revenue-by-country', description: `Revenue of the ten largest countries in ${m.period.label}.`, make: () => comparisonBars(m, 'country', 'revenue', 10) },
  };
  const order: Dimension[] = [...m.focus, 'region', 'product', 'channel'];
  for (const dim of order) if (!planned.some((p) => p.id === extra[dim].id)) planned.push(extra[dim]);
  planned.push({ id: 'margin-by-region', description: `Gross margin of each region in ${m.period.label}.`, make: () => comparisonBars(m, 'region', 'grossMargin') });

  const charts: Chart[] = [];
  for (const p of planned) {
    signal?.throwIfAborted();
    const made = p.make();
    if (!made) continue;
    const title = (made.spec.title as { text: string }).text;
    charts.push({ id: p.id, title, description: p.description, spec: made.spec as unknown as Record<string, unknown>, svg: await renderSvg(made.spec), series: made.series });
  }
  return { period: m.period.label, charts };
}
