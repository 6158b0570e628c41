import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BatonError } from '../core/errors.ts';

/** A value SQLite can bind or return. */
export type SqlValue = string | number | bigint | null | Uint8Array;
type Params = SqlValue[] | [Record<string, SqlValue>];

/** A prepared statement: the common part of node:sqlite's and better-sqlite3's. */
export interface SqliteStatement {
  run(...params: Params): { changes: number | bigint };
  get(...params: Params): Record<string, unknown> | undefined;
  all(...params: Params): Record<string, unknown>[];
  iterate(...params: Params): IterableIterator<Record<string, unknown>>;
}

/**
 * One SQLite connection, whichever driver opened it: `node:sqlite` where this Node has it
 * (22.13 and later, no native module to install), else `better-sqlite3` (Node 20).
 */
export interface SqliteDatabase {
  readonly driver: 'node:sqlite' | 'better-sqlite3';
  readonly open: boolean;
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  /** Runs `fn` in one `BEGIN IMMEDIATE` transaction: committed if it returns, rolled back if it throws. */
  immediate<T>(fn: () => T): T;
  /** The value of a read-only pragma, e.g. `user_version`. */
  pragmaValue(name: string): unknown;
  close(): void;
}

export interface OpenSqliteOptions {
  readonly?: boolean;
  /** Fail when the file does not exist instead of creating it. */
  fileMustExist?: boolean;
}

interface NodeSqliteModule {
  DatabaseSync: new (path: string, options?: { readOnly?: boolean; open?: boolean }) => {
    readonly isOpen?: boolean;
    exec(sql: string): void;
    prepare(sql: string): SqliteStatement;
    close(): void;
  };
}

interface BetterSqliteDatabase {
  readonly open: boolean;
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  pragma(source: string, options: { simple: true }): unknown;
  close(): void;
}
type BetterSqliteConstructor = new (path: string, options?: { readonly?: boolean; fileMustExist?: boolean }) => BetterSqliteDatabase;

type Driver = { kind: 'node:sqlite'; module: NodeSqliteModule } | { kind: 'better-sqlite3'; construct: BetterSqliteConstructor } | { kind: 'none'; why: string };

let driver: Driver | undefined;

/** node:sqlite prints an ExperimentalWarning when first loaded; a journal is not an experiment the user chose. */
function loadNodeSqlite(): NodeSqliteModule | undefined {
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (!getBuiltin) return undefined;
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite is an experimental feature/i.test(text)) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return getBuiltin.call(process, 'node:sqlite') as NodeSqliteModule | undefined;
  } catch {
    return undefined;
  } finally {
    process.emitWarning = emitWarning;
  }
}

function chooseDriver(): Driver {
  const builtin = loadNodeSqlite();
  if (builtin?.DatabaseSync) return { kind: 'node:sqlite', module: builtin };
  try {
    const construct = createRequire(import.meta.url)('better-sqlite3') as BetterSqliteConstructor;
    return { kind: 'better-sqlite3', construct };
  } catch (e) {
    return { kind: 'none', why: (e as Error).message };
  }
}

function currentDriver(): Driver {
  driver ??= chooseDriver();
  return driver;
}

/** True when a SQLite driver can be loaded in this process (loads it, once). */
export function sqliteAvailable(): boolean {
  return currentDriver().kind !== 'none';
}

/** Why SQLite cannot be used in this process. */
export function sqliteUnavailableReason(): string {
  return `Node ${process.versions.node} has no built-in SQLite (node:sqlite needs Node 22.13 or later) and the better-sqlite3 package is not installed`;
}

/** Why SQLite cannot be used here and what to do, for error messages. */
export function sqliteUnavailableHint(): string {
  return `${sqliteUnavailableReason()}: run \`npm install better-sqlite3@12\`, or use Node 22.13+, or pass --store memory`;
}

/**
 * Opens a SQLite database with the driver this Node supports. The driver is loaded on the first
 * call, never at import time, so programs that do not use SQLite load no native module.
 */
export function openSqlite(file: string, options: OpenSqliteOptions = {}): SqliteDatabase {
  const d = currentDriver();
  if (d.kind === 'none') throw new BatonError('BAD_REQUEST', `cannot open the SQLite database ${file}: ${sqliteUnavailableHint()}`, { retryable: false });
  if (d.kind === 'better-sqlite3') return wrapBetterSqlite(new d.construct(file, { readonly: options.readonly ?? false, fileMustExist: options.fileMustExist ?? false }));
  if (options.fileMustExist && file !== ':memory:' && !existsSync(file)) {
    throw Object.assign(new Error(`unable to open database file: ${file} does not exist`), { code: 'SQLITE_CANTOPEN' });
  }
  return wrapNodeSqlite(new d.module.DatabaseSync(file, { readOnly: options.readonly ?? false }));
}

function wrapNodeSqlite(db: InstanceType<NodeSqliteModule['DatabaseSync']>): SqliteDatabase {
  let open = true;
  const self: SqliteDatabase = {
    driver: 'node:sqlite',
    get open() {
      return open;
    },
    exec: (sql) => db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    immediate: (fn) => transaction(self, fn),
    pragmaValue: (name) => {
      const row = db.prepare(`PRAGMA ${name}`).get();
      return row ? Object.values(row)[0] : undefined;
    },
    close: () => {
      if (!open) return;
      open = false;
      db.close();
    },
  };
  return self;
}

function wrapBetterSqlite(db: BetterSqliteDatabase): SqliteDatabase {
  const self: SqliteDatabase = {
    driver: 'better-sqlite3',
    get open() {
      return db.open;
    },
    exec: (sql) => db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    immediate: (fn) => transaction(self, fn),
    pragmaValue: (name) => db.pragma(name, { simple: true }),
    close: () => {
      if (db.open) db.close();
    },
  };
  return self;
}

function transaction<T>(db: SqliteDatabase, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  return finishTransaction(db, fn);
}

/** Runs `fn` in the transaction `db` has begun: committed if it returns, rolled back if it throws. */
export function finishTransaction<T>(db: SqliteDatabase, fn: () => T): T {
  let result: T;
  try {
    result = fn();
    // A COMMIT that fails without SQLite rolling back (a deferred constraint) would leave the
    // transaction open, and every later write would fail to begin: it is rolled back here.
    db.exec('COMMIT');
  } catch (e) {
    rollBack(db);
    throw e;
  }
  return result;
}

function rollBack(db: SqliteDatabase): void {
  try {
    db.exec('ROLLBACK');
  } catch {
    // SQLite already rolled back (e.g. after SQLITE_FULL); the first error is the one to report.
  }
}

/** SQLite's extended result codes that Baton reacts to, by number (node:sqlite reports numbers). */
const CODE_NAMES: Record<number, string> = {
  3: 'SQLITE_PERM',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  8: 'SQLITE_READONLY',
  11: 'SQLITE_CORRUPT',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  19: 'SQLITE_CONSTRAINT',
  26: 'SQLITE_NOTADB',
  261: 'SQLITE_BUSY_RECOVERY',
  517: 'SQLITE_BUSY_SNAPSHOT',
  1555: 'SQLITE_CONSTRAINT_PRIMARYKEY',
  2067: 'SQLITE_CONSTRAINT_UNIQUE',
};

/**
 * The SQLite error code of an error from either driver (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_PRIMARYKEY`,
 * ...), or undefined for an error that is not SQLite's.
 */
export function sqliteErrorCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const { code, errcode } = e as { code?: unknown; errcode?: unknown };
  if (typeof errcode === 'number') {
    const name = CODE_NAMES[errcode] ?? CODE_NAMES[errcode & 0xff];
    if (name) return name.startsWith('SQLITE_BUSY') ? 'SQLITE_BUSY' : name;
    return `SQLITE_ERROR_${errcode}`;
  }
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return code.startsWith('SQLITE_BUSY') ? 'SQLITE_BUSY' : code;
  return undefined;
}
