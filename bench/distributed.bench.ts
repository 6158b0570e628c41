/**
 * Baton's overhead on top of BullMQ: tasks/s of a run of no-op tasks dispatched to 1, 2 and 4
 * `baton worker` processes, next to raw BullMQ throughput for no-op jobs on the same Redis with
 * the same number of worker processes and jobs in flight (the ratio is the figure: the median of
 * `rounds` rounds, each measuring raw BullMQ then Baton), and the
 * latency a task gains from going through Redis (sequential tasks, distributed minus in-process),
 * and the bytes V8 promotes per task in the orchestrator's process.
 *
 *   npm run build && node --import tsx bench/distributed.bench.ts [--tasks 2000] [--chain 200] [--in-flight 64] [--workers 1,2,4] [--rounds 3] [--promoted-tasks 10000]
 *
 * The workers run the built package, as users run them. Needs redis-server (a throwaway one is
 * started). Prints a table on stderr, with the CPU per task of each side's processes, saves the
 * figures under bench/results/distributed-<time>.json and prints them as one JSON line on stdout.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Planner } from '../packages/core/src/core/contracts.ts';
import type { Manifest, Plan } from '../packages/core/src/core/types.ts';
import { redisOptions } from '../packages/scale/src/connection.ts';
import { Dispatcher } from '../packages/scale/src/dispatcher.ts';
import { loadManifest } from '../packages/core/src/manifest/index.ts';
import { Orchestrator } from '../packages/core/src/orchestrator.ts';
import { startRedis } from '../packages/core/test/support/redis.ts';
import { CpuMeter } from './cpu-meter.ts';
import type { CpuPerTask } from './cpu-meter.ts';
import { BATON, distEnv } from './dist-cli.ts';
import { machineInfo } from './machine-info.ts';
import { median } from './median.ts';
import { measuredWindow, promotedIn } from './promoted.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const RAW_QUEUE = 'raw-noop';
const RAW_PREFIX = 'bench:raw';

// `raw-worker <url> <concurrency>`: this file is also the raw BullMQ worker process.
if (process.argv[2] === 'raw-worker') {
  const [url, concurrency] = process.argv.slice(3);
  const worker = new Worker(RAW_QUEUE, async () => ({ tick: true }), {
    connection: redisOptions(url!, true),
    prefix: RAW_PREFIX,
    concurrency: Number(concurrency),
  });
  await worker.waitUntilReady();
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => void worker.close(true).then(() => process.exit(0)));
} else if (process.argv[2] === 'dispatch-promoted') {
  const [url, manifestFile, tasks] = process.argv.slice(3);
  await dispatchPromotedChild(url!, manifestFile!, Number(tasks));
} else {
  await main();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tasks: { type: 'string', default: '2000' },
      chain: { type: 'string', default: '200' },
      'in-flight': { type: 'string', default: '64' },
      workers: { type: 'string', default: '1,2,4' },
      rounds: { type: 'string', default: '3' },
      'promoted-tasks': { type: 'string', default: '10000' },
    },
  });
  const tasks = Number(values.tasks);
  const rounds = Math.max(1, Number(values.rounds));
  const chain = Number(values.chain);
  const inFlight = Number(values['in-flight']);
  const workerCounts = values.workers.split(',').map(Number);
  const machine = machineInfo();
  const redis = await startRedis();
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-dist-'));
  const children = new Set<ChildProcess>();
  try {
    const manifestFile = writeNoopManifest(dir, inFlight);
    const manifest = await loadManifest(manifestFile);
    const throughput: Record<string, unknown>[] = [];
    for (const n of workerCounts) {
      process.stderr.write(`measuring ${tasks} no-op tasks with ${n} worker process${n === 1 ? '' : 'es'}, ${rounds} round${rounds === 1 ? '' : 's'}...\n`);
      // Raw and Baton alternate, round after round: the host's speed moves by a third from minute to minute here.
      const raws: Measured[] = [];
      const batons: Measured[] = [];
      const meter = (workers: readonly ChildProcess[]): CpuMeter => new CpuMeter(workers.map((w) => w.pid!), redis.pid());
      for (let round = 0; round < rounds; round++) {
        const raw = await withProcesses(children, n, () => spawnRaw(redis.url, inFlight), (workers) => rawThroughput(redis.url, tasks, inFlight, meter(workers)));
        await flush(redis.url);
        const baton = await withProcesses(children, n, () => spawnBatonWorker(manifestFile, redis.url, inFlight), (workers) => batonThroughput(manifest, redis.url, tasks, meter(workers)));
        await flush(redis.url);
        raws.push(raw);
        batons.push(baton);
      }
      const ratios = batons.map((b, i) => b.perSec / raws[i]!.perSec);
      const [raw, baton, ratio] = [median(raws.map((r) => r.perSec)), median(batons.map((b) => b.perSec)), median(ratios)];
      const rawCpu = medianCpu(raws);
      const batonCpu = medianCpu(batons);
      throughput.push({
        workers: n,
        rawJobsPerSec: raw,
        batonTasksPerSec: baton,
        ratio,
        rawCpuMicrosPerJob: rawCpu,
        batonCpuMicrosPerTask: batonCpu,
        rounds: ratios.map((r, i) => ({ rawJobsPerSec: raws[i]!.perSec, batonTasksPerSec: batons[i]!.perSec, ratio: r, rawCpu: raws[i]!.cpu, batonCpu: batons[i]!.cpu })),
      });
      process.stderr.write(
        `workers ${n}: raw BullMQ ${raw.toFixed(0)} jobs/s, Baton ${baton.toFixed(0)} tasks/s (${(ratio * 100).toFixed(0)}% of raw; rounds ${ratios.map((r) => `${(r * 100).toFixed(0)}%`).join(', ')}; medians)\n`,
      );
      if (rawCpu && batonCpu) process.stderr.write(`  CPU per task, µs (this process + workers + Redis): raw ${cpuLine(rawCpu)}; Baton ${cpuLine(batonCpu)}\n`);
    }

    const sequential = structuredClone(manifest);
    sequential.orchestrator.policy.maxParallel = 1;
    const inProcessMs = await chainLatency(sequential, undefined, chain);
    const rawRoundTripMs = await withProcesses(children, 1, () => spawnRaw(redis.url, 1), () => rawLatency(redis.url, chain));
    await flush(redis.url);
    const distributedMs = await withProcesses(children, 1, () => spawnBatonWorker(manifestFile, redis.url, 1), () => chainLatency(sequential, redis.url, chain));
    const latency = { tasks: chain, inProcessMsPerTask: inProcessMs, distributedMsPerTask: distributedMs, addedMsPerTask: distributedMs - inProcessMs, rawBullmqRoundTripMs: rawRoundTripMs };
    process.stderr.write(
      `latency per sequential task: in-process ${inProcessMs.toFixed(2)} ms, distributed ${distributedMs.toFixed(2)} ms (+${(distributedMs - inProcessMs).toFixed(2)} ms); raw BullMQ round trip ${rawRoundTripMs.toFixed(2)} ms\n`,
    );

    const promotedTasks = Number(values['promoted-tasks']);
    const promoted = await withProcesses(children, 1, () => spawnBatonWorker(manifestFile, redis.url, inFlight), () => dispatcherPromoted(redis.url, manifestFile, promotedTasks));
    await flush(redis.url);
    process.stderr.write(`promoted to the old generation per task, in the orchestrator's process (a run of ${promotedTasks}): ${promoted.toFixed(0)} B\n`);

    const report = { suite: 'distributed', case: `noop x${tasks}, ${inFlight} in flight`, machine, at: new Date().toISOString(), throughput, latency, dispatcherPromotedPerTaskB: promoted };
    const resultsDir = path.join(ROOT, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `distributed-${report.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(`saved ${path.relative(process.cwd(), file)}\n`);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A manifest with one module agent that returns at once. */
function writeNoopManifest(dir: string, maxParallel: number): string {
  writeFileSync(path.join(dir, 'noop.mjs'), 'export default () => ({ tick: true });\n');
  const file = path.join(dir, 'baton.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'orchestrator:',
      '  name: bench',
      '  description: no-op tasks',
      '  instructions: none',
      '  subagents: [noop]',
      '  deliverable: [tick]',
      `  policy: { maxParallel: ${maxParallel}, retries: 0, taskTimeoutMs: 120000, runTimeoutMs: 3600000 }`,
      'agents:',
      '  noop: { description: does nothing, produces: [tick], kind: module, module: ./noop.mjs }',
      '',
    ].join('\n'),
  );
  return file;
}

/** A plan of `n` independent no-op tasks (the builtin planner would make one). */
function noopPlanner(n: number): Planner {
  const plan: Plan = { tasks: Array.from({ length: n }, (_, i) => ({ id: `t${i + 1}-noop`, title: 'noop', instructions: '', agent: 'noop', dependsOn: [], consumes: [], produces: ['tick'] })) };
  return { name: 'builtin', plan: async () => ({ plan, planner: 'builtin' }) };
}

/** A throughput and the CPU each task cost (undefined where /proc cannot be read). */
interface Measured {
  perSec: number;
  cpu: CpuPerTask | undefined;
}

function medianCpu(measured: readonly Measured[]): CpuPerTask | undefined {
  const cpus = measured.map((m) => m.cpu);
  if (cpus.some((c) => c === undefined)) return undefined;
  const of = (key: keyof CpuPerTask): number => median(cpus.map((c) => c![key]));
  return { self: of('self'), workers: of('workers'), redis: of('redis'), total: of('total') };
}

function cpuLine(cpu: CpuPerTask): string {
  return `${cpu.self.toFixed(0)} + ${cpu.workers.toFixed(0)} + ${cpu.redis.toFixed(0)} = ${cpu.total.toFixed(0)}`;
}

/** Tasks/s of one run of `n` no-op tasks through BullMQ (journal in memory: the dispatch is measured). */
async function batonThroughput(manifest: Manifest, url: string, n: number, meter: CpuMeter): Promise<Measured> {
  await warmUp(manifest, url);
  const dispatcher = await Dispatcher.connect({ url });
  try {
    const orchestrator = new Orchestrator({ manifest, planner: noopPlanner(n), registry: dispatcher.registry() });
    meter.begin();
    const started = performance.now();
    const result = await orchestrator.run('benchmark');
    const ms = performance.now() - started;
    const cpu = meter.end(n);
    if (result.status !== 'succeeded') throw new Error(`benchmark run ended ${result.status}: ${result.reason ?? ''}`);
    return { perSec: (n / ms) * 1000, cpu };
  } finally {
    await dispatcher.close();
  }
}

/**
 * Mean ms per task of a run of `n` tasks one after another (maxParallel 1), in-process or through
 * Redis. One orchestrator runs the warm-up and the measured run: in-process, its agent's worker
 * thread starts with the first, not inside the figure.
 */
async function chainLatency(manifest: Manifest, url: string | undefined, n: number): Promise<number> {
  const dispatcher = url ? await Dispatcher.connect({ url }) : undefined;
  const warmUpTasks = noopPlanner(10);
  const measuredTasks = noopPlanner(n);
  const planner: Planner = { name: 'builtin', plan: (goal, ...rest) => (goal === 'warm-up' ? warmUpTasks : measuredTasks).plan(goal, ...rest) };
  const orchestrator = new Orchestrator({ manifest, planner, ...(dispatcher ? { registry: dispatcher.registry() } : {}) });
  try {
    await orchestrator.run('warm-up');
    const started = performance.now();
    const result = await orchestrator.run('benchmark');
    if (result.status !== 'succeeded') throw new Error(`benchmark run ended ${result.status}`);
    return (performance.now() - started) / n;
  } finally {
    await orchestrator.close();
    await dispatcher?.close();
  }
}

/**
 * Bytes V8's minor GCs promote per task in the orchestrator's process, over one run of `tasks`
 * no-op tasks through Redis (a child that prints each GC, `--trace-gc-nvp`). What a run keeps of
 * its tasks (their records and events, ~700 B in-process) is promoted as the run goes on; more is
 * memory kept past its use: the dispatcher's Map of awaited attempts once kept every settled one
 * through its old tables (5.1-5.3 KB per task here, 1.7-2.4 since; docs/performance.md, thirtieth pass).
 */
async function dispatcherPromoted(url: string, manifestFile: string, tasks: number): Promise<number> {
  // Not execFileSync: this process reads the worker's output meanwhile.
  const { stdout: out } = await promisify(execFile)(process.execPath, ['--trace-gc-nvp', '--import', 'tsx', import.meta.filename, 'dispatch-promoted', url, manifestFile, String(tasks)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return promotedIn(measuredWindow(out, 'dispatch-promoted').lines).bytes / tasks;
}

/** The child of {@link dispatcherPromoted}: a warm-up run, then the measured one between two markers. */
async function dispatchPromotedChild(url: string, manifestFile: string, tasks: number): Promise<void> {
  const manifest = await loadManifest(manifestFile);
  const dispatcher = await Dispatcher.connect({ url });
  try {
    const warm = await new Orchestrator({ manifest, planner: noopPlanner(2_000), registry: dispatcher.registry() }).run('warm-up');
    const orchestrator = new Orchestrator({ manifest, planner: noopPlanner(tasks), registry: dispatcher.registry() });
    process.stdout.write('measuring\n');
    const result = await orchestrator.run('benchmark');
    process.stdout.write('measured\n');
    if (warm.status !== 'succeeded' || result.status !== 'succeeded') throw new Error(`a promoted run ended ${warm.status}, ${result.status}`);
  } finally {
    await dispatcher.close();
  }
}

/** A short run first, so module loading and connections are not measured. */
async function warmUp(manifest: Manifest, url: string): Promise<void> {
  const dispatcher = await Dispatcher.connect({ url });
  try {
    await new Orchestrator({ manifest, planner: noopPlanner(50), registry: dispatcher.registry() }).run('warm-up');
  } finally {
    await dispatcher.close();
  }
}

/** Raw BullMQ: `n` no-op jobs, `inFlight` at a time (a new one added as one completes), jobs/s. */
async function rawThroughput(url: string, n: number, inFlight: number, meter: CpuMeter): Promise<Measured> {
  await rawClosedLoop(url, 50, inFlight);
  const { ms, cpu } = await rawClosedLoop(url, n, inFlight, meter);
  return { perSec: (n / ms) * 1000, cpu };
}

/** Raw BullMQ round trip of one job at a time: add, then wait for its completion event (ms). */
async function rawLatency(url: string, n: number): Promise<number> {
  await rawClosedLoop(url, 10, 1);
  return (await rawClosedLoop(url, n, 1)).ms / n;
}

/** Ms to run `n` jobs, `inFlight` at a time, and the CPU per job that `meter` saw meanwhile. */
async function rawClosedLoop(url: string, n: number, inFlight: number, meter?: CpuMeter): Promise<{ ms: number; cpu: CpuPerTask | undefined }> {
  const connection = new Redis(redisOptions(url, false));
  const queue = new Queue(RAW_QUEUE, { connection, prefix: RAW_PREFIX });
  // Read events from the server's clock now: a reader starting at '$' may miss the first completions.
  const [seconds, micros] = await connection.time();
  const lastEventId = `${Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - 1}-0`;
  const events = new QueueEvents(RAW_QUEUE, { connection: redisOptions(url, true), prefix: RAW_PREFIX, lastEventId });
  await events.waitUntilReady();
  try {
    meter?.begin();
    const started = performance.now();
    let added = 0;
    let done = 0;
    await new Promise<void>((resolve, reject) => {
      const addOne = (): void => {
        added++;
        queue.add('noop', {}, { removeOnComplete: true, removeOnFail: true }).catch(reject);
      };
      events.on('completed', () => {
        done++;
        if (done === n) resolve();
        else if (added < n) addOne();
      });
      for (let i = 0; i < Math.min(inFlight, n); i++) addOne();
    });
    const ms = performance.now() - started;
    return { ms, cpu: meter?.end(n) };
  } finally {
    await events.close();
    await queue.close();
    connection.disconnect();
  }
}

function spawnRaw(url: string, concurrency: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'distributed.bench.ts'), 'raw-worker', url, String(concurrency)], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** A `baton worker` as users run it: the built package (`npm run build` first), not the sources through tsx. */
function spawnBatonWorker(manifestFile: string, url: string, concurrency: number): ChildProcess {
  return spawn(process.execPath, [BATON, 'worker', '-m', manifestFile, '--redis', url, '--concurrency', String(concurrency)], { stdio: ['ignore', 'pipe', 'pipe'], env: distEnv() });
}

/** Starts `n` worker processes, waits until each is ready, measures, then stops them. */
async function withProcesses<T>(children: Set<ChildProcess>, n: number, start: () => ChildProcess, measure: (workers: readonly ChildProcess[]) => Promise<T>): Promise<T> {
  const started = Array.from({ length: n }, start);
  for (const c of started) children.add(c);
  try {
    await Promise.all(started.map(ready));
    return await measure(started);
  } finally {
    await Promise.all(
      started.map(
        (c) =>
          new Promise<void>((resolve) => {
            children.delete(c);
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
  }
}

/** Resolves when a worker prints that it is ready (`ready` on stdout, or baton's line on stderr). */
function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (/(^|\s)ready/.test(seen)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready: ${seen.slice(-500)}`)));
  });
}

async function flush(url: string): Promise<void> {
  const client = new Redis(redisOptions(url, false));
  await client.flushall();
  client.disconnect();
}
