/**
 * Scheduler overhead with no-op agents defined in code. One case per process, so peak RSS is the
 * case's own: `node --import tsx bench/scheduler.bench.ts <case> <memory|sqlite>` prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunStore } from '../packages/core/src/core/contracts.ts';
import { createOrchestrator } from '../packages/core/src/create-orchestrator.ts';
import { StaticPlanner } from '../packages/core/src/planning/static-planner.ts';
import { MemoryRunStore, SqliteRunStore } from '../packages/core/src/store/index.ts';
import { chain, fanOut, layered, wide } from './workloads.ts';
import type { Workload } from './workloads.ts';

const [caseName = 'fan-out-8', storeKind = 'memory'] = process.argv.slice(2);
const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-'));

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 5);
sampler.unref();

function store(): RunStore {
  return storeKind === 'sqlite' ? new SqliteRunStore({ file: path.join(dir, 'bench.db') }) : new MemoryRunStore();
}

function orchestrator(w: Workload, maxParallel: number, s: RunStore) {
  return createOrchestrator({ name: 'bench', agents: w.agents, planner: new StaticPlanner(w.plan), store: s, policy: { maxParallel } });
}

async function sequentialRuns(w: Workload, runs: number, maxParallel: number): Promise<number> {
  const s = store();
  const o = orchestrator(w, maxParallel, s);
  for (let i = 0; i < Math.min(50, runs); i++) await o.run('warm up');
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) {
    const r = await o.run('bench');
    if (r.status !== 'succeeded') throw new Error(`run ${r.runId} ${r.status}: ${r.reason}`);
  }
  const ns = Number(process.hrtime.bigint() - t0);
  await o.close();
  return ns / runs;
}

async function concurrentRuns(w: Workload, runs: number): Promise<{ runsPerSec: number; ms: number }> {
  const s = store();
  const o = orchestrator(w, 16, s);
  await o.run('warm up');
  const t0 = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: runs }, () => o.run('bench')));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const bad = results.filter((r) => r.status !== 'succeeded').length;
  if (bad) throw new Error(`${bad} runs did not succeed`);
  await o.close();
  return { runsPerSec: (runs * 1000) / ms, ms };
}

/** One run of a plan of `n` tasks in layers of 100: time and memory should grow linearly with n. */
async function bigPlan(n: number): Promise<Record<string, unknown>> {
  const o = orchestrator(layered(n, 100), 100, store());
  const t0 = process.hrtime.bigint();
  const r = await o.run('bench');
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 'succeeded') throw new Error(`${r.status}: ${r.reason}`);
  await o.close();
  return { msPerRun: ms, usPerTask: (ms * 1000) / n };
}

async function main(): Promise<Record<string, unknown>> {
  switch (caseName) {
    case 'fan-out-8': {
      const nsPerRun = await sequentialRuns(fanOut(8), 2000, 16);
      return { usPerRun: nsPerRun / 1000, usPerTask: nsPerRun / 1000 / 10 };
    }
    case 'chain-100': {
      const nsPerRun = await sequentialRuns(chain(100), 100, 4);
      return { usPerTask: nsPerRun / 1000 / 100, msPerRun: nsPerRun / 1e6 };
    }
    case 'wide-1000': {
      const nsPerRun = await sequentialRuns(wide(1000), 20, 1000);
      return { msPerRun: nsPerRun / 1e6, usPerTask: nsPerRun / 1000 / 1000 };
    }
    case 'concurrent-1000': {
      const r = await concurrentRuns(fanOut(8), 1000);
      return { runsPerSec: r.runsPerSec, msTotal: r.ms, usPerTask: (r.ms * 1000) / (1000 * 10) };
    }
    case 'tasks-10000':
    case 'tasks-20000':
      return bigPlan(Number(caseName.slice('tasks-'.length)));
    default:
      throw new Error(`unknown case ${caseName}`);
  }
}

try {
  const figures = await main();
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  process.stdout.write(`${JSON.stringify({ case: caseName, store: storeKind, ...figures, peakRssMb: peakRss / 1024 / 1024 })}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
