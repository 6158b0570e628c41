/**
 * `npm run bench:takeover [-- --trials 3 --runs 50 --replicas 3 --lease-ms 15000]`
 *
 * Three `baton serve` replicas on one PostgreSQL journal, dispatching to two `baton worker`s on
 * Redis (real servers started here). Each trial starts `--runs` runs spread over the replicas,
 * SIGKILLs one replica while every run has a task under way, and measures, for each run the dead
 * replica owned, the time from the SIGKILL to its `run.resumed` on another replica (takeover), then
 * waits for every run to end. It counts runs lost (not ended within 5 minutes) and tasks executed
 * again although their success was journaled (both must be 0), prints the figures and saves JSON
 * under bench/results/. The lease is the default one (BATON_LEASE_MS, 15 s) unless given. On one
 * host a dead replica is found at once by its pid; `--distinct-hosts` gives each replica its own
 * BATON_HOST_ID, as on separate machines, where only the lease finds it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { RunEvent } from '../packages/core/src/core/events.ts';
import { startPostgres } from '../packages/core/test/support/postgres.ts';
import { startRedis } from '../packages/core/test/support/redis.ts';
import { PostgresRunStore } from '../packages/scale/src/postgres/index.ts';
import { spawnCli, stopProcess, waitFor } from '../packages/scale/test/helpers.ts';
import type { CliProcess } from '../packages/scale/test/helpers.ts';
import { DURABLE_MANIFEST, postRun, reExecutedAfterSuccess, startReplica } from '../packages/scale/test/replicas.ts';
import type { Replica } from '../packages/scale/test/replicas.ts';
import { machineInfo } from './machine-info.ts';

const { values } = parseArgs({ options: { trials: { type: 'string' }, runs: { type: 'string' }, replicas: { type: 'string' }, 'lease-ms': { type: 'string' }, 'distinct-hosts': { type: 'boolean' } } });
// As if each replica ran on its own machine (BATON_HOST_ID): a dead replica is found by its lease, not its pid.
const distinctHosts = values['distinct-hosts'] === true;
const trials = Number(values.trials ?? 3);
const runCount = Number(values.runs ?? 50);
const replicaCount = Number(values.replicas ?? 3);
const leaseMs = values['lease-ms'] ?? '15000';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const pg = await startPostgres();
const redis = await startRedis();
const dir = mkdtempSync(path.join(tmpdir(), 'baton-takeover-bench-'));
const log = path.join(dir, 'agents.log');
const env = { BATON_REDIS_URL: redis.url, BATON_LEASE_MS: leaseMs, BATON_TEST_LOG: log, BATON_TEST_DELAY_MS: '3000' };
const processes: CliProcess[] = [];
const takeovers: number[] = [];
let lost = 0;
let reExecuted = 0;
const store = await PostgresRunStore.connect(pg.url);
try {
  for (let i = 0; i < 2; i++) {
    const worker = spawnCli(['worker', '-m', DURABLE_MANIFEST, '--concurrency', '64'], env, dir);
    processes.push(worker);
    await waitFor('a worker to be ready', () => /ready: agents/.test(worker.stderr()), 60_000);
  }
  for (let trial = 1; trial <= trials; trial++) {
    const replicas: Replica[] = [];
    for (let i = 0; i < replicaCount; i++) replicas.push(await startReplica(pg.url, distinctHosts ? { ...env, BATON_HOST_ID: `machine-${trial}-${i}` } : env, dir));
    processes.push(...replicas);
    const runs = new Map<string, Replica>();
    for (let i = 0; i < runCount; i++) {
      const replica = replicas[i % replicaCount]!;
      runs.set(await postRun(replica, 'carry the numbers'), replica);
    }
    await waitFor('every run to have a task under way', async () => {
      for (const id of runs.keys()) if (!(await store.readEvents(id)).some((e) => e.type === 'task.started')) return false;
      return true;
    }, 120_000);
    const victim = replicas[0]!;
    const owned = [...runs].filter(([, r]) => r === victim).map(([id]) => id);
    const killedAt = Date.now();
    await stopProcess(victim, 'SIGKILL');
    const journals = new Map<string, RunEvent[]>();
    try {
      await waitFor('every run to end', async () => {
        for (const id of runs.keys()) {
          if (journals.has(id)) continue;
          const events = await store.readEvents(id);
          if (events.at(-1)?.type !== 'run.ended') return false;
          journals.set(id, events);
        }
        return true;
      }, 300_000);
    } catch {
      lost += runs.size - journals.size;
    }
    for (const id of owned) {
      const resumed = journals.get(id)?.find((e) => e.type === 'run.resumed');
      if (resumed) takeovers.push(Date.parse(resumed.at) - killedAt);
    }
    reExecuted += reExecutedAfterSuccess(log, journals).length;
    const statuses = [...journals.values()].map((events) => events.at(-1)).map((e) => (e?.type === 'run.ended' ? e.status : '?'));
    process.stderr.write(`trial ${trial}: ${owned.length} runs taken over, ${statuses.filter((s) => s === 'succeeded').length}/${runs.size} succeeded\n`);
    for (const r of replicas.slice(1)) await stopProcess(r, 'SIGTERM');
  }
} finally {
  await Promise.all(processes.map((p) => stopProcess(p, 'SIGKILL').catch(() => undefined)));
  await store.close();
  await Promise.all([pg.stop(), redis.stop()]);
  rmSync(dir, { recursive: true, force: true });
}

const figures = {
  trials,
  runsPerTrial: runCount,
  replicas: replicaCount,
  leaseMs: Number(leaseMs),
  distinctHosts,
  takeoverMs: { median: median(takeovers), max: Math.max(...takeovers), n: takeovers.length },
  runsLost: lost,
  tasksReExecutedAfterSuccess: reExecuted,
};
process.stdout.write(
  [
    `machine: node ${machineInfo().node}, ${machineInfo().cores} cores, load ${machineInfo().loadAverage.join(" ")}`,
    `takeover after a serve replica's SIGKILL (${replicaCount} replicas${distinctHosts ? ' on distinct hosts' : ' on one host'}, ${runCount} runs in flight, lease ${Number(leaseMs) / 1000} s, ${trials} trials):`,
    `  SIGKILL -> run.resumed on another replica: median ${(figures.takeoverMs.median / 1000).toFixed(2)} s, max ${(figures.takeoverMs.max / 1000).toFixed(2)} s (${takeovers.length} runs)`,
    `  runs lost: ${lost}   tasks re-executed after their success was journaled: ${reExecuted}`,
  ].join('\n') + '\n',
);
const out = path.resolve(import.meta.dirname, 'results');
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, `takeover-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), `${JSON.stringify({ machine: machineInfo(), figures }, null, 2)}\n`);
if (lost > 0 || reExecuted > 0) process.exitCode = 1;
