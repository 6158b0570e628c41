/**
 * Scheduler overhead with in-process agents that do no work, in the shapes of the side-by-side
 * harness (../shared/bench-anchors, docs/performance.md), so a regression shows on any machine:
 *   W1 fan-out 8 + join, sequential runs (µs per run: mean, p50, p99; GC share of the time, and
 *           of the slowest 1% of runs' time: slowestGcShare, what the p99 is made of)
 *   cpuWaitShare, helperCpuShare (W1-W3, Linux): the share of the measured runs' time during
 *           which the main thread was ready to run but waited for a CPU, and the share of the
 *           process's CPU spent by its other threads (V8's optimising compilers and GC helpers;
 *           with the SQLite journal, also its checkpointer thread).
 *           Early in a process V8 compiles the code that runs once per run: on 2 vCPUs its
 *           compilers then take CPU from the runs themselves (forty-seventh pass)
 *   W1-settled: W1's runs 30,000-32,000, once V8 has compiled what runs once per run (Node 24's
 *           TurboFan reaches it around runs 10,000-12,000) and grown its young generation to its
 *           last size (Node 24's last growth, to 128 MB, falls in runs ~5,000-9,000), beside its
 *           runs 200-2,200 in the same process (window*) (memory only)
 *   W1-settled-kept10: the same with a memory journal keeping its last 10 finished runs instead
 *           of 1,000: settled, the difference in gcShare is what the kept runs cost the minor GCs
 *           (forty-eighth pass) (memory only)
 *   W2 chain of 100 (µs per step)        W3 fan-out 1,000 + join (ms per run)
 *   W2-copies: W2 with its plan handed in as new objects on every run (as the built-in planner, a
 *           plan file or a request give it) beside the same plan object, alternated in one process
 *           (p50 µs per step), and what the copy alone costs per run (memory only)
 *   followed: W1 while 1,000 listeners each follow another run (a server's event streams), each
 *           added for its run (`on(listener, { runId })`) beside each filtering every run's
 *           events (filtering*), beside none (unfollowed*), alternated in one process (µs per run)
 *           (memory only)
 *   W2-settled, W3-settled: their runs once V8 has compiled the scheduler, with no forced GC before
 *           them, as W1-settled (W2's runs 2,000-2,200,
 *           W3's 150-170) beside the harness's window in the same process (window*: time and
 *           page faults) (memory only)
 *   faultsPerRun (W1-W3): the minor page faults of the measured runs, per run. Each is memory the
 *           process touches for the first time (V8's young generation growing, old-space pages
 *           mapped again after a full GC); on a microVM that gives freed pages back to its host
 *           each costs ~11 µs (twentieth pass, docs/performance.md)
 *   W4 1,000 W1 runs at once (runs/s, median of 3 bursts; peak RSS)
 *   kept: bytes the memory journal keeps per finished W1 run (memory only)
 *   inflight: bytes a W1 run holds while its 8 steps wait, 1,000 runs at once (memory only)
 *   promoted: bytes V8's minor GCs promote per W1 run while the code is unoptimised (memory only)
 *   promoted-kept: the same with the code optimised and a journal keeping its last 10 finished
 *           runs, which die long before a minor GC could promote them (memory only)
 *   promoted-pool: the same with no finished run kept and 100 runs in flight at all times, as a
 *           server has them: runs that come and go through the orchestrator's own maps (memory
 *           only)
 *   deopts: optimised functions V8 throws away at once over 4,000 W1 runs, when something they
 *           depend on changes (a literal site turned tenured, a map changed) (memory only)
 *   tasks-N: the first run of an N-task plan in layers of 100 (time and memory should grow
 *           linearly), and the longest the event loop waited for a turn during a third run
 *   join-N: the same for N parallel steps and a join of all N
 *   pairs-N: the same for N/2 tasks making one artifact, each read by one task depending on it
 *   integrated-10000: tasks-10000 with an integrator of the user's, which is handed a copy of the
 *           run's result so far (the copy holds the loop: see maxLoopGapMs)
 * Each run goes through createOrchestrator with a fixed plan (one plan object, as a fixed workflow
 * hands it to every run) and asserts its result. One case per process, so peak RSS is the case's
 * own: `node --expose-gc --import tsx bench/scheduler.bench.ts <case> <memory|sqlite>` prints one
 * JSON line, measuring the built package (`npm run build` first; `--conditions=batonjs-source`
 * measures the sources through tsx instead, a slower program: see bench/run.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { getHeapSpaceStatistics } from 'node:v8';
import path from 'node:path';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
// The package as users install it (dist/ under `npm run bench`, which builds first): see bench/run.ts.
import { createOrchestrator, defineAgent, MemoryRunStore, SqliteRunStore, StaticPlanner } from 'batonjs';
import type { Integrator, Orchestrator, RunResult, RunStore } from 'batonjs';
import { counterChain, fanOutJoin, layered, makerPairs } from './workloads.ts';
import type { Workload } from './workloads.ts';
import { measuredWindow, promotedIn } from './promoted.ts';
import { threadShares, threadTimes } from './thread-time.ts';
import type { ThreadShares } from './thread-time.ts';

const [caseName = 'W1', storeKind = 'memory'] = process.argv.slice(2);
const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-'));

/**
 * Peak RSS sampled every millisecond from a worker thread: a burst of runs that never yields to
 * the event loop would starve a timer on the main thread.
 */
function rssPeak(): { peakMb(): number; stop(): Promise<number> } {
  const shared = new Float64Array(new SharedArrayBuffer(8));
  shared[0] = process.memoryUsage.rss();
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const peak = new Float64Array(workerData);
     setInterval(() => { peak[0] = Math.max(peak[0], process.memoryUsage.rss()); }, 1);`,
    { eval: true, workerData: shared.buffer },
  );
  const peakMb = (): number => Math.max(shared[0]!, process.memoryUsage.rss()) / 1024 / 1024;
  return { peakMb, stop: async () => (await worker.terminate(), peakMb()) };
}

function store(options: { keepAll?: boolean } = {}): RunStore {
  if (storeKind === 'sqlite') return new SqliteRunStore({ file: path.join(dir, `bench-${Math.random().toString(36).slice(2)}.db`) });
  return new MemoryRunStore(options.keepAll ? { maxFinishedRuns: Infinity } : {});
}

function orchestrator(w: Workload, maxParallel: number | undefined, s: RunStore = store(), integrator?: Integrator): Orchestrator {
  return createOrchestrator({ name: 'bench', agents: w.agents, planner: new StaticPlanner(w.plan), store: s, ...(maxParallel ? { policy: { maxParallel } } : {}), ...(integrator ? { integrator } : {}) });
}

function check(r: RunResult, last: string, expected: unknown): void {
  if (r.status !== 'succeeded') throw new Error(`run ${r.runId} ended ${r.status}: ${r.reason ?? ''}`);
  const got = JSON.stringify(r.deliverable.artifacts[last]);
  if (got !== JSON.stringify(expected)) throw new Error(`run ${r.runId} delivered ${got}, expected ${JSON.stringify(expected)}`);
}

const fanOutResult = (width: number): unknown => ({ count: width, sum: (width * (width - 1)) / 2 });

interface GcTimed<T> {
  value: T;
  gcMs: number;
  wallMs: number;
  /** Each GC's start and end (performance.now() ms), in pairs. */
  gcSpans: number[];
}

/** Milliseconds spent in GC while `body` runs, from the runtime's own GC entries. */
async function withGcTime<T>(body: () => Promise<T>): Promise<GcTimed<T>> {
  let gcMs = 0;
  const gcSpans: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcSpans.push(e.startTime, e.startTime + e.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const t0 = performance.now();
  const value = await body();
  const wallMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 20));
  observer.disconnect();
  return { value, gcMs, wallMs, gcSpans };
}

/**
 * The share of the slowest 1% of the runs' time during which V8 was collecting garbage: what the
 * p99 is made of. `runSpans` holds each run's start and end in pairs, `gcSpans` each GC's.
 */
function slowestGcShare(runSpans: Float64Array, gcSpans: readonly number[]): number {
  const runs = runSpans.length / 2;
  const took = (i: number): number => runSpans[2 * i + 1]! - runSpans[2 * i]!;
  const slowest = Array.from({ length: runs }, (_, i) => i)
    .sort((a, b) => took(b) - took(a))
    .slice(0, Math.max(1, Math.ceil(runs / 100)));
  let runMs = 0;
  let gcMs = 0;
  for (const i of slowest) {
    const start = runSpans[2 * i]!;
    const end = runSpans[2 * i + 1]!;
    runMs += end - start;
    for (let g = 0; g < gcSpans.length; g += 2) gcMs += Math.max(0, Math.min(end, gcSpans[g + 1]!) - Math.max(start, gcSpans[g]!));
  }
  return gcMs / runMs;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface Sequential {
  /** Each measured run's µs, sorted. */
  samples: number[];
  /** The process's minor page faults during the measured runs, per run. */
  faultsPerRun: number;
  /** Each measured run's start and end (performance.now() ms), in pairs, in the order they ran. */
  spans: Float64Array;
  /** What the process's threads did over the measured runs (Linux; empty elsewhere). */
  threads: ThreadShares | Record<string, never>;
}

/**
 * Sequential runs after a warm-up, and after a full GC as the harness does (`collect`). A settled
 * window must not collect first: a forced GC also lets go of the maps that only V8's optimised code
 * still names, which throws away the optimised code of ~70 of the functions a run calls, and the
 * window then measures their compiling again (forty-seventh pass). V8's own GCs keep those maps.
 */
async function sequential(o: Orchestrator, warmup: number, runs: number, last: string, expected: unknown, collect = true): Promise<Sequential> {
  for (let i = 0; i < warmup; i++) check(await o.run('warm up'), last, expected);
  if (collect) globalThis.gc?.();
  // Made before the runs, so that recording them allocates nothing while they are measured.
  const spans = new Float64Array(2 * runs);
  const faults = process.resourceUsage().minorPageFault;
  const before = threadTimes();
  for (let i = 0; i < runs; i++) {
    spans[2 * i] = performance.now();
    const r = await o.run('bench');
    spans[2 * i + 1] = performance.now();
    check(r, last, expected);
  }
  const threads = runs > 0 ? threadShares(before, threadTimes(), spans[2 * runs - 1]! - spans[0]!) : {};
  const faultsPerRun = (process.resourceUsage().minorPageFault - faults) / runs;
  const samples = Array.from({ length: runs }, (_, i) => (spans[2 * i + 1]! - spans[2 * i]!) * 1000);
  return { samples: samples.sort((a, b) => a - b), faultsPerRun, spans, threads };
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** The W1 figures of sorted `samples` (µs) measured with `withGcTime`. */
function w1Figures({ value: { samples, faultsPerRun, spans, threads }, gcMs, wallMs, gcSpans }: GcTimed<Sequential>): Record<string, number> {
  return { usPerRun: mean(samples), p50Us: percentile(samples, 50), p99Us: percentile(samples, 99), gcShare: gcMs / wallMs, slowestGcShare: slowestGcShare(spans, gcSpans), ...threads, faultsPerRun };
}

async function w1(): Promise<Record<string, unknown>> {
  const o = orchestrator(fanOutJoin(8), 8);
  const figures = w1Figures(await withGcTime(() => sequential(o, 200, 2000, 'result', fanOutResult(8))));
  await o.close();
  return figures;
}

/**
 * W1's runs 30,000-32,000 beside its runs 200-2,200 (the harness's window, `window*`), in one
 * process so both meet the same host: on Node 20 V8 compiles the code that runs once per run only
 * after ~1,500-2,500 runs, so the window measures that warm-up as much as the scheduler. Runs
 * 6,000-8,000 were measured until the twenty-sixth pass, which found Node 24 growing its young
 * generation to 128 MB there: runs then allocate through pages never touched, ~10 page faults a
 * run. Runs 10,000-12,000 were measured until the forty-seventh pass, which found Node 24's
 * TurboFan compiling the once-per-run code there (~50 functions), and the forced GC before them
 * throwing away what was compiled. `youngGenMb` after the 32,000 runs: V8 grows its young
 * generation as the memory journal's kept runs survive its minor GCs, to 32 MB on Node 20 and
 * 128 MB on Node 24 (fourteenth pass).
 */
async function w1Settled(maxFinishedRuns?: number): Promise<Record<string, unknown>> {
  const o = orchestrator(fanOutJoin(8), 8, maxFinishedRuns === undefined ? store() : new MemoryRunStore({ maxFinishedRuns }));
  const window = await sequential(o, 200, 2000, 'result', fanOutResult(8));
  // Past run ~9,000 V8 no longer grows its young generation (twenty-sixth pass), past ~12,000 it no longer compiles.
  const settled = w1Figures(await withGcTime(() => sequential(o, 27800, 2000, 'result', fanOutResult(8), false)));
  // Read before close: the memory journal's kept runs survive minor GCs, which is what grows it.
  const youngGenMb = youngGenerationMb();
  await o.close();
  return { ...settled, windowUsPerRun: mean(window.samples), windowP50Us: percentile(window.samples, 50), windowFaultsPerRun: window.faultsPerRun, youngGenMb };
}

async function w2(): Promise<Record<string, unknown>> {
  const o = orchestrator(counterChain(100), undefined);
  const { samples, faultsPerRun, threads } = await sequential(o, 20, 200, 'c99', { counter: 100 });
  await o.close();
  return { usPerStep: mean(samples) / 100, ...threads, faultsPerRun };
}

/**
 * W2's runs 2,000-2,200 beside its runs 20-220 (the harness's window, `window*`), in one process:
 * the window pays V8's warm-up (each function called once per step is compiled by TurboFan only
 * after ~1,700-7,400 calls) and the page faults of a young generation growing (twentieth pass).
 */
async function w2Settled(): Promise<Record<string, unknown>> {
  const o = orchestrator(counterChain(100), undefined);
  const window = await sequential(o, 20, 200, 'c99', { counter: 100 });
  const settled = await sequential(o, 1780, 200, 'c99', { counter: 100 }, false);
  await o.close();
  return {
    usPerStep: mean(settled.samples) / 100,
    p50UsPerStep: percentile(settled.samples, 50) / 100,
    faultsPerRun: settled.faultsPerRun,
    windowUsPerStep: mean(window.samples) / 100,
    windowFaultsPerRun: window.faultsPerRun,
  };
}

/**
 * W2 with its plan handed in as a new copy on every run, beside the same plan object, in blocks of
 * 100 runs alternated after a warm-up: a plan of the same content is validated and its links
 * worked out once either way (twenty-third pass), so the two differ by about the copy.
 */
async function w2Copies(): Promise<Record<string, unknown>> {
  const w = counterChain(100);
  const same = orchestrator(w, undefined);
  const copies = createOrchestrator({ name: 'bench', agents: w.agents, planner: new StaticPlanner(() => structuredClone(w.plan)), store: store() });
  const sameSamples: number[] = [];
  const copySamples: number[] = [];
  await sequential(same, 200, 0, 'c99', { counter: 100 });
  await sequential(copies, 200, 0, 'c99', { counter: 100 });
  for (let block = 0; block < 5; block++) {
    sameSamples.push(...(await sequential(same, 0, 100, 'c99', { counter: 100 })).samples);
    copySamples.push(...(await sequential(copies, 0, 100, 'c99', { counter: 100 })).samples);
  }
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) structuredClone(w.plan);
  const copyUsPerRun = (performance.now() - t0) / 1000 * 1000;
  await same.close();
  await copies.close();
  const p50PerStep = (samples: number[]): number => percentile(samples.sort((a, b) => a - b), 50) / 100;
  return { p50UsPerStep: p50PerStep(copySamples), sameObjectP50UsPerStep: p50PerStep(sameSamples), copyUsPerRun };
}

/**
 * W1 while 1,000 listeners each follow another run, as a server's event streams do: each listener
 * added for its own run (`on(listener, { runId })`), beside each listening to every run and
 * filtering by run id (how the server's streams listened before), beside no listener; blocks of
 * 200 runs alternated after a warm-up, each way first in turn (p50 and mean µs per run).
 */
async function followed(): Promise<Record<string, unknown>> {
  const FOLLOWERS = 1000;
  const o = orchestrator(fanOutJoin(8), 8);
  let told = 0;
  const follow = (byRunId: boolean): (() => void)[] =>
    Array.from({ length: FOLLOWERS }, (_, i) => {
      const runId = `r_followed_${i}`;
      if (byRunId) return o.on(() => void told++, { runId });
      return o.on((e) => {
        if (e.runId === runId) told++;
      });
    });
  const ways = { none: [] as number[], byRunId: [] as number[], filtering: [] as number[] };
  const block = async (way: keyof typeof ways, warmup: number, runs: number): Promise<void> => {
    const stops = way === 'none' ? [] : follow(way === 'byRunId');
    ways[way].push(...(await sequential(o, warmup, runs, 'result', fanOutResult(8))).samples);
    for (const stop of stops) stop();
  };
  const order = ['none', 'byRunId', 'filtering'] as const;
  for (const way of order) await block(way, 500, 0);
  // Each way goes first, second and third in turn: the blocks run in one process, and the later
  // runs of a process are faster.
  for (let i = 0; i < 6; i++) for (let j = 0; j < order.length; j++) await block(order[(i + j) % order.length]!, 0, 200);
  await o.close();
  if (told !== 0) throw new Error(`a follower of another run was told ${told} events`);
  const p50 = (samples: number[]): number => percentile(samples.sort((a, b) => a - b), 50);
  return {
    followers: FOLLOWERS,
    usPerRun: mean(ways.byRunId),
    p50Us: p50(ways.byRunId),
    unfollowedP50Us: p50(ways.none),
    filteringP50Us: p50(ways.filtering),
    filteringUsPerRun: mean(ways.filtering),
  };
}

async function w3(): Promise<Record<string, unknown>> {
  const o = orchestrator(fanOutJoin(1000), 1000);
  const { samples, faultsPerRun, threads } = await sequential(o, 2, 20, 'result', fanOutResult(1000));
  await o.close();
  return { msPerRun: mean(samples) / 1000, usPerTask: mean(samples) / 1002, ...threads, faultsPerRun };
}

/** W3's runs 150-170 beside its runs 2-22 (the harness's window, `window*`), in one process. */
async function w3Settled(): Promise<Record<string, unknown>> {
  const o = orchestrator(fanOutJoin(1000), 1000);
  const window = await sequential(o, 2, 20, 'result', fanOutResult(1000));
  const settled = await sequential(o, 128, 20, 'result', fanOutResult(1000), false);
  await o.close();
  return {
    msPerRun: mean(settled.samples) / 1000,
    usPerTask: mean(settled.samples) / 1002,
    faultsPerRun: settled.faultsPerRun,
    windowMsPerRun: mean(window.samples) / 1000,
    windowFaultsPerRun: window.faultsPerRun,
  };
}

async function w4(): Promise<Record<string, unknown>> {
  const o = orchestrator(fanOutJoin(8), 8);
  const burst = async (): Promise<number> => {
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: 1000 }, () => o.run('bench')));
    const ms = performance.now() - t0;
    for (const r of results) check(r, 'result', fanOutResult(8));
    return (1000 * 1000) / ms;
  };
  for (let i = 0; i < 200; i++) check(await o.run('warm up'), 'result', fanOutResult(8));
  await burst();
  globalThis.gc?.();
  const rss = rssPeak();
  const rates: number[] = [];
  let youngGenMb = 0;
  for (let i = 0; i < 3; i++) {
    rates.push(await burst());
    youngGenMb = Math.max(youngGenMb, youngGenerationMb());
  }
  rates.sort((a, b) => a - b);
  const peakRssMb = await rss.stop();
  await o.close();
  return { runsPerSec: rates[1], peakRssMb, youngGenMb };
}

/**
 * The size V8 has given its young generation (it keeps it for a while after a burst): on Node 24
 * it grows far past Node 20's during W4, most of the difference in their peak RSS.
 */
function youngGenerationMb(): number {
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return young ? young.space_size / 1024 / 1024 : 0;
}

/** Bytes the memory journal keeps per finished W1 run, when told to keep every run. */
async function kept(): Promise<Record<string, unknown>> {
  if (storeKind !== 'memory') return { note: 'memory journal only' };
  if (!globalThis.gc) throw new Error('run with --expose-gc');
  const o = orchestrator(fanOutJoin(8), 8, store({ keepAll: true }));
  for (let i = 0; i < 200; i++) check(await o.run('warm up'), 'result', fanOutResult(8));
  await new Promise((r) => setTimeout(r, 20));
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 2000; i++) check(await o.run('bench'), 'result', fanOutResult(8));
  await new Promise((r) => setTimeout(r, 20));
  globalThis.gc();
  const keptPerRunB = (process.memoryUsage().heapUsed - before) / 2000;
  await o.close();
  return { keptPerRunB };
}

/**
 * Bytes a W1 run holds while it is in flight: 1,000 runs started at once, each with its 8 steps
 * waiting on their agents, measured after a full GC (the agents' own waiting frames included; a
 * journal keeping no finished run). It is what every minor GC of a W4 burst copies for each run.
 */
async function inflight(): Promise<Record<string, unknown>> {
  if (storeKind !== 'memory') return { note: 'memory journal only' };
  if (!globalThis.gc) throw new Error('run with --expose-gc');
  const RUNS = 1000;
  const { agents, plan } = fanOutJoin(8);
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => undefined;
  let waiting = 0;
  // The steps of the harness's fan-out, each waiting at the gate before it answers.
  const gated = agents.map((a) =>
    /^w\d+$/.test(a.spec.name)
      ? defineAgent({
          name: a.spec.name,
          description: a.spec.description,
          consumes: ['plan'],
          produces: [a.spec.name],
          run: async () => {
            waiting++;
            await gate;
            return { [a.spec.name]: { i: Number(a.spec.name.slice(1)), v: 1 } };
          },
        })
      : a,
  );
  const o = orchestrator({ agents: gated, plan }, 8, new MemoryRunStore({ maxFinishedRuns: 0 }));
  for (let i = 0; i < 300; i++) check(await o.run('warm up'), 'result', fanOutResult(8));
  gate = new Promise((resolve) => (open = resolve));
  waiting = 0;
  await new Promise((r) => setTimeout(r, 20));
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const runs = Array.from({ length: RUNS }, () => o.run('bench'));
  const giveUp = Date.now() + 60_000;
  while (waiting < RUNS * 8) {
    if (Date.now() > giveUp) throw new Error(`only ${waiting} of ${RUNS * 8} steps started within a minute`);
    await new Promise((r) => setTimeout(r, 5));
  }
  globalThis.gc();
  const inflightPerRunB = (process.memoryUsage().heapUsed - before) / RUNS;
  open();
  for (const r of await Promise.all(runs)) check(r, 'result', fanOutResult(8));
  await o.close();
  return { inflightPerRunB };
}

/**
 * Bytes promoted to V8's old space per W1 run in a child process running `childCase` with
 * `nodeFlags`, which prints each GC (`--trace-gc-nvp`).
 * - `promoted`: a journal that keeps no finished run, the code unoptimised (`--max-opt=0`: how
 *   every run executes until V8 has optimised the hot paths, the first thousands of runs of a
 *   process). What is promoted was held by something else while minor GCs ran: a per-run closure
 *   kept on the run's job once promoted ~5 KB per run this way, and every scavenge copied it.
 * - `promoted-kept`: a journal that keeps its last 10 finished runs, the code optimised. A kept
 *   run dies long before two minor GCs: the journal's Map of runs once kept the forgotten ones
 *   through its old tables, ~2.2 KB per run (twenty-ninth pass).
 * - `promoted-pool`: no finished run kept, 100 runs in flight at all times. The orchestrator's
 *   Maps of runs in flight once kept every run that had left them through their old tables,
 *   5.5-8.1 KB per run (twenty-ninth pass).
 */
function promoted(nodeFlags: string[], childCase: string, runs = PROMOTED_RUNS): Record<string, unknown> {
  if (storeKind !== 'memory') return { note: 'memory journal only' };
  const { bytes, scavenges } = promotedIn(measuredLines([...nodeFlags, '--trace-gc-nvp'], childCase));
  return { promotedPerRunB: bytes / runs, scavenges };
}

const PROMOTED_RUNS = 4000;

/**
 * What a child process running `childCase` with `nodeFlags` printed between its two marker lines
 * (V8's traces go to stdout too, so only those of the measured runs are read).
 */
function measuredLines(nodeFlags: string[], childCase: string): string[] {
  const out = execFileSync(process.execPath, [...nodeFlags, '--import', 'tsx', import.meta.filename, childCase, 'memory'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
  });
  return measuredWindow(out, childCase).lines;
}

/**
 * A child's W1 runs: `warmUp` to warm up (200 unless said), then `runs` between the marker lines
 * {@link measuredLines} reads, `inFlight` at a time (each of that many loops starts its next run
 * when its last one ends).
 */
async function markedRuns(store: RunStore, runs: number, warmUp = 200, inFlight = 1): Promise<void> {
  const o = orchestrator(fanOutJoin(8), 8, store);
  const loops = async (total: number, goal: string): Promise<void> => {
    let left = total;
    const loop = async (): Promise<void> => {
      while (left > 0) {
        left--;
        check(await o.run(goal), 'result', fanOutResult(8));
      }
    };
    await Promise.all(Array.from({ length: inFlight }, loop));
  };
  await loops(warmUp, 'warm up');
  process.stdout.write('measuring\n');
  await loops(runs, 'bench');
  process.stdout.write('measured\n');
  await o.close();
}

/**
 * Optimised code V8 throws away because something it was compiled against changed ("marking
 * dependent code ... for deoptimization"), over 4,000 W1 runs with the default memory journal, in
 * a child process that prints each deopt (`--trace-deopt`). Each such function runs unoptimised
 * again until V8 compiles it anew, a thousand runs or more for one called once per run. It is how
 * literal sites of the events the journal keeps showed up: once the journal was full, V8 tenured
 * them and threw away begin, settle, planRun, deliver, createRun and the start of a run at once.
 */
function deopts(): Record<string, unknown> {
  if (storeKind !== 'memory') return { note: 'memory journal only' };
  const functions: string[] = [];
  for (const line of measuredLines(['--trace-deopt'], 'deopt-runs')) {
    const dependent = /marking dependent code .*<SharedFunctionInfo ?([^>]*)>/.exec(line);
    if (dependent) functions.push(dependent[1] || '(anonymous)');
  }
  return { dependencyDeopts: functions.length, ...(functions.length > 0 ? { deoptimised: functions.join(' ') } : {}) };
}

/**
 * One run of an n-task plan, its first (so its validation is in it): the time and peak RSS. Then,
 * in a third run of the same plan, the longest the event loop went without a turn (the largest
 * lateness of a 1 ms timer): how long Baton's scheduling holds the loop once the code is warm and
 * the plan known to be valid.
 */
async function bigPlan(w: Workload, n: number, last: string, expected: unknown, integrator?: Integrator): Promise<Record<string, unknown>> {
  const rss = rssPeak();
  const o = orchestrator(w, 100, store(), integrator);
  const t0 = process.hrtime.bigint();
  const r = await o.run('bench');
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 'succeeded') throw new Error(`${r.status}: ${r.reason}`);
  if (expected !== undefined) check(r, last, expected);
  const peakRssMb = await rss.stop();
  // The second run checks the plan again (a plan is remembered as valid once seen twice).
  const second = await o.run('bench');
  if (second.status !== 'succeeded') throw new Error(`${second.status}: ${second.reason}`);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // Its timer starts at the loop's next turn, and a loop held to the end of the run shows its
  // delay only when the timer fires after it.
  const turn = (): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, 5));
  await turn();
  const again = await o.run('bench');
  await turn();
  delay.disable();
  if (again.status !== 'succeeded') throw new Error(`${again.status}: ${again.reason}`);
  await o.close();
  return { msPerRun: ms, usPerTask: (ms * 1000) / n, maxLoopGapMs: delay.max / 1e6, peakRssMb };
}

async function main(): Promise<Record<string, unknown>> {
  switch (caseName) {
    case 'W1':
      return w1();
    case 'W1-settled':
      return w1Settled();
    case 'W1-settled-kept10':
      return w1Settled(10);
    case 'W2':
      return w2();
    case 'W2-settled':
      return w2Settled();
    case 'W2-copies':
      return w2Copies();
    case 'followed':
      return followed();
    case 'W3':
      return w3();
    case 'W3-settled':
      return w3Settled();
    case 'W4':
      return w4();
    case 'kept':
      return kept();
    case 'inflight':
      return inflight();
    case 'promoted':
      return promoted(['--max-opt=0'], 'promoted-runs');
    case 'promoted-kept':
      // Optimised code, a journal keeping its last 10 finished runs: what a kept run holds must
      // not outlive its eviction through the journal's tables (twenty-ninth pass).
      return promoted([], 'promoted-kept-runs');
    case 'promoted-pool':
      return promoted([], 'promoted-pool-runs', PROMOTED_RUNS * 5);
    case 'deopts':
      return deopts();
    case 'tasks-10000':
    case 'tasks-20000': {
      const n = Number(caseName.slice('tasks-'.length));
      return bigPlan(layered(n, 100), n, '', undefined);
    }
    case 'join-10000':
    case 'join-20000': {
      const width = Number(caseName.slice('join-'.length));
      return bigPlan(fanOutJoin(width), width + 2, 'result', fanOutResult(width));
    }
    case 'pairs-10000':
      return bigPlan(makerPairs(10_000), 10_000, '', undefined);
    case 'integrated-10000':
      // A custom integrator gets its own copy of the run's result so far: a copy of 10,000 tasks.
      return bigPlan(layered(10_000, 100), 10_000, '', undefined, ({ artifacts }) => ({ artifacts: { summary: { artifacts: Object.keys(artifacts).length } }, files: [], provenance: {} }));
    default:
      throw new Error(`unknown case ${caseName} (W1, W1-settled, W1-settled-kept10, W2, W2-settled, W2-copies, followed, W3, W3-settled, W4, kept, inflight, promoted, promoted-kept, promoted-pool, deopts, tasks-10000, tasks-20000, join-10000, join-20000, pairs-10000, integrated-10000)`);
  }
}

try {
  // The children of `promoted` (a journal keeping no finished run), `promoted-kept` (10 kept) and `deopts` (the default one).
  if (caseName === 'promoted-runs') await markedRuns(new MemoryRunStore({ maxFinishedRuns: 0 }), PROMOTED_RUNS);
  else if (caseName === 'promoted-kept-runs') await markedRuns(new MemoryRunStore({ maxFinishedRuns: 10 }), PROMOTED_RUNS, 2000);
  else if (caseName === 'promoted-pool-runs') await markedRuns(new MemoryRunStore({ maxFinishedRuns: 0 }), PROMOTED_RUNS * 5, 6000, 100);
  else if (caseName === 'deopt-runs') await markedRuns(store(), 4000);
  else {
    const figures = await main();
    process.stdout.write(`${JSON.stringify({ case: caseName, store: storeKind, ...figures })}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
