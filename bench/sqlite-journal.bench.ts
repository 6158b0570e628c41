/**
 * What the SQLite journal costs per run: the journal writes of one W1 run (fan-out 8 + join, as
 * the orchestrator made them), replayed into a SqliteRunStore under fresh time-ordered run ids,
 * as `newRunId` makes them. Prints µs per run creation (`createRunWithEvents`: the run with its
 * start), per run's appends and per readEvents of a run (means), then the WAL pages each run writes (a second pass with checkpoints off: every
 * page a commit dirties is a 4 KiB write, copied again to the database file at a checkpoint), and
 * the longest a write held the event loop (`longestHoldMs`: a WAL completed in COMMIT held it for
 * two fsyncs, 10-20 ms on this machine's disk, once per ~4,000 pages; see docs/performance.md).
 *
 *   node --import tsx bench/sqlite-journal.bench.ts [runs=3000]
 *   BATON_BENCH_DIR=/dev/shm node --import tsx bench/sqlite-journal.bench.ts   # another disk
 *
 * The last line is one JSON object, as the other benchmarks print.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
// The package as users install it (dist/ under `npm run bench`, which builds first): see bench/run.ts.
import { createOrchestrator, MemoryRunStore, newRunId, openSqlite, SqliteRunStore, StaticPlanner } from 'batonjs';
import type { AppendOptions, RunEvent } from 'batonjs';
import type { NewRunRecord } from 'batonjs/internal';
import { fanOutJoin } from './workloads.ts';

const RUNS = Number(process.argv[2] ?? 3000);
const WARMUP = 300;
const PAGE_RUNS = 300;

interface Recorded {
  record: NewRunRecord;
  /** The events the run was created with. */
  first: RunEvent[];
  appends: { events: RunEvent[]; options: AppendOptions | undefined }[];
}

/** The creation and appends of one W1 run, recorded from a memory journal. */
async function recordW1(): Promise<Recorded> {
  const store = new MemoryRunStore();
  const recorded: Recorded = { record: { runId: '', goal: '', createdAt: '' }, first: [], appends: [] };
  const createRunWithEvents = store.createRunWithEvents.bind(store);
  const append = store.append.bind(store);
  store.createRunWithEvents = (record, events) => {
    recorded.record = structuredClone(record);
    recorded.first = structuredClone(events);
    return createRunWithEvents(record, events);
  };
  store.append = (runId, events, options) => {
    recorded.appends.push({ events: structuredClone(events), options });
    return append(runId, events, options);
  };
  const { agents, plan } = fanOutJoin(8);
  const orchestrator = createOrchestrator({ name: 'w1', agents, store, planner: new StaticPlanner(plan), policy: { maxParallel: 8 } });
  const result = await orchestrator.run('fan out and join');
  if (result.status !== 'succeeded') throw new Error(`the W1 run to record ended ${result.status}`);
  return recorded;
}

interface Times {
  create: number;
  append: number;
  /** How long each write held the event loop (the call, until it returned its promise), ms. */
  holds: number[];
}

/** Awaits one journal write, noting how long its call held the event loop. */
async function held(times: Times | undefined, write: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  const written = write();
  times?.holds.push(performance.now() - t0);
  await written;
}

/** One recorded run under a new id, as the orchestrator would journal it now. */
async function replay(store: SqliteRunStore, w1: Recorded, times?: Times): Promise<string> {
  const runId = newRunId();
  const t0 = performance.now();
  await held(times, () => store.createRunWithEvents({ ...w1.record, runId, createdAt: new Date().toISOString() }, w1.first.map((e) => ({ ...e, runId }))));
  const t1 = performance.now();
  for (const a of w1.appends) {
    await held(times, () => store.append(runId, a.events.map((e) => ({ ...e, runId })), a.options));
  }
  if (times) {
    times.create += t1 - t0;
    times.append += performance.now() - t1;
  }
  return runId;
}

/** Frames in a WAL file: a 32-byte header, then a 24-byte header and one page each. */
function walFrames(file: string, pageSize: number): number {
  return Math.max(0, (readFileSync(`${file}-wal`).length - 32) / (24 + pageSize));
}

const w1 = await recordW1();
const journaled = [w1.first, ...w1.appends.map((a) => a.events)];
const events = journaled.reduce((n, batch) => n + batch.length, 0);
const bytes = journaled.reduce((n, batch) => n + batch.reduce((m, e) => m + JSON.stringify(e).length, 0), 0);
const dir = mkdtempSync(path.join(process.env['BATON_BENCH_DIR'] ?? tmpdir(), 'baton-bench-'));
try {
  const file = path.join(dir, 'baton.db');
  const store = new SqliteRunStore({ file });
  for (let i = 0; i < WARMUP; i++) await replay(store, w1);
  const times: Times = { create: 0, append: 0, holds: [] };
  let last = '';
  const cpu = process.cpuUsage();
  for (let i = 0; i < RUNS; i++) last = await replay(store, w1, times);
  const { user, system } = process.cpuUsage(cpu);
  const readStarted = performance.now();
  for (let i = 0; i < 500; i++) if ((await store.readEvents(last)).length !== events) throw new Error('readEvents lost events');
  const readUs = ((performance.now() - readStarted) * 1000) / 500;
  await store.close();

  // Pages written per run: with the WAL emptied, a reader holding its snapshot keeps every later
  // frame in the WAL (a checkpoint cannot restart it), so its length counts them.
  const db = openSqlite(file);
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  const pageSize = Number(db.pragmaValue('page_size'));
  db.exec('BEGIN');
  db.prepare('SELECT count(*) FROM runs').get();
  const counting = new SqliteRunStore({ file });
  for (let i = 0; i < PAGE_RUNS; i++) await replay(counting, w1);
  const pagesPerRun = walFrames(file, pageSize) / PAGE_RUNS;
  await counting.close();
  db.exec('COMMIT');
  db.close();

  const figures = {
    case: 'W1 journal',
    store: 'sqlite',
    events,
    eventBytes: bytes,
    appendsPerRun: w1.appends.length,
    usPerCreateRun: (times.create * 1000) / RUNS,
    usPerRunAppends: (times.append * 1000) / RUNS,
    cpuUsPerRun: (user + system) / RUNS,
    usPerReadEvents: readUs,
    walPagesPerRun: pagesPerRun,
    longestHoldMs: Math.max(...times.holds),
    holdsOver1msPer1000Runs: (times.holds.filter((ms) => ms > 1).length * 1000) / RUNS,
  };
  console.log(
    `W1 run (${events} events, ${bytes} B of JSON, ${w1.appends.length} append(s)), ${RUNS} runs, node ${process.version}: ` +
      `createRunWithEvents ${figures.usPerCreateRun.toFixed(0)} µs, appends ${figures.usPerRunAppends.toFixed(0)} µs, CPU ${figures.cpuUsPerRun.toFixed(0)} µs/run, ` +
      `readEvents ${readUs.toFixed(0)} µs, ${pagesPerRun.toFixed(1)} WAL pages/run, ` +
      `longest a write held the event loop ${figures.longestHoldMs.toFixed(1)} ms (${figures.holdsOver1msPer1000Runs.toFixed(1)} writes over 1 ms per 1,000 runs)`,
  );
  console.log(JSON.stringify(figures));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

