import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqlValue } from '../../../packages/core/src/store/sqlite-driver.ts';
import { openSqlite as openDatabase } from '../../../packages/core/src/store/sqlite-driver.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { GENERATOR_VERSION, generateSalesDatabase, generatorVersionOf } from '../data/generate.ts';
import { sampleDatabase } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'baton-sales-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fingerprint(file: string): string {
  const db = openDatabase(file, { readonly: true });
  try {
    const hash = createHash('sha256');
    for (const row of db.prepare('SELECT * FROM orders ORDER BY order_id').iterate()) hash.update(JSON.stringify(row));
    return hash.digest('hex');
  } finally {
    db.close();
  }
}

function query<T>(file: string, sql: string, ...params: SqlValue[]): T[] {
  const db = openDatabase(file, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

const revenue = 'SUM(units * unit_price * (1 - discount))';

describe('sample data generator', () => {
  it('is deterministic: the same seed gives the same orders, another seed different ones', () => {
    const a = generateSalesDatabase(join(dir, 'a.sqlite'), { years: 1 });
    const b = generateSalesDatabase(join(dir, 'b.sqlite'), { years: 1 });
    const c = generateSalesDatabase(join(dir, 'c.sqlite'), { years: 1, seed: 7 });
    expect(a.rows).toBe(b.rows);
    expect(fingerprint(a.file)).toBe(fingerprint(b.file));
    expect(fingerprint(c.file)).not.toBe(fingerprint(a.file));
    expect(a.start).toBe('2025-01-01');
    expect(a.end).toBe('2026-09-30');
  });

  it('writes at least two full years and 50,000 orders with every required column, ending 2026-09-30', () => {
    const file = sampleDatabase();
    const [range] = query<{ start: string; end: string; n: number }>(file, 'SELECT MIN(order_date) AS start, MAX(order_date) AS end, COUNT(*) AS n FROM orders');
    expect(range).toMatchObject({ start: '2023-01-01', end: '2026-09-30' });
    expect(range?.n).toBeGreaterThanOrEqual(50_000);
    const columns = query<{ name: string }>(file, 'PRAGMA table_info(orders)').map((c) => c.name);
    expect(columns).toEqual(expect.arrayContaining(['order_date', 'region', 'country', 'product', 'category', 'channel', 'segment', 'units', 'unit_price', 'discount', 'cost']));
    const [bad] = query<{ n: number }>(file, 'SELECT COUNT(*) AS n FROM orders WHERE units < 1 OR unit_price <= 0 OR discount < 0 OR discount >= 1 OR cost <= 0');
    expect(bad?.n).toBe(0);
    expect(generatorVersionOf(file)).toBe(GENERATOR_VERSION);
  });

  it('has a story: seasonality, a growing and a declining region, a launch and a declining product', () => {
    const file = sampleDatabase();
    const byRegionYear = (region: string, from: string, to: string): number =>
      query<{ r: number }>(file, `SELECT ${revenue} AS r FROM orders WHERE region = ? AND order_date BETWEEN ? AND ?`, region, from, to)[0]?.r ?? 0;
    // Asia Pacific grows strongly year on year; Latin America shrinks.
    expect(byRegionYear('Asia Pacific', '2025-10-01', '2026-09-30') / byRegionYear('Asia Pacific', '2024-10-01', '2025-09-30')).toBeGreaterThan(1.25);
    expect(byRegionYear('Latin America', '2025-10-01', '2026-09-30') / byRegionYear('Latin America', '2024-10-01', '2025-09-30')).toBeLessThan(0.9);
    // The Aero 14 AI Laptop is launched in October 2025 (no sales before); the Slate 10 Tablet fades.
    const launch = query<{ first: string }>(file, "SELECT MIN(order_date) AS first FROM orders WHERE product = 'Aero 14 AI Laptop'")[0];
    expect(launch?.first.slice(0, 7)).toBe('2025-10');
    const slate = (from: string, to: string): number => query<{ r: number }>(file, `SELECT ${revenue} AS r FROM orders WHERE product = 'Slate 10 Tablet' AND order_date BETWEEN ? AND ?`, from, to)[0]?.r ?? 0;
    expect(slate('2026-01-01', '2026-06-30')).toBeLessThan(0.5 * slate('2024-01-01', '2024-06-30'));
    // December outsells January every year (holiday peak vs. slow start).
    const months = query<{ m: string; r: number }>(file, `SELECT substr(order_date, 1, 7) AS m, ${revenue} AS r FROM orders GROUP BY m`);
    const rev = new Map(months.map((x) => [x.m, x.r]));
    for (const y of [2023, 2024, 2025]) expect(rev.get(`${y}-12`) ?? 0).toBeGreaterThan(1.3 * (rev.get(`${y}-01`) ?? 0));
  });

  it('leaves no temporary files behind', () => {
    expect(readdirSync(join(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
