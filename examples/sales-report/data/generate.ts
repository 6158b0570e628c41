/**
 * Deterministic sample data: writes a SQLite sales database of orders from a seeded random
 * generator, so every clone gets the same numbers. Run it as a script (`npm run sample-data`) or
 * call `generateSalesDatabase`. The agents create the database on first use when it is missing.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openSqlite } from 'batonjs/agent';
import {
  CHANNELS,
  MONTH_SEASONALITY,
  PRODUCTS,
  REGIONS,
  SEGMENTS,
  SEGMENT_DISCOUNT,
  SEGMENT_WEIGHTS,
  channelWeights,
} from './catalog.ts';

/** Bump when the generated data changes, so stale databases are recreated. */
export const GENERATOR_VERSION = 1;
export const DEFAULT_SEED = 20260930;
/** The last day of data: the last complete quarter before this workflow was written. Fixed, never "today". */
export const DEFAULT_END = '2026-09-30';

export interface GenerateOptions {
  seed?: number;
  /** Full calendar years of history before the end date's year (default 3: data from 2023-01-01). */
  years?: number;
  /** Last day of data, ISO date (default 2026-09-30). */
  end?: string;
}

export interface GenerateSummary {
  file: string;
  rows: number;
  start: string;
  end: string;
  seed: number;
}

/** Orders per day at the start of the data, before seasonality and growth. */
const BASE_ORDERS_PER_DAY = 62;

/** mulberry32: small, fast and good enough for sample data; the same seed gives the same stream. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function poisson(lambda: number, random: () => number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= random();
  } while (p > limit);
  return k - 1;
}

function pick<T>(items: readonly T[], weights: readonly number[], random: () => number): T {
  const total = weights.reduce((s, w) => s + w, 0);
  let r = random() * total;
  for (let i = 0; i < items.length; i++) {
    r -= weights[i] ?? 0;
    if (r <= 0) return items[i] as T;
  }
  return items[items.length - 1] as T;
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Writes the sales database to `file` (replacing it). Orders cover January 1 of `end`'s year minus
 * `years`, through `end`; about 100,000 rows with the defaults.
 */
export function generateSalesDatabase(file: string, options: GenerateOptions = {}): GenerateSummary {
  const seed = options.seed ?? DEFAULT_SEED;
  const end = options.end ?? DEFAULT_END;
  const start = `${Number(end.slice(0, 4)) - (options.years ?? 3)}-01-01`;
  const random = seededRandom(seed);

  mkdirSync(dirname(file), { recursive: true });
  rmSync(file, { force: true });
  const db = openSqlite(file);
  try {
    db.exec('PRAGMA journal_mode = DELETE');
    db.exec('PRAGMA synchronous = OFF');
    db.exec(`
      CREATE TABLE orders (
        order_id    INTEGER PRIMARY KEY,
        order_date  TEXT    NOT NULL,  -- ISO date
        region      TEXT    NOT NULL,
        country     TEXT    NOT NULL,
        product     TEXT    NOT NULL,
        category    TEXT    NOT NULL,
        channel     TEXT    NOT NULL,
        segment     TEXT    NOT NULL,  -- customer segment
        units       INTEGER NOT NULL,
        unit_price  REAL    NOT NULL,  -- list price per unit, USD
        discount    REAL    NOT NULL,  -- fraction of the list amount, 0..1
        cost        REAL    NOT NULL   -- cost of goods for the whole order, USD
      );
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    const insert = db.prepare(
      'INSERT INTO orders (order_date, region, country, product, category, channel, segment, units, unit_price, discount, cost) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
    );
    const volume = REGIONS.map(() => 1);
    let rows = 0;
    const write = (): void => db.immediate(() => {
      for (let day = new Date(`${start}T00:00:00Z`); day.toISOString().slice(0, 10) <= end; day.setUTCDate(day.getUTCDate() + 1)) {
        const date = day.toISOString().slice(0, 10);
        const month = day.getUTCMonth();
        const dayOfYear = (day.getTime() - Date.UTC(day.getUTCFullYear(), 0, 1)) / 86_400_000;
        const t = day.getUTCFullYear() + dayOfYear / 365;
        const weekend = day.getUTCDay() === 0 || day.getUTCDay() === 6;
        const quarterEndPush = month % 3 === 2 && day.getUTCDate() > 20;
        const priceIndex = 1 + 0.03 * Math.max(0, day.getUTCFullYear() - 2024);
        const costIndex = 1 + 0.025 * (t - 2023);
        const productWeights = PRODUCTS.map((p) => p.weight * p.lifecycle(t));
        const chWeights = channelWeights(t);

        REGIONS.forEach((region, r) => {
          volume[r] = (volume[r] ?? 1) * (1 + region.growth(t)) ** (1 / 365);
          const lambda =
            BASE_ORDERS_PER_DAY * region.weight * (volume[r] ?? 1) * (MONTH_SEASONALITY[month] ?? 1) * (weekend ? 0.7 : 1.1) * (quarterEndPush ? 1.2 : 1);
          const count = poisson(lambda, random);
          for (let i = 0; i < count; i++) {
            const country = pick(region.countries.map((c) => c.name), region.countries.map((c) => c.weight), random);
            const segment = pick([0, 1, 2] as const, SEGMENT_WEIGHTS, random);
            const channelIndex = pick([0, 1, 2] as const, segment === 2 ? [chWeights[0] * 0.6, chWeights[1] * 0.4, chWeights[2] * 2.2] : chWeights, random);
            const product = pick(PRODUCTS, productWeights, random);
            const typical = product.units[segment];
            const units = segment === 0 ? (random() < 0.82 ? 1 : 2) : Math.max(1, Math.round(typical * (0.4 + random() * 1.2)));
            const unitPrice = round(product.listPrice * priceIndex * (1 + (random() - 0.5) * 0.04), 2);
            const discount = Math.min(
              0.4,
              round(SEGMENT_DISCOUNT[segment] + random() * 0.05 + region.extraDiscount(t) + (quarterEndPush ? 0.02 : 0) + (channelIndex === 2 ? 0.03 : 0), 3),
            );
            const cost = round(units * product.listPrice * product.costRatio * costIndex * (1 + (random() - 0.5) * 0.03), 2);
            insert.run(date, region.name, country, product.name, product.category, CHANNELS[channelIndex], SEGMENTS[segment], units, unitPrice, discount, cost);
            rows++;
          }
        });
      }
      const meta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      for (const [k, v] of Object.entries({ generator_version: GENERATOR_VERSION, seed, start, end, rows, currency: 'USD' })) meta.run(k, String(v));
    });
    write();
    db.exec('CREATE INDEX orders_by_date ON orders (order_date)');
    return { file, rows, start, end, seed };
  } finally {
    db.close();
  }
}

/** The database the agents use when `BATON_SALES_DB` is not set: `data/sales.sqlite` beside this file. */
export const DEFAULT_DATABASE = resolve(dirname(fileURLToPath(import.meta.url)), 'sales.sqlite');

/**
 * Makes sure the database exists, generating it when missing. Concurrent callers (parallel agents,
 * test workers) each write their own temporary file and rename it into place: the rename is atomic,
 * so a reader never opens a half-written database.
 */
export function ensureSalesDatabase(file: string = DEFAULT_DATABASE): string {
  // A user's own database is used as it is; the sample one is rebuilt when the generator changed.
  if (existsSync(file) && (file !== DEFAULT_DATABASE || generatorVersionOf(file) === GENERATOR_VERSION)) return file;
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    generateSalesDatabase(temp);
    if (!existsSync(file) || generatorVersionOf(file) !== GENERATOR_VERSION) renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
  return file;
}

/** The generator version recorded in a database's `meta` table, if any. */
export function generatorVersionOf(file: string): number | undefined {
  try {
    const db = openSqlite(file, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'generator_version'").get() as { value: string } | undefined;
      return row ? Number(row.value) : undefined;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

function main(argv: string[]): void {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const out = resolve(value('--out') ?? process.env['BATON_SALES_DB'] ?? DEFAULT_DATABASE);
  const seed = value('--seed');
  const temp = `${out}.${process.pid}.tmp`;
  const summary = generateSalesDatabase(temp, seed === undefined ? {} : { seed: Number(seed) });
  renameSync(temp, out);
  process.stdout.write(`wrote ${summary.rows} orders (${summary.start} to ${summary.end}, seed ${summary.seed}) to ${out}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main(process.argv.slice(2));
