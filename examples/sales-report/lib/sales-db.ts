/**
 * Read-only SQL access to the sales database. Three fences: the connection is opened read-only
 * (SQLite refuses writes), `query_only` is set, and each call accepts exactly one SELECT statement
 * whose result may not exceed a row limit (rows are never silently dropped: a larger result is an
 * error, because a truncated dataset would give wrong totals).
 */
import { openSqlite, sqliteErrorCode, UnrecoverableAgentError } from 'batonjs/agent';
import type { SqliteDatabase, SqliteStatement } from 'batonjs/agent';
import type { Coverage } from './period.ts';

export const DEFAULT_MAX_ROWS = 50_000;

export interface SelectOptions {
  maxRows?: number;
  signal?: AbortSignal;
}

export type SqlParam = string | number;

/** Rejects anything that is not one SELECT (or WITH ... SELECT) statement. */
export function assertSingleSelect(sql: string): void {
  const body = sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .trim()
    .replace(/;\s*$/, '');
  if (!/^(select|with)\b/i.test(body)) {
    throw new UnrecoverableAgentError(
      `the data agent only runs SELECT statements; refused: ${JSON.stringify(sql.trim().slice(0, 80))}. Rewrite it as a single SELECT.`,
    );
  }
  if (body.includes(';')) {
    // A semicolon inside a string literal is harmless; SQLite's own parser (in `select`) has the final word.
    const outsideStrings = body.replace(/'(?:[^']|'')*'/g, "''");
    if (outsideStrings.includes(';')) {
      throw new UnrecoverableAgentError('the data agent runs a single SELECT statement per query; found several separated by ";".');
    }
  }
}

/** A read-only connection to the sales database. */
export class SalesDb {
  private readonly db: SqliteDatabase;

  private constructor(
    readonly file: string,
    db: SqliteDatabase,
  ) {
    this.db = db;
  }

  /** Opens an existing database read-only. */
  static open(file: string): SalesDb {
    let db: SqliteDatabase;
    try {
      db = openSqlite(file, { readonly: true, fileMustExist: true });
    } catch (e) {
      throw new UnrecoverableAgentError(`cannot open the sales database ${file}: ${(e as Error).message}. Run "npm run sample-data" to create it, or set BATON_SALES_DB.`, { cause: e });
    }
    db.exec('PRAGMA query_only = ON');
    return new SalesDb(file, db);
  }

  /** Runs one SELECT with bound parameters and returns its rows (at most `maxRows`). */
  select<T>(sql: string, params: SqlParam[] = [], options: SelectOptions = {}): T[] {
    assertSingleSelect(sql);
    options.signal?.throwIfAborted();
    let stmt: SqliteStatement;
    try {
      stmt = this.db.prepare(sql);
    } catch (e) {
      throw new UnrecoverableAgentError(`invalid query: ${(e as Error).message}`, { cause: e });
    }
    const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
    const rows: T[] = [];
    let iterator: IterableIterator<Record<string, unknown>>;
    try {
      iterator = stmt.iterate(...params);
    } catch (e) {
      throw readOnlyOr(e);
    }
    for (const row of iterator as IterableIterator<T>) {
      if (rows.length >= maxRows) {
        throw new UnrecoverableAgentError(`the query returned more than ${maxRows} rows; aggregate further (GROUP BY) or narrow the period.`);
      }
      rows.push(row);
      if (rows.length % 5000 === 0) options.signal?.throwIfAborted();
    }
    return rows;
  }

  /** The date range of the orders and their count. */
  coverage(): Coverage & { orders: number } {
    const row = this.select<{ start: string | null; end: string | null; orders: number }>(
      'SELECT MIN(order_date) AS start, MAX(order_date) AS end, COUNT(*) AS orders FROM orders',
    )[0];
    if (!row || row.start === null || row.end === null) {
      throw new UnrecoverableAgentError(`the sales database ${this.file} has no orders. Run "npm run sample-data" to recreate it.`);
    }
    return { start: row.start, end: row.end, orders: row.orders };
  }

  close(): void {
    this.db.close();
  }
}

/** The connection is read-only (and `query_only`): a statement that would write fails, and says why. */
function readOnlyOr(e: unknown): Error {
  const code = sqliteErrorCode(e);
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_AUTH') {
    return new UnrecoverableAgentError('the data agent only runs read-only SELECT statements; this statement would change the database.', { cause: e });
  }
  return new UnrecoverableAgentError(`the query failed: ${(e as Error).message}`, { cause: e });
}
