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
