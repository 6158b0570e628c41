/**
 * What the PostgreSQL journal costs per run (`BATON_DATABASE_URL`, the distributed setup's
 * journal): W1 runs (fan-out 8 + join) through createOrchestrator over a PostgresRunStore, on a
 * throwaway local cluster with durability on (fsync, synchronous_commit), as a real server commits.
 * Prints the statements the journal sends per run (`statementsPerRun`: each a round trip and a
 * commit, the figure that does not depend on the machine) and how many of the runs' creations
 * also wrote their owner's heartbeat (`ownerBeatsPerRun`, `burstOwnerBeatsPerRun` with 100 in
 * flight: one every 100 ms is enough), then, one run at a time, µs per run (mean and p50) and the
 * CPU of this process per run, and the runs per second with 100 in flight.
 *
 *   npm run build && node --import tsx bench/postgres-journal.bench.ts [runs=2000]
 *
 * Needs the PostgreSQL server binaries (`apt-get install -y postgresql`, or BATON_PG_BIN). The
 * last line is one JSON object, as the other benchmarks print.
 */
import pg from 'pg';
// The packages as users install them (dist/ under `npm run bench`, which builds first): see bench/run.ts.
import { createOrchestrator, StaticPlanner } from 'batonjs';
import { PostgresRunStore } from 'batonjs-scale';
import { startPostgres } from '../packages/core/test/support/postgres.ts';
import { fanOutJoin } from './workloads.ts';

const RUNS = Number(process.argv[2] ?? 2000);
const WARMUP = 300;
const IN_FLIGHT = 100;

// Every statement the journal sends goes through its pool's query(); a run's creation carries its
// owner's heartbeat as its 12th value when it writes one.
let statements = 0;
let ownerBeats = 0;
const query = pg.Pool.prototype.query;
pg.Pool.prototype.query = function (this: pg.Pool, ...args: unknown[]) {
  statements++;
  const config = args[0] as { name?: string; values?: unknown[] } | undefined;
  if (config?.name === 'baton_create_run' && config.values?.[11] != null) ownerBeats++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

const server = await startPostgres({ durable: true });
try {
  const store = await PostgresRunStore.connect(server.url);
  const w = fanOutJoin(8);
  const o = createOrchestrator({ name: 'pg', agents: w.agents, planner: new StaticPlanner(w.plan), store, policy: { maxParallel: 8 } });
  const check = (r: { status: string; reason?: string }): void => {
    if (r.status !== 'succeeded') throw new Error(`W1 run ended ${r.status}: ${r.reason ?? ''}`);
  };
  for (let i = 0; i < WARMUP; i++) check(await o.run('w1'));

  statements = 0;
  ownerBeats = 0;
  const times: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    check(await o.run('w1'));
    times.push(performance.now() - t);
  }
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const statementsPerRun = statements / RUNS;
  const ownerBeatsPerRun = ownerBeats / RUNS;
  times.sort((a, b) => a - b);

  ownerBeats = 0;
  const burstStarted = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < RUNS) check(await o.run('w1'));
    }),
  );
  const runsPerSec = RUNS / ((performance.now() - burstStarted) / 1000);
  const burstOwnerBeatsPerRun = ownerBeats / RUNS;
  await o.close();

  const round = (n: number, digits = 0): number => Number(n.toFixed(digits));
  const result = {
    case: 'W1',
    store: 'postgres',
    statementsPerRun: round(statementsPerRun, 2),
    ownerBeatsPerRun: round(ownerBeatsPerRun, 3),
    usPerRun: round((wall * 1000) / RUNS),
    p50Us: round(times[times.length >> 1]! * 1000),
    cpuUsPerRun: round((used.user + used.system) / RUNS),
    runsPerSec: round(runsPerSec),
    burstOwnerBeatsPerRun: round(burstOwnerBeatsPerRun, 3),
  };
  process.stderr.write(`PostgreSQL journal, W1: ${result.statementsPerRun} statements per run (owner heartbeats ${result.ownerBeatsPerRun}; ${result.burstOwnerBeatsPerRun} with ${IN_FLIGHT} in flight), ${result.usPerRun} µs per run (p50 ${result.p50Us}), ${result.cpuUsPerRun} µs CPU; ${result.runsPerSec} runs/s with ${IN_FLIGHT} in flight\n`);
  console.log(JSON.stringify(result));
} finally {
  await server.stop();
}
