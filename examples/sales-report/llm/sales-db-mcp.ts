/**
 * A read-only SQL MCP server over the sales database (stdio), the data agent's tool in LLM mode:
 *   node --import tsx llm/sales-db-mcp.ts
 * - `describe_database`: the `orders` table's columns, the dates it covers, and the values of its
 *   small text columns, so a model can write SQL from the schema;
 * - `run_select`: runs ONE SELECT with `?` parameters on a read-only connection and returns at
 *   most 50 rows (a preview for trying queries). Anything else is refused: the connection is
 *   read-only, `query_only` is on, and `assertSingleSelect` rejects other statements.
 * The database is `BATON_SALES_DB`, else the example's `data/sales.sqlite` (created on first use).
 */
import { pathToFileURL } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { salesDatabaseFile } from '../lib/extract.ts';
import { assertSingleSelect, SalesDb } from '../lib/sales-db.ts';

/** Rows a `run_select` call shows. */
export const PREVIEW_ROWS = 50;
const LISTED_COLUMNS = ['region', 'country', 'product', 'category', 'channel', 'segment'];

type Result = { content: { type: 'text'; text: string }[]; isError?: boolean };
const reply = (value: unknown): Result => ({ content: [{ type: 'text', text: JSON.stringify(value) }] });
const refuse = (message: string): Result => ({ content: [{ type: 'text', text: message }], isError: true });

/** The description of the database a model writes its SQL from. */
export function describeDatabase(db: SalesDb): Record<string, unknown> {
  const columns = db.select<{ name: string; type: string }>("SELECT name, type FROM pragma_table_info('orders')");
  const values: Record<string, string[]> = {};
  for (const column of LISTED_COLUMNS) {
    values[column] = db.select<{ v: string }>(`SELECT DISTINCT ${column} AS v FROM orders ORDER BY 1`).map((r) => r.v);
  }
  return {
    dialect: 'SQLite',
    table: 'orders',
    grain: 'one row per order line',
    columns,
    notes: [
      'order_date is TEXT in ISO format YYYY-MM-DD; substr(order_date, 1, 7) gives the month YYYY-MM.',
      'gross sales = units * unit_price; revenue (net of discount) = units * unit_price * (1 - discount); cost is the line cost.',
    ],
    coverage: db.coverage(),
    values,
  };
}

/** Runs one SELECT and returns a preview of its result. */
export function previewSelect(db: SalesDb, sql: string, params: (string | number)[]): Record<string, unknown> {
  assertSingleSelect(sql);
  const body = sql.trim().replace(/;\s*$/, '');
  const rows = db.select<Record<string, unknown>>(`SELECT * FROM (${body}) LIMIT ${PREVIEW_ROWS + 1}`, params);
  return { columns: Object.keys(rows[0] ?? {}), rows: rows.slice(0, PREVIEW_ROWS), truncated: rows.length > PREVIEW_ROWS };
}

async function main(): Promise<void> {
  const db = SalesDb.open(salesDatabaseFile());
  const server = new McpServer({ name: 'sales-db', version: '1.0.0' });
  server.registerTool(
    'describe_database',
    { description: 'Describes the sales database: the orders table, its columns, the dates covered and the values of its text columns.', inputSchema: {} },
    () => reply(describeDatabase(db)),
  );
  server.registerTool(
    'run_select',
    {
      description: `Runs one read-only SELECT on the sales database with positional ? parameters and returns at most ${PREVIEW_ROWS} rows. Use it to try a query before you answer.`,
      inputSchema: { sql: z.string().describe('One SELECT statement (or WITH ... SELECT).'), params: z.array(z.union([z.string(), z.number()])).optional().describe('Values for the ? placeholders, in order.') },
    },
    ({ sql, params }) => {
      try {
        return reply(previewSelect(db, sql, params ?? []));
      } catch (e) {
        return refuse((e as Error).message);
      }
    },
  );
  const close = (): void => {
    db.close();
    process.exit(0);
  };
  process.stdin.on('end', close);
  process.on('SIGTERM', close);
  await server.connect(new StdioServerTransport());
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
