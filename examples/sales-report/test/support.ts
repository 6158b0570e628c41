/** Shared helpers for the sales report tests: the sample database and independent SQL recomputation. */
import { openSqlite as openDatabase } from '../../../packages/core/src/store/sqlite-driver.ts';
import { DEFAULT_DATABASE, ensureSalesDatabase } from '../data/generate.ts';

/** The sample database the agents use by default (generated on first use, gitignored). */
export function sampleDatabase(): string {
  return ensureSalesDatabase(DEFAULT_DATABASE);
}

export interface SqlTotals {
  revenue: number;
  units: number;
  orders: number;
  cost: number;
  grossSales: number;
}

/**
 * Totals of a date range straight from the orders table, written independently of the agents' code
 * (no shared helpers), optionally for one value of one column.
 */
export function sqlTotals(file: string, start: string, end: string, where?: { column: 'region' | 'product' | 'channel' | 'segment' | 'country' | 'category'; value: string }): SqlTotals {
  const db = openDatabase(file, { readonly: true });
  try {
    const filter = where ? ` AND ${where.column} = ?` : '';
    const params: string[] = where ? [start, end, where.value] : [start, end];
    return db
      .prepare(
        `SELECT COALESCE(SUM(units * unit_price * (1 - discount)), 0) AS revenue, COALESCE(SUM(units), 0) AS units, COUNT(*) AS orders,
                COALESCE(SUM(cost), 0) AS cost, COALESCE(SUM(units * unit_price), 0) AS grossSales
           FROM orders WHERE order_date >= ? AND order_date <= ?${filter}`,
      )
      .get(...params) as unknown as SqlTotals;
  } finally {
    db.close();
  }
}
