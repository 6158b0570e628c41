/**
 * Data runner (kind module, LLM mode): runs the SELECTs the LLM data agent wrote (`sales-sql`)
 * on a read-only connection, one single SELECT at a time, for each period the goal asks for, and
 * returns the same `sales-dataset` artifact as the deterministic data agent. The period is read
 * from the goal by the same code as in the deterministic mode; only the SQL comes from the model.
 */
import { basename } from 'node:path';
import type { AgentContext, AgentInput, AgentOutput } from 'batonjs/agent';
import { UnrecoverableAgentError } from 'batonjs/agent';
import type { CountryRow, QueryRecord, SalesDataset, SalesRow, TrendRow } from '../lib/artifacts.ts';
import { monthEnd, monthStart, yearMonth } from '../lib/calendar.ts';
import { salesDatabaseFile } from '../lib/extract.ts';
import { allPeriods, parsePeriodRequest } from '../lib/period.ts';
import { SalesDb } from '../lib/sales-db.ts';

/** The statements the LLM data agent produces. */
export interface SalesSql {
  rows: string;
  countries: string;
  trend: string;
  notes?: string[];
}

const TOTALS = ['orders', 'units', 'grossSales', 'revenue', 'cost'];
export const REQUIRED_COLUMNS = {
  rows: ['month', 'region', 'product', 'category', 'channel', 'segment', ...TOTALS],
  countries: ['region', 'country', ...TOTALS],
  trend: ['month', 'region', ...TOTALS],
} as const;

/** Builds the dataset for a goal from the model's SQL. */
export function runSalesSql(goal: string, sql: SalesSql, options: { dbFile?: string; signal?: AbortSignal } = {}): SalesDataset {
  const file = options.dbFile ?? salesDatabaseFile();
  const db = SalesDb.open(file);
  try {
    const coverage = db.coverage();
    const request = parsePeriodRequest(goal, { start: coverage.start, end: coverage.end });
    if (request.noData) throw new UnrecoverableAgentError(request.noData);
    const periods = allPeriods(request);
    const queries: QueryRecord[] = [];
    const run = <T>(name: keyof typeof REQUIRED_COLUMNS, label: string, params: [string, string]): T[] => {
      const started = performance.now();
      const rows = db.select<T & Record<string, unknown>>(sql[name], params, options.signal ? { signal: options.signal } : {});
      queries.push({ name: `${name}: ${label}`, sql: sql[name], params, rowCount: rows.length, durationMs: Math.round(performance.now() - started) });
      const first = rows[0];
      const missing = first ? REQUIRED_COLUMNS[name].filter((c) => !(c in first)) : [];
      if (missing.length > 0) {
        throw new UnrecoverableAgentError(`the ${name} query must return the columns ${REQUIRED_COLUMNS[name].join(', ')}; it lacks ${missing.join(', ')}`);
      }
      return rows;
    };
    const rows: SalesRow[] = [];
    const countries: CountryRow[] = [];
    for (const p of periods) {
      for (const r of run<Omit<SalesRow, 'period'>>('rows', p.label, [p.start, p.end])) rows.push({ period: p.tag, ...r });
      for (const r of run<Omit<CountryRow, 'period'>>('countries', p.label, [p.start, p.end])) countries.push({ period: p.tag, ...r });
    }
    const end = yearMonth(request.current.end);
    const trend = run<TrendRow>('trend', 'trailing 24 months', [monthStart(end.year, end.month - 23), monthEnd(end.year, end.month)]);
    if (!rows.some((r) => r.period === 'current')) {
      throw new UnrecoverableAgentError(`No sales data for ${request.current.label} (${request.current.start} to ${request.current.end}): the database covers ${coverage.start} to ${coverage.end}.`);
    }
    const dataset: SalesDataset = {
      source: { database: basename(file), table: 'orders', coverage: { start: coverage.start, end: coverage.end }, totalOrders: coverage.orders, currency: 'USD' },
      request: { goal, current: request.current, comparisons: request.comparisons, focus: request.focus, fallback: request.fallback },
      periods,
      rows,
      countries,
      trend,
      queries,
      notes: [...request.notes, ...(sql.notes ?? []), 'SQL written by the LLM data agent from the database schema.'],
    };
    if (request.primaryComparison) dataset.request.primaryComparison = request.primaryComparison;
    return dataset;
  } finally {
    db.close();
  }
}

export default function dataRunner(input: AgentInput, ctx: AgentContext): AgentOutput {
  ctx.signal.throwIfAborted();
  const sql = input.inputs['sales-sql'] as SalesSql | undefined;
  if (!sql || typeof sql.rows !== 'string' || typeof sql.countries !== 'string' || typeof sql.trend !== 'string') {
    throw new UnrecoverableAgentError('the data runner needs a "sales-sql" input with rows, countries and trend statements.');
  }
  return { 'sales-dataset': runSalesSql(input.goal, sql, { signal: ctx.signal }) };
}
