import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/src/core/events.ts';
import { reduceEvents } from '../../core/src/core/reduce.ts';
import type { RunResult } from '../../core/src/core/types.ts';
import { loadManifest } from '../../core/src/manifest/index.ts';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { PostgresRunStore } from '../src/postgres/postgres-store.ts';
import { startPostgres } from '../../core/test/support/postgres.ts';
import type { ThrowawayPostgres } from '../../core/test/support/postgres.ts';
import { startRedis } from '../../core/test/support/redis.ts';
import type { ThrowawayRedis } from '../../core/test/support/redis.ts';
import type { CliProcess } from './helpers.ts';
import { comparable, Control, FAN_MANIFEST, GOAL, spawnCli, startWorker, stopProcess, waitFor } from './helpers.ts';

// Real processes: `baton worker`s and `baton run` orchestrators on a throwaway Redis, their
// journal in a throwaway PostgreSQL, killed with SIGKILL at chosen moments (markers written by
// the fixture agents tell when). Starting a process takes seconds on a busy machine: hence the
// long timeouts (they bound a hang; no assertion is about speed).
const PROCESS_TEST_MS = 240_000;

let redis: ThrowawayRedis;
let postgres: ThrowawayPostgres;
let databases = 0;
const processes: CliProcess[] = [];
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
});

afterAll(async () => {
  await Promise.all([redis?.stop(), postgres?.stop()]);
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => stopProcess(p)));
  for (const c of cleanups.splice(0).reverse()) await c();
  // Nothing a test leaves in Redis (queued jobs of killed processes) may reach the next one.
  const client = new Redis(redis.url);
  await client.flushall();
  client.disconnect();
});

/** A fresh journal database and control folder; the environment every process of the test gets. */
async function setup(): Promise<{ control: Control; env: Record<string, string>; store: PostgresRunStore }> {
  const control = new Control();
  const url = await postgres.createDatabase(`dist${++databases}`);
  const store = await PostgresRunStore.connect(url);
  cleanups.push(() => control.remove(), () => store.close());
  return { control, store, env: { BATON_REDIS_URL: redis.url, BATON_DATABASE_URL: url, BATON_TEST_CONTROL: control.dir } };
}

async function workers(n: number, env: Record<string, string>, cwd: string, extra: string[] = []): Promise<Awaited<ReturnType<typeof startWorker>>[]> {
  const started = await Promise.all(Array.from({ length: n }, () => startWorker(env, cwd, extra)));
  processes.push(...started);
  return started;
}

function orchestrator(args: string[], env: Record<string, string>, cwd: string): CliProcess {
  const p = spawnCli(args, env, cwd);
  processes.push(p);
  return p;
}

/** Waits for a `baton run`/`resume --json` to exit and returns its exit code and RunResult. */
async function finished(p: CliProcess): Promise<{ code: number | string; result: RunResult }> {
  const code = await p.exited;
  try {
    return { code, result: JSON.parse(p.stdout()) as RunResult };
  } catch {
    throw new Error(`no RunResult on stdout (exit ${code}); stderr:\n${p.stderr()}`);
  }
}

/** The journal must replay into the result the process printed, with no gap and one ending. */
async function expectConsistentJournal(store: PostgresRunStore, result: RunResult): Promise<RunEvent[]> {
  const events = await store.readEvents(result.runId);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(events.filter((e) => e.type === 'run.ended')).toHaveLength(1);
  expect(reduceEvents(events)).toEqual(result);
  return events;
}

describe('scale-out with real processes', () => {
  it('a run across 3 worker processes gives the same RunResult as in-process', async () => {
    const reference = await new Orchestrator({ manifest: await loadManifest(FAN_MANIFEST) }).run(GOAL);
    const { control, env, store } = await setup();
    const pool = await workers(3, env, control.dir, ['--health-port', '0']);

    const run = orchestrator(['run', '-m', FAN_MANIFEST, '--json', GOAL], env, control.dir);
    const { code, result } = await finished(run);

    expect(code).toBe(0);
    expect(comparable(result)).toEqual(comparable(reference));
    await expectConsistentJournal(store, result);
    const pids = new Set(pool.map((w) => w.pid));
    const ran = control.markers('started');
    expect(ran).toHaveLength(5);
    for (const m of ran) expect(pids.has(m.pid)).toBe(true);

    const health = await fetch(`http://127.0.0.1:${pool[0]!.healthPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ready', redis: 'ready', pid: pool[0]!.pid, activeJobs: [] });

    // SIGTERM: a graceful stop with nothing running ends at once, with exit code 0.
    for (const w of pool) w.proc.kill('SIGTERM');
    expect(await Promise.all(pool.map((w) => w.exited))).toEqual([0, 0, 0]);
    for (const w of pool) expect(w.stderr()).toMatch(/stopped: \d+ completed, 0 failed, 0 handed back/);
  }, PROCESS_TEST_MS);

  it('re-runs on another worker the task of a worker killed mid-task (SIGKILL)', async () => {
    const { control, env, store } = await setup();
    const pool = await workers(3, env, control.dir);
    control.hold('combine');
    const run = orchestrator(['run', '-m', FAN_MANIFEST, '--json', GOAL], env, control.dir);

    const held = await waitFor('combine to start on a worker', () => control.markers('held', 'combine')[0]);
    const victim = pool.find((w) => w.pid === held.pid);
    expect(victim).toBeDefined();
    await stopProcess(victim!, 'SIGKILL');
    control.release('combine');
    const { code, result } = await finished(run);

    expect(code).toBe(0);
    expect(result.status).toBe('succeeded');
    // The orchestrator saw one attempt; BullMQ's stalled-job check ran its job again elsewhere.
    const combine = result.tasks.find((t) => t.agent === 'combine');
    expect(combine?.attempts.map((a) => a.status)).toEqual(['succeeded']);
    const runs = control.markers('started', 'combine');
    expect(runs.map((m) => m.attempt)).toEqual([1, 1]);
    const rerun = runs.find((m) => m.pid !== victim!.pid);
    expect(pool.filter((w) => w !== victim).map((w) => w.pid)).toContain(rerun?.pid);
    await expectConsistentJournal(store, result);
  }, PROCESS_TEST_MS);

  it('resumes the run of a killed orchestrator without re-running what succeeded, cancelling its orphaned job', async () => {
    const { control, env, store } = await setup();
    await workers(2, env, control.dir);
    control.hold('combine');
    const first = orchestrator(['run', '-m', FAN_MANIFEST, '--json', GOAL], env, control.dir);

    await waitFor('combine to start on a worker', () => control.markers('held', 'combine').length > 0);
    const [record] = await store.listRuns();
    expect(record).toBeDefined();
    const runId = record!.runId;
    await waitFor('the journal to record the start of combine', async () => (await store.readEvents(runId)).some((e) => e.type === 'task.started' && e.agent === 'combine'));
    await stopProcess(first, 'SIGKILL');

    const second = orchestrator(['runs', 'resume', runId, '--json'], env, control.dir);
    // The attempt the dead orchestrator left running is cancelled on its worker...
    await waitFor('the orphaned attempt to be aborted', () => control.markers('aborted', 'combine').some((m) => m.attempt === 1));
    // ...and a new attempt runs.
    await waitFor('attempt 2 of combine to start', () => control.markers('held', 'combine').some((m) => m.attempt === 2));
    control.release('combine');
    const { code, result } = await finished(second);

    expect(code).toBe(0);
    expect(result.runId).toBe(runId);
    expect(result.status).toBe('succeeded');
    for (const agent of ['source', 'left', 'middle', 'right']) {
      expect(control.markers('started', agent)).toHaveLength(1);
      expect(result.tasks.find((t) => t.agent === agent)?.attempts).toHaveLength(1);
    }
    const combine = result.tasks.find((t) => t.agent === 'combine');
    expect(combine?.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(combine?.attempts[0]?.error).toContain('interrupted');
    expect(combine?.output).toEqual({ report: { by: 'combine', value: 70 } });
    const events = await expectConsistentJournal(store, result);
    expect(events.filter((e) => e.type === 'run.resumed')).toHaveLength(1);
  }, PROCESS_TEST_MS);

  it('survives Redis restarting empty during a run: the lost attempt is retried, the journal loses nothing', async () => {
    const { control, env, store } = await setup();
    await workers(2, env, control.dir);
    control.hold('combine');
    const run = orchestrator(['run', '-m', FAN_MANIFEST, '--json', GOAL], env, control.dir);

    await waitFor('combine to start on a worker', () => control.markers('held', 'combine').length > 0);
    await redis.restart();
    control.release('combine');
    const { code, result } = await finished(run);

    expect(code).toBe(0);
    expect(result.status).toBe('succeeded');
    for (const agent of ['source', 'left', 'middle', 'right']) expect(result.tasks.find((t) => t.agent === agent)?.attempts).toHaveLength(1);
    const combine = result.tasks.find((t) => t.agent === 'combine');
    expect(combine?.attempts.at(-1)?.status).toBe('succeeded');
    expect(combine?.attempts[0]?.status).toBe('failed');
    expect(combine?.attempts[0]?.error).toContain('is gone from Redis');
    await expectConsistentJournal(store, result);
  }, PROCESS_TEST_MS);
});
