/**
 * The artifacts of the sales report workflow, as TypeScript types. Their JSON Schemas live in
 * `../schemas/` and are what the orchestrator validates against; keep the two in step.
 */
import type { Coverage, Dimension, PeriodDef, PeriodTag } from './period.ts';

/** Sums over a group of orders. Revenue is net of discount; cost is the cost of goods. */
export interface Totals {
  orders: number;
  units: number;
  /** List price times units, before discount (USD). */
  grossSales: number;
  /** Net revenue after discount (USD). */
  revenue: number;
  cost: number;
}

/** One cell of the sales cube: orders of one period, month, region, product, channel and segment. */
export interface SalesRow extends Totals {
  period: PeriodTag;
  /** `YYYY-MM`. */
  month: string;
  region: string;
  product: string;
  category: string;
  channel: string;
  segment: string;
}

export interface CountryRow extends Totals {
  period: PeriodTag;
  region: string;
  country: string;
}

/** Monthly totals for the trailing 24 months up to the end of the current period (for the trend). */
export interface TrendRow extends Totals {
  month: string;
  region: string;
}

export interface QueryRecord {
  name: string;
  sql: string;
  params: (string | number)[];
  rowCount: number;
  durationMs: number;
}

/** The `sales-dataset` artifact. */
export interface SalesDataset {
  source: { database: string; table: string; coverage: Coverage; totalOrders: number; currency: 'USD' };
  request: {
    goal: string;
    current: PeriodDef;
    comparisons: PeriodDef[];
    primaryComparison?: Exclude<PeriodTag, 'current'>;
    focus: Dimension[];
    fallback: boolean;
  };
  periods: PeriodDef[];
  rows: SalesRow[];
  countries: CountryRow[];
  trend: TrendRow[];
  queries: QueryRecord[];
  notes: string[];
}

/** A KPI in the current period and each comparison period. */
export interface Kpi {
  value: number;
  /** Value in each comparison period, by tag. */
  compare: Partial<Record<Exclude<PeriodTag, 'current'>, number>>;
  /** Relative change vs each comparison (0.05 = +5%), or for ratios the change in points (0.012 = +1.2 pts). */
  change: Partial<Record<Exclude<PeriodTag, 'current'>, number>>;
}

export type KpiName = 'revenue' | 'units' | 'orders' | 'grossProfit' | 'grossMargin' | 'averageOrderValue' | 'averageDiscount';

/** One member of a breakdown (a region, a product...). */
export interface BreakdownItem {
  name: string;
  revenue: number;
  units: number;
  orders: number;
  grossMargin: number;
  /** Share of the period's revenue (0..1). */
  share: number;
  compare: Partial<Record<Exclude<PeriodTag, 'current'>, number>>;
  change: Partial<Record<Exclude<PeriodTag, 'current'>, number>>;
  /** Present for countries. */
  region?: string;
}

export interface MonthPoint {
  month: string;
  revenue: number;
  units: number;
  orders: number;
  grossMargin: number;
  /** True when the month is inside the current period. */
  inPeriod: boolean;
}

export interface Mover {
  dimension: Dimension;
  name: string;
  /** Compared with which period. */
  against: Exclude<PeriodTag, 'current'>;
  from: number;
  to: number;
  delta: number;
  /** Relative change; absent when `from` is 0 (a launch). */
  change?: number;
  kind: 'new' | 'gone' | 'up' | 'down';
}

/** The `metrics` artifact. */
export interface Metrics {
  currency: 'USD';
  period: PeriodDef;
  comparisons: PeriodDef[];
  primaryComparison?: Exclude<PeriodTag, 'current'>;
  coverage: Coverage;
  focus: Dimension[];
  kpis: Record<KpiName, Kpi>;
  breakdowns: Record<Dimension, BreakdownItem[]>;
  top: Partial<Record<Dimension, string>>;
  bottom: Partial<Record<Dimension, string>>;
  monthly: MonthPoint[];
  movers: Mover[];
  notes: string[];
}

export interface Chart {
  id: string;
  title: string;
  description: string;
  /** The Vega-Lite spec the SVG was rendered from. */
  spec: Record<string, unknown>;
  svg: string;
  /** Names of the series drawn (legend entries), for checks and alt text. */
  series: string[];
}

/** The `charts` artifact. */
export interface Charts {
  period: string;
  charts: Chart[];
}

/** A number quoted in the summary and where in the metrics it comes from. */
export interface Evidence {
  /** The text as it appears in the summary, e.g. `$14.5M` or `+8.2%`. */
  text: string;
  /** JSON pointer into the metrics artifact, e.g. `/kpis/revenue/value`. */
  pointer: string;
  value: number;
  /** How `value` was written as `text` (see lib/format.ts): sizes are shown without sign. */
  format: NumberFormat;
}

export type NumberFormat = 'usd' | 'percent' | 'points' | 'count';

export interface Finding {
  text: string;
  evidence: Evidence[];
}

/** The `summary` artifact. */
export interface Summary {
  period: string;
  headline: Finding;
  findings: Finding[];
  risks: Finding[];
  actions: Finding[];
  method: 'deterministic' | 'llm';
}
