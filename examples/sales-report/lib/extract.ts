/**
 * The data agent's work, shared by its module form (`agents/data.ts`) and its command form
 * (`agents/data-cli.ts`): read the period (the `period` run parameter, else the goal), query the sales database read-only and
 * return the `sales-dataset` artifact.
 */
import { basename } from 'node:path';
import { UnrecoverableAgentError } from 'batonjs/agent';
import type { AgentInput } from 'batonjs/agent';
import { DEFAULT_DATABASE, ensureSalesDatabase } from '../data/generate.ts';
import type { CountryRow, QueryRecord, SalesDataset, SalesRow, TrendRow } from './artifacts.ts';
import { monthEnd, monthStart, yearMonth } from './calendar.ts';
import { allPeriods, periodRequestFor } from './period.ts';
import type { PeriodDef } from './period.ts';
import { SalesDb } from './sales-db.ts';
import type { SqlParam } from './sales-db.ts';

/** The database file: `BATON_SALES_DB`, else `data/sales.sqlite` of this example (created when missing). */
export function salesDatabaseFile(env: NodeJS.ProcessEnv = process.env): string {
  return ensureSalesDatabase(env['BATON_SALES_DB'] || DEFAULT_DATABASE);
}

const TOTALS = `COUNT(*) AS orders, SUM(units) AS units, SUM(units * unit_price) AS grossSales,
       SUM(units * unit_price * (1 - discount)) AS revenue, SUM(cost) AS cost`;

/** One SELECT: a UNION ALL of one branch per period, so overlapping periods each get their rows. */
function byPeriod(periods: PeriodDef[], columns: string, groupBy: string): { sql: string; params: SqlParam[] } {
  const branches = periods.map(
    (p) => `SELECT '${p.tag}' AS period, ${columns}, ${TOTALS}
  FROM orders WHERE order_date BETWEEN ? AND ?
  GROUP BY ${groupBy}`,
  );
  return { sql: `${branches.join('\nUNION ALL\n')}\nORDER BY 1, 2`, params: periods.flatMap((p) => [p.start, p.end]) };
}

/**
 * Builds the dataset for a goal. Throws `UnrecoverableAgentError` when the period asked for has no
 * data (retrying cannot help): the message names the period and the range the data covers.
 */
export function extractSalesDataset(input: Pick<AgentInput, 'goal'> & { task?: Partial<AgentInput['task']>; params?: Record<string, unknown> }, options: { dbFile?: string; signal?: AbortSignal } = {}): SalesDataset {
  const file = options.dbFile ?? salesDatabaseFile();
  const db = SalesDb.open(file);
  try {
    const signal = options.signal;
    const coverage = db.coverage();
    const request = periodRequestFor(input, { start: coverage.start, end: coverage.end });
    if (request.noData) throw new UnrecoverableAgentError(request.noData);
    const periods = allPeriods(request);
    const queries: QueryRecord[] = [];
    const run = <T>(name: string, q: { sql: string; params: SqlParam[] }): T[] => {
      const started = performance.now();
      const rows = db.select<T>(q.sql, q.params, signal ? { signal } : {});
      queries.push({ name, sql: q.sql, params: q.params, rowCount: rows.length, durationMs: Math.round(performance.now() - started) });
      return rows;
    };

    const rows = run<SalesRow>(
      'sales by period, month, region, product, channel and segment',
      byPeriod(
        periods,
        'substr(order_date, 1, 7) AS month, region, product, category, channel, segment',
        'month, region, product, category, channel, segment',
      ),
    );
    const countries = run<CountryRow>('sales by period and country', byPeriod(periods, 'region, country', 'region, country'));
    const end = yearMonth(request.current.end);
    const trendRange = { start: monthStart(end.year, end.month - 23), end: monthEnd(end.year, end.month) };
    const trend = run<TrendRow>('monthly trend, trailing 24 months', {
      sql: `SELECT substr(order_date, 1, 7) AS month, region, ${TOTALS}
  FROM orders WHERE order_date BETWEEN ? AND ?
  GROUP BY month, region ORDER BY month, region`,
      params: [trendRange.start, trendRange.end],
    });

    if (!rows.some((r) => r.period === 'current')) {
      throw new UnrecoverableAgentError(
        `No sales data for ${request.current.label} (${request.current.start} to ${request.current.end}): ` +
          `the sales database covers ${coverage.start} to ${coverage.end} but has no orders in that period.`,
      );
    }
    const dataset: SalesDataset = {
      source: { database: basename(file), table: 'orders', coverage: { start: coverage.start, end: coverage.end }, totalOrders: coverage.orders, currency: 'USD' },
      request: {
        goal: input.goal,
        current: request.current,
        comparisons: request.comparisons,
        focus: request.focus,
        fallback: request.fallback,
      },
      periods,
      rows,
      countries,
      trend,
      queries,
      notes: request.notes,
    };
    if (request.primaryComparison) dataset.request.primaryComparison = request.primaryComparison;
    return dataset;
  } finally {
    db.close();
  }
}
