import { afterAll, describe, expect, it } from 'vitest';
import { extractSalesDataset } from '../../../examples/sales-report/lib/extract.ts';
import { computeMetrics } from '../../../examples/sales-report/lib/metrics.ts';
import { SalesDb } from '../../../examples/sales-report/lib/sales-db.ts';
import { writeSummary } from '../../../examples/sales-report/lib/summary-text.ts';
import { runSalesSql } from '../../../examples/sales-report/llm/run-sales-sql.ts';
import { describeDatabase, PREVIEW_ROWS, previewSelect } from '../../../examples/sales-report/llm/sales-db-mcp.ts';
import { checkSummaryNumbers } from '../../../examples/sales-report/llm/summary-numbers.ts';
import { sampleDatabase } from '../../../examples/sales-report/test/support.ts';

const file = sampleDatabase();
const db = SalesDb.open(file);
afterAll(() => db.close());

const T = 'COUNT(*) AS orders, SUM(units) AS units, SUM(units * unit_price) AS grossSales, SUM(units * unit_price * (1 - discount)) AS revenue, SUM(cost) AS cost';
const SQL = {
  rows: `SELECT substr(order_date, 1, 7) AS month, region, product, category, channel, segment, ${T} FROM orders WHERE order_date BETWEEN ? AND ? GROUP BY 1, 2, 3, 4, 5, 6`,
  countries: `SELECT region, country, ${T} FROM orders WHERE order_date BETWEEN ? AND ? GROUP BY 1, 2`,
  trend: `SELECT substr(order_date, 1, 7) AS month, region, ${T} FROM orders WHERE order_date BETWEEN ? AND ? GROUP BY 1, 2`,
};
const goal = 'Q2 2026 sales report vs last year';

describe('sales-db MCP server tools', () => {
  it('describes the orders table for writing SQL', () => {
    const d = describeDatabase(db);
    expect(d.table).toBe('orders');
    expect((d.columns as { name: string }[]).map((c) => c.name)).toContain('unit_price');
    expect((d.values as Record<string, string[]>).channel).toContain('Online');
  });

  it('runs one SELECT as a bounded preview and refuses everything else', () => {
    const preview = previewSelect(db, 'SELECT order_id FROM orders ORDER BY order_id', []);
    expect(preview.rows).toHaveLength(PREVIEW_ROWS);
    expect(preview.truncated).toBe(true);
    expect(() => previewSelect(db, 'DELETE FROM orders', [])).toThrow(/only runs SELECT statements/);
    expect(() => previewSelect(db, 'SELECT 1; DELETE FROM orders', [])).toThrow(/single SELECT/);
    expect(() => previewSelect(db, "WITH x AS (SELECT 1) INSERT INTO orders(order_id) SELECT * FROM x", [])).toThrow();
  });
});

describe('data runner', () => {
  it("builds from the model's SQL the same dataset totals as the deterministic extractor", () => {
    const fromModel = computeMetrics(runSalesSql(goal, SQL, { dbFile: file }));
    const fixed = computeMetrics(extractSalesDataset({ goal }, { dbFile: file }));
    expect(fromModel.kpis).toEqual(fixed.kpis);
    expect(fromModel.breakdowns).toEqual(fixed.breakdowns);
  });

  it('says which columns a query lacks', () => {
    expect(() => runSalesSql(goal, { ...SQL, countries: `SELECT region, ${T} FROM orders WHERE order_date BETWEEN ? AND ? GROUP BY 1` }, { dbFile: file })).toThrow(
      'the countries query must return the columns region, country, orders, units, grossSales, revenue, cost; it lacks country',
    );
  });
});

describe('summary number check', () => {
  const metrics = computeMetrics(extractSalesDataset({ goal }, { dbFile: file }));

  it('accepts a summary whose every number comes from the metrics', () => {
    expect(checkSummaryNumbers(writeSummary(metrics), metrics)).toEqual([]);
  });

  it('rejects a wrong value, a misquoted number and a number without evidence', () => {
    const s = writeSummary(metrics);
    const e = s.headline.evidence[0]!;
    s.headline.evidence[0] = { ...e, value: e.value * 2 };
    s.findings[0]!.evidence[0]!.text = '12345%';
    s.actions[0]!.text += ' Aim for 99.9% growth.';
    const problems = checkSummaryNumbers(s, metrics);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^headline: evidence \/kpis\/revenue\/value says .*, but the metrics hold/),
        expect.stringMatching(/^findings\[0\]: .* must be written ".*", not "12345%"/),
        'actions[0]: "99.9%" is not backed by evidence from the metrics; add its evidence or remove it',
      ]),
    );
  });
});
