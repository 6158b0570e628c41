import type { RunEvent } from '../core/events.ts';
import type { SqlValue } from './sqlite-driver.ts';

/**
 * Characters of JSON one row gathers at most: past a few pages a row's own cost is small beside
 * its bytes, and a bound keeps a batch of large outputs far from SQLite's string limit (1 GB).
 */
export const ROW_CHARS = 64 * 1024;

/** The values of one `events` row, in the order `packEventRows` gives them. */
const COLUMNS = ['run_id', 'seq', 'type', 'at', 'body', 'last_seq'];

/** How many values one `events` row takes. */
export const EVENT_ROW_COLUMNS = COLUMNS.length;

/** The INSERT of `rows` rows of the values `packEventRows` gives. */
export function insertEventRowsSql(rows: number): string {
  const row = `(${COLUMNS.map(() => '?').join(', ')})`;
  return `INSERT INTO events (${COLUMNS.join(', ')}) VALUES ${Array.from({ length: rows }, () => row).join(', ')}`;
}

/**
 * Appends to `values` the rows that hold `events` (stamped, in seq order) given their JSON
 * `bodies`, and returns how many rows that is. Consecutive events share a row, its body a JSON
 * array, its `seq` the first event's and `last_seq` the last's, its `type` and `at` the last
 * event's; an event alone in its row is written as Baton always wrote events (`last_seq` NULL).
 */
export function packEventRows(runId: string, events: readonly RunEvent[], bodies: readonly string[], values: SqlValue[]): number {
  let rows = 0;
  let from = 0;
  while (from < events.length) {
    let to = from + 1;
    let chars = (bodies[from] as string).length;
    while (to < events.length && chars + (bodies[to] as string).length < ROW_CHARS) chars += (bodies[to++] as string).length + 1;
    const first = events[from] as RunEvent;
    const last = events[to - 1] as RunEvent;
    if (to - from === 1) values.push(runId, first.seq, first.type, first.at, bodies[from] as string, null);
    else values.push(runId, first.seq, last.type, last.at, `[${bodies.slice(from, to).join(',')}]`, last.seq);
    rows++;
    from = to;
  }
  return rows;
}

/**
 * Characters a run's first row may hold and still take the events of the next append: the events
 * a run is created with (~2 KB: its `run.started`) fill most of a page, so a row of their own made
 * the table's last page split at nearly every run; joined with the next batch, the row spills to
 * overflow pages and leaves a small cell. Past this, an append adds rows, as rewriting a larger row
 * would cost more than it saves.
 */
export const EXTEND_CHARS = 4 * 1024;

/** A run's first row as `extendedRow` reads it. */
export interface FirstRow {
  last_seq: number | null;
  body: string;
}

/**
 * The values (`type`, `at`, `body`, `last_seq`) that make `row`, a run's first row, hold `events`
 * too, or undefined when it should not: the batch does not continue it, it holds
 * {@link EXTEND_CHARS} or more, or the two would pass {@link ROW_CHARS}.
 */
export function extendedRow(row: FirstRow, events: readonly RunEvent[], bodies: readonly string[]): SqlValue[] | undefined {
  const first = events[0];
  const last = events[events.length - 1];
  if (!first || !last || (row.last_seq ?? 1) !== first.seq - 1 || row.body.length >= EXTEND_CHARS) return undefined;
  let chars = row.body.length + 2;
  for (const body of bodies) chars += body.length + 1;
  if (chars >= ROW_CHARS) return undefined;
  const head = row.last_seq === null ? `[${row.body}` : row.body.slice(0, -1);
  return [last.type, last.at, `${head},${bodies.join(',')}]`, last.seq];
}

/** One `events` row as `readEvents` selects it. */
export interface EventRow {
  seq: number;
  last_seq: number | null;
  body: string;
}

/** Appends to `into` the events of `row` whose seq is past `afterSeq`. */
export function unpackEventRow(row: EventRow, afterSeq: number, into: RunEvent[]): void {
  if (row.last_seq === null) {
    if (row.seq > afterSeq) into.push(JSON.parse(row.body) as RunEvent);
    return;
  }
  const events = JSON.parse(row.body) as RunEvent[];
  for (const event of events) if (event.seq > afterSeq) into.push(event);
}
