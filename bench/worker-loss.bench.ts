/**
 * Worker-loss recovery: the fan workflow of the scale-out tests (source -> left, middle, right ->
 * combine; attempt timeout 60 s) on real `baton worker` processes. In each trial one agent's
 * first attempt is held on a worker, that worker is SIGKILLed, and the figure is the time from
 * the kill to the start of the retried attempt on another worker (from the agents' own markers).
 * The killed worker is replaced after each trial, so the pool keeps its size. Also counted, over
 * all trials: runs that did not succeed, and tasks executed again after their success was
 * journaled (both must be 0), and executions that are not journaled attempts (BullMQ re-running
 * a job on its own; 0 expected). Last, one run whose `combine` agent keeps its worker's event loop
 * busy for `--busy-ms` (default 20000): its attempt must not be taken for lost.
 *
 *   NODE_OPTIONS=--conditions=batonjs-source node --import tsx bench/worker-loss.bench.ts [--kills 20] [--workers 3] [--busy-ms 20000]
 *
 * Needs redis-server (a throwaway one is started); the orchestrator runs in this process, its
 * journal in memory. Prints a summary on stderr, saves the figures under
 * bench/results/worker-loss-<time>.json and prints them as one JSON line on stdout.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { RunEvent } from '../packages/core/src/core/events.ts';
import type { RunResult } from '../packages/core/src/core/types.ts';
import { loadManifest } from '../packages/core/src/manifest/index.ts';
import { Orchestrator } from '../packages/core/src/orchestrator.ts';
import { startRedis } from '../packages/core/test/support/redis.ts';
import { Dispatcher } from '../packages/scale/src/dispatcher.ts';
import type { CliProcess } from '../packages/scale/test/helpers.ts';
import { Control, FAN_MANIFEST, GOAL, startWorker, stopProcess, waitFor } from '../packages/scale/test/helpers.ts';
import { machineInfo } from './machine-info.ts';
import { median } from './median.ts';

type Worker = CliProcess & { pid: number };

const AGENTS = ['source', 'left', 'middle', 'right', 'combine'];
/** A run that has not ended this long after its kill counts as lost. */
const RUN_DEADLINE_MS = 180_000;

interface Trial {
  agent: string;
  /** From the SIGKILL to the orchestrator failing the attempt as lost (ms). */
  detectedMs: number | undefined;
  /** From the SIGKILL to the retried attempt's start on another worker (ms). */
  recoveredMs: number | undefined;
  status: string;
  /** The first attempt's error, as journaled. */
  error: string | undefined;
  reExecutedAfterSuccess: number;
  unjournaledExecutions: number;
}

const { values } = parseArgs({ options: { kills: { type: 'string', default: '20' }, workers: { type: 'string', default: '3' }, 'busy-ms': { type: 'string', default: '20000' } } });
const kills = Number(values.kills);
const poolSize = Number(values.workers);
const busyMs = Number(values['busy-ms']);
if (!Number.isInteger(kills) || kills < 1 || !Number.isInteger(poolSize) || poolSize < 2 || !Number.isInteger(busyMs) || busyMs < 0) {
  process.stderr.write('usage: worker-loss.bench.ts [--kills N >= 1] [--workers N >= 2] [--busy-ms N >= 0]\n');
  process.exit(64);
}

const machine = machineInfo();
const redis = await startRedis();
const control = new Control();
const env = { BATON_REDIS_URL: redis.url, BATON_TEST_CONTROL: control.dir };
const pool: Worker[] = [];
const dispatcher = await Dispatcher.connect({ url: redis.url });
try {
  process.stderr.write(`starting ${poolSize} baton worker processes...\n`);
  pool.push(...(await Promise.all(Array.from({ length: poolSize }, () => startWorker(env, control.dir)))));
  const manifest = await loadManifest(FAN_MANIFEST);
  const trials: Trial[] = [];
  for (let i = 0; i < kills; i++) {
    const trial = await killOne(AGENTS[i % AGENTS.length]!, manifest);
    trials.push(trial);
    process.stderr.write(
      `kill ${i + 1}/${kills} (${trial.agent}): lost declared after ${fmt(trial.detectedMs)}, retried attempt started after ${fmt(trial.recoveredMs)}; run ${trial.status}\n`,
    );
  }
  const busy = busyMs > 0 ? await busyRun(manifest) : undefined;
  if (busy) process.stderr.write(`busy worker (combine computing for ${fmt(busyMs)} without yielding): attempts ${busy.attempts.join(', ')}\n`);
  const recovered = trials.map((t) => t.recoveredMs).filter((ms): ms is number => ms !== undefined);
  const detected = trials.map((t) => t.detectedMs).filter((ms): ms is number => ms !== undefined);
  const report = {
    suite: 'worker-loss',
    case: `fan workflow, ${poolSize} worker processes, ${kills} SIGKILLs of the worker holding an attempt; attempt timeout 60 s`,
    machine,
    at: new Date().toISOString(),
    recoveryMs: { median: median(recovered), max: Math.max(...recovered), min: Math.min(...recovered), samples: recovered.length },
    detectionMs: { median: median(detected), max: Math.max(...detected) },
    runsLost: trials.filter((t) => t.status !== 'succeeded').length,
    tasksReExecutedAfterSuccess: trials.reduce((n, t) => n + t.reExecutedAfterSuccess, 0),
    unjournaledExecutions: trials.reduce((n, t) => n + t.unjournaledExecutions, 0),
    firstAttemptError: trials[0]?.error,
    busyWorker: busy ? { busyMs, ...busy } : undefined,
    trials,
  };
  process.stderr.write(
    [
      `recovery (SIGKILL -> retried attempt started): median ${fmt(report.recoveryMs.median)}, max ${fmt(report.recoveryMs.max)} over ${recovered.length} kills`,
      `loss declared (SIGKILL -> attempt failed as lost): median ${fmt(report.detectionMs.median)}, max ${fmt(report.detectionMs.max)}`,
      `runs lost: ${report.runsLost}; tasks re-executed after their success was journaled: ${report.tasksReExecutedAfterSuccess}; executions that were not journaled attempts: ${report.unjournaledExecutions}`,
      '',
    ].join('\n'),
  );
  const dir = path.join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `worker-loss-${report.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(`saved ${path.relative(process.cwd(), file)}\n`);
  process.stdout.write(`${JSON.stringify({ ...report, trials: undefined })}\n`);
} finally {
  await Promise.all(pool.map((w) => stopProcess(w, 'SIGKILL')));
  await dispatcher.close();
  await redis.stop();
  control.remove();
}

/** One run; the worker that holds `agent`'s first attempt is killed, then replaced. */
async function killOne(agent: string, manifest: Awaited<ReturnType<typeof loadManifest>>): Promise<Trial> {
  clearMarkers();
  control.hold(agent, 1);
  const seen: { at: number; event: RunEvent }[] = [];
  const orchestrator = new Orchestrator({ manifest, registry: dispatcher.registry() });
  const run = orchestrator.run(GOAL, { onEvent: (event) => seen.push({ at: Date.now(), event }) });
  run.catch(() => undefined);
  try {
    const held = await waitFor(`${agent} to start on a worker`, () => control.markers('held', agent).find((m) => m.attempt === 1), 120_000);
    const victim = pool.find((w) => w.pid === held.pid);
    if (!victim) throw new Error(`no worker of the pool has pid ${held.pid}`);
    const killedAt = Date.now();
    await stopProcess(victim, 'SIGKILL');
    pool.splice(pool.indexOf(victim), 1);
    control.release(agent, 1);
    const retried = await waitFor(`the retried attempt of ${agent}`, () => control.markers('started', agent).find((m) => m.attempt === 2), RUN_DEADLINE_MS).catch(() => undefined);
    const result = await Promise.race([run, new Promise<undefined>((r) => setTimeout(() => r(undefined), RUN_DEADLINE_MS).unref())]);
    const lostAt = seen.find(({ event: e }) => e.type === 'task.attempt.failed' && e.agent === agent && e.attempt === 1);
    const trial: Trial = {
      agent,
      detectedMs: lostAt ? lostAt.at - killedAt : undefined,
      recoveredMs: retried ? retried.at - killedAt : undefined,
      status: result?.status ?? 'did not end',
      error: result?.tasks.find((t) => t.agent === agent)?.attempts[0]?.error,
      ...reExecutions(seen, result),
    };
    pool.push(await startWorker(env, control.dir));
    return trial;
  } finally {
    control.release(agent, 1);
    await orchestrator.close();
  }
}

/** One run whose `combine` keeps its worker's event loop busy: its attempts' statuses. */
async function busyRun(manifest: Awaited<ReturnType<typeof loadManifest>>): Promise<{ status: string; attempts: string[] }> {
  clearMarkers();
  control.spin('combine', busyMs);
  const orchestrator = new Orchestrator({ manifest, registry: dispatcher.registry() });
  try {
    const result = await orchestrator.run(GOAL);
    return { status: result.status, attempts: result.tasks.find((t) => t.agent === 'combine')?.attempts.map((a) => a.status ?? 'running') ?? [] };
  } finally {
    rmSync(path.join(control.dir, 'spin-combine'), { force: true });
    await orchestrator.close();
  }
}

/** Executions (the agents' `started` markers) compared with what the journal holds. */
function reExecutions(seen: { at: number; event: RunEvent }[], result: RunResult | undefined): { reExecutedAfterSuccess: number; unjournaledExecutions: number } {
  let reExecutedAfterSuccess = 0;
  let unjournaledExecutions = 0;
  const started = control.markers('started');
  for (const { at, event } of seen) {
    if (event.type !== 'task.succeeded') continue;
    reExecutedAfterSuccess += started.filter((m) => m.task === event.taskId && m.at > at).length;
  }
  for (const task of result?.tasks ?? []) {
    unjournaledExecutions += Math.max(0, started.filter((m) => m.task === task.id).length - task.attempts.length);
  }
  return { reExecutedAfterSuccess, unjournaledExecutions };
}

function clearMarkers(): void {
  for (const f of readdirSync(control.dir)) if (/^(started|held|aborted|finished)\./.test(f)) rmSync(path.join(control.dir, f), { force: true });
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`;
}
