import { UnrecoverableAgentError } from '../../../packages/core/src/core/errors.ts';
import { describe, expect, it } from 'vitest';
import type { SqliteDatabase } from 'batonjs';
import { SalesDb, assertSingleSelect } from '../lib/sales-db.ts';
import { sampleDatabase } from './support.ts';

describe('read-only SQL access of the data agent', () => {
  it.each([
    'INSERT INTO orders (order_date) VALUES (\'2026-01-01\')',
    'DELETE FROM orders',
    'UPDATE orders SET units = 0',
    'DROP TABLE orders',
    'PRAGMA writable_schema = 1',
    "ATTACH DATABASE '/tmp/x.db' AS x",
    'SELECT 1; DELETE FROM orders',
    '/* sneaky */ delete from orders',
  ])('rejects %s', (sql) => {
    const db = SalesDb.open(sampleDatabase());
    try {
      expect(() => db.select(sql)).toThrow(UnrecoverableAgentError);
      expect(() => assertSingleSelect(sql)).toThrow(/SELECT/);
    } finally {
      db.close();
    }
  });

  it('runs a single SELECT (or WITH ... SELECT) with bound parameters', () => {
    const db = SalesDb.open(sampleDatabase());
    try {
      const rows = db.select<{ n: number }>('WITH q AS (SELECT * FROM orders WHERE order_date BETWEEN ? AND ?) SELECT COUNT(*) AS n FROM q;', ['2026-04-01', '2026-06-30']);
      expect(rows[0]?.n).toBeGreaterThan(1000);
      expect(db.select<{ s: string }>("SELECT 'a;b' AS s")[0]?.s).toBe('a;b');
    } finally {
      db.close();
    }
  });

  it('opens the connection read-only: even a write that slipped past the checks fails', () => {
    const db = SalesDb.open(sampleDatabase());
    try {
      // Reach the underlying connection, as a bug in the agent might.
      const raw = (db as unknown as { db: SqliteDatabase }).db;
      expect(() => raw.prepare("DELETE FROM orders WHERE order_date < '2000-01-01'").run()).toThrow(/readonly|read-only|query_only/i);
    } finally {
      db.close();
    }
  });

  it('refuses results over the row limit instead of truncating them', () => {
    const db = SalesDb.open(sampleDatabase());
    try {
      expect(() => db.select('SELECT order_id FROM orders', [], { maxRows: 1000 })).toThrow(/more than 1000 rows/);
      expect(db.select('SELECT order_id FROM orders LIMIT 1000', [], { maxRows: 1000 })).toHaveLength(1000);
    } finally {
      db.close();
    }
  });

  it('stops when the signal is aborted', () => {
    const db = SalesDb.open(sampleDatabase());
    try {
      expect(() => db.select('SELECT 1', [], { signal: AbortSignal.abort() })).toThrow();
    } finally {
      db.close();
    }
  });

  it('names the file and the fix when the database is missing', () => {
    expect(() => SalesDb.open('/nonexistent/sales.sqlite')).toThrow(/npm run sample-data/);
  });
});
