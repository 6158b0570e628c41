/**
 * KPIs from a sales dataset: totals, margins and growth per period, breakdowns by every
 * dimension, the monthly trend and the notable movers. Pure: the same dataset gives the same
 * metrics, which is what the tests recompute independently with SQL.
 */
import type { BreakdownItem, Kpi, KpiName, Metrics, MonthPoint, Mover, SalesDataset, Totals } from './artifacts.ts';
import type { Dimension, PeriodTag } from './period.ts';

type CompareTag = Exclude<PeriodTag, 'current'>;

const DIMENSIONS: Dimension[] = ['region', 'country', 'product', 'category', 'channel', 'segment'];
const RATIOS: ReadonlySet<KpiName> = new Set<KpiName>(['grossMargin', 'averageDiscount']);

export const money = (n: number): number => Math.round(n * 100) / 100;
const ratio = (n: number): number => Math.round(n * 1e6) / 1e6;

const zero = (): Totals => ({ orders: 0, units: 0, grossSales: 0, revenue: 0, cost: 0 });
function add(into: Totals, row: Totals): void {
  into.orders += row.orders;
  into.units += row.units;
  into.grossSales += row.grossSales;
  into.revenue += row.revenue;
  into.cost += row.cost;
}

function kpiValues(t: Totals): Record<KpiName, number> {
  return {
    revenue: money(t.revenue),
    units: t.units,
    orders: t.orders,
    grossProfit: money(t.revenue - t.cost),
    grossMargin: t.revenue > 0 ? ratio((t.revenue - t.cost) / t.revenue) : 0,
    averageOrderValue: t.orders > 0 ? money(t.revenue / t.orders) : 0,
    averageDiscount: t.grossSales > 0 ? ratio(1 - t.revenue / t.grossSales) : 0,
  };
}

/** Relative change, or the difference in points for ratios; undefined when there is no base. */
function changeOf(name: KpiName | 'share', value: number, base: number): number | undefined {
  if (RATIOS.has(name as KpiName)) return ratio(value - base);
  return base > 0 ? ratio(value / base - 1) : undefined;
}

/** Computes the `metrics` artifact from a `sales-dataset` artifact. */
export function computeMetrics(dataset: SalesDataset): Metrics {
  const comparisonTags = dataset.periods.filter((p) => p.tag !== 'current').map((p) => p.tag as CompareTag);
  const totals = new Map<PeriodTag, Totals>(dataset.periods.map((p) => [p.tag, zero()]));
  for (const row of dataset.rows) {
    const t = totals.get(row.period);
    if (t) add(t, row);
  }
  const current = kpiValues(totals.get('current') ?? zero());
  const compared = new Map(comparisonTags.map((tag) => [tag, kpiValues(totals.get(tag) ?? zero())]));

  const kpis = {} as Record<KpiName, Kpi>;
  for (const name of Object.keys(current) as KpiName[]) {
    const kpi: Kpi = { value: current[name], compare: {}, change: {} };
    for (const [tag, values] of compared) {
      kpi.compare[tag] = values[name];
      const change = changeOf(name, current[name], values[name]);
      if (change !== undefined) kpi.change[tag] = change;
    }
    kpis[name] = kpi;
  }

  const breakdowns = {} as Record<Dimension, BreakdownItem[]>;
  for (const dim of DIMENSIONS) breakdowns[dim] = breakdown(dataset, dim, comparisonTags, current.revenue);

  const top: Partial<Record<Dimension, string>> = {};
  const bottom: Partial<Record<Dimension, string>> = {};
  for (const dim of DIMENSIONS) {
    const items = breakdowns[dim].filter((i) => i.revenue > 0);
    const first = items[0];
    const last = items[items.length - 1];
    if (first) top[dim] = first.name;
    if (last && items.length > 1) bottom[dim] = last.name;
  }

  const metrics: Metrics = {
    currency: 'USD',
    period: dataset.request.current,
    comparisons: dataset.request.comparisons,
    coverage: dataset.source.coverage,
    focus: dataset.request.focus,
    kpis,
    breakdowns,
    top,
    bottom,
    monthly: monthly(dataset),
    movers: [],
    notes: [...dataset.notes],
  };
  const primary = dataset.request.primaryComparison;
  if (primary) {
    metrics.primaryComparison = primary;
    metrics.movers = movers(breakdowns, primary);
  }
  return metrics;
}

function breakdown(dataset: SalesDataset, dim: Dimension, tags: CompareTag[], periodRevenue: number): BreakdownItem[] {
  const source: (Totals & { period: PeriodTag; region: string })[] = dim === 'country' ? dataset.countries : dataset.rows;
  const keyOf = (row: Totals & { period: PeriodTag; region: string }): string => String((row as unknown as Record<string, unknown>)[dim]);
  const groups = new Map<string, { region: string; byPeriod: Map<PeriodTag, Totals> }>();
  for (const row of source) {
    const key = keyOf(row);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { region: row.region, byPeriod: new Map() }));
    let t = g.byPeriod.get(row.period);
    if (!t) g.byPeriod.set(row.period, (t = zero()));
    add(t, row);
  }
  const items: BreakdownItem[] = [];
  for (const [name, g] of groups) {
    const cur = kpiValues(g.byPeriod.get('current') ?? zero());
    const item: BreakdownItem = {
      name,
      revenue: cur.revenue,
      units: cur.units,
      orders: cur.orders,
      grossMargin: cur.grossMargin,
      share: periodRevenue > 0 ? ratio(cur.revenue / periodRevenue) : 0,
      compare: {},
      change: {},
    };
    if (dim === 'country') item.region = g.region;
    for (const tag of tags) {
      const base = money(g.byPeriod.get(tag)?.revenue ?? 0);
      item.compare[tag] = base;
      const change = changeOf('revenue', cur.revenue, base);
      if (change !== undefined) item.change[tag] = change;
    }
    items.push(item);
  }
  return items.sort((a, b) => b.revenue - a.revenue || a.name.localeCompare(b.name));
}

function monthly(dataset: SalesDataset): MonthPoint[] {
  const byMonth = new Map<string, Totals>();
  for (const row of dataset.trend) {
    let t = byMonth.get(row.month);
    if (!t) byMonth.set(row.month, (t = zero()));
    add(t, row);
  }
  const { start, end } = dataset.request.current;
  return [...byMonth.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([month, t]) => {
      const v = kpiValues(t);
      return { month, revenue: v.revenue, units: v.units, orders: v.orders, grossMargin: v.grossMargin, inPeriod: month >= start.slice(0, 7) && month <= end.slice(0, 7) };
    });
}

/** The largest revenue swings against the headline comparison, launches and exits first among equals. */
function movers(breakdowns: Record<Dimension, BreakdownItem[]>, against: CompareTag): Mover[] {
  const all: Mover[] = [];
  for (const dim of ['region', 'product', 'channel', 'segment', 'country'] as Dimension[]) {
    for (const item of breakdowns[dim]) {
      const from = item.compare[against] ?? 0;
      const to = item.revenue;
      const delta = money(to - from);
      const change = item.change[against];
      const kind: Mover['kind'] = from === 0 ? 'new' : to === 0 ? 'gone' : delta >= 0 ? 'up' : 'down';
      if (kind === 'new' || kind === 'gone' || Math.abs(change ?? 0) >= 0.1) {
        const m: Mover = { dimension: dim, name: item.name, against, from, to, delta, kind };
        if (change !== undefined) m.change = change;
        all.push(m);
      }
    }
  }
  return all.sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || a.name.localeCompare(b.name)).slice(0, 8);
}
