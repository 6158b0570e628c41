import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/src/core/events.ts';
import { reduceEvents } from '../../core/src/core/reduce.ts';
import type { RunResult } from '../../core/src/core/types.ts';
import { loadManifest } from '../../core/src/manifest/index.ts';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { redisOptions } from '../src/connection.ts';
import { DEFAULT_PREFIX } from '../src/names.ts';
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

/** A job's state and failure as BullMQ stores them, or undefined when Redis no longer has it. */
async function jobOf(agent: string, jobId: string): Promise<{ state: string; failedReason: string | undefined } | undefined> {
  const queue = new Queue(agent, { connection: redisOptions(redis.url, false), prefix: DEFAULT_PREFIX });
  try {
    const job = await queue.getJob(jobId);
    return job ? { state: await job.getState(), failedReason: job.failedReason } : undefined;
  } finally {
    await queue.close();
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

  it('retries at once, on another worker, the attempt of a worker killed mid-task (SIGKILL), well before its 60 s timeout', async () => {
    const { control, env, store } = await setup();
    const pool = await workers(3, env, control.dir);
    control.hold('combine');
    const run = orchestrator(['run', '-m', FAN_MANIFEST, '--json', GOAL], env, control.dir);

    const held = await waitFor('combine to start on a worker', () => control.markers('held', 'combine')[0]);
    const victim = pool.find((w) => w.pid === held.pid);
    expect(victim).toBeDefined();
    const killedAt = Date.now();
    await stopProcess(victim!, 'SIGKILL');
    control.release('combine');
    const retried = await waitFor('attempt 2 of combine to start', () => control.markers('started', 'combine').find((m) => m.attempt === 2));
    const { code, result } = await finished(run);

    expect(code).toBe(0);
    expect(result.status).toBe('succeeded');
    // The fixture's attempt timeout is 60 s: recovery came from the lost heartbeat, not from it.
    expect(retried.at - killedAt).toBeLessThan(15_000);
    expect(retried.pid).not.toBe(victim!.pid);
    const combine = result.tasks.find((t) => t.agent === 'combine');
    expect(combine?.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(combine?.attempts[0]?.error).toMatch(new RegExp(`^worker [^ ]+:${victim!.pid}:[0-9a-f]+ on [^ ]+ was lost \\(no heartbeat for 5 s\\) while running this attempt$`));
    // Each execution is a journaled attempt: BullMQ did not run the dead worker's job again.
    expect(control.markers('started', 'combine').map((m) => m.attempt).sort()).toEqual([1, 2]);
    for (const agent of ['source', 'left', 'middle', 'right']) expect(control.markers('started', agent)).toHaveLength(1);
    const job = await jobOf('combine', `${result.runId}.${combine!.id}.1`);
    expect(job).toMatchObject({ state: 'failed', failedReason: combine?.attempts[0]?.error });
    await expectConsistentJournal(store, result);
  }, PROCESS_TEST_MS);

  it('does not take a worker whose agent keeps its event loop busy for 12 s (past its lock and heartbeat TTL) for lost, nor re-run its job', async () => {
    const { control, env, store } = await setup();
    // A lock shorter than the busy spell: the job's lock, like the heartbeat, is renewed off the event loop.
    const pool = await workers(2, env, control.dir, ['--lock-ms', '5000']);
    control.spin('combine', 12_000);
    const run = orchestrator(['run', '-m', FAN_MANIFEST, '--json', GOAL], env, control.dir);
    const { code, result } = await finished(run);

    expect(code).toBe(0);
    const combine = result.tasks.find((t) => t.agent === 'combine');
    expect(combine?.attempts.map((a) => a.status)).toEqual(['succeeded']);
    const ran = control.markers('finished', 'combine');
    expect(ran).toHaveLength(1);
    expect(control.markers('started', 'combine')).toHaveLength(1);
    expect(pool.map((w) => w.pid)).toContain(ran[0]!.pid);
    await expectConsistentJournal(store, result);
  }, PROCESS_TEST_MS);

  it('ignores the result a frozen worker sends after its attempt was retried elsewhere', async () => {
    const { control, env, store } = await setup();
    const pool = await workers(2, env, control.dir);
    control.hold('combine', 1);
    control.hold('combine', 2);
    const run = orchestrator(['run', '-m', FAN_MANIFEST, '--json', GOAL], env, control.dir);

    const held = await waitFor('attempt 1 of combine to start', () => control.markers('held', 'combine').find((m) => m.attempt === 1));
    const frozen = pool.find((w) => w.pid === held.pid)!;
    // SIGSTOP: the process and its heartbeat thread stop, as in a long pause or a network partition.
    frozen.proc.kill('SIGSTOP');
    const retried = await waitFor('attempt 2 of combine to start', () => control.markers('held', 'combine').find((m) => m.attempt === 2));
    expect(retried.pid).not.toBe(frozen.pid);
    const runId = (await store.listRuns())[0]!.runId;
    const staleJob = `${runId}.${held.task}.1`;
    await waitFor('the frozen worker to be taken for lost', async () => (await jobOf('combine', staleJob))?.state === 'failed');

    // The frozen worker wakes up and finishes attempt 1 while the run still awaits attempt 2.
    control.release('combine', 1);
    frozen.proc.kill('SIGCONT');
    await waitFor('the frozen worker to finish attempt 1', () => control.markers('finished', 'combine').some((m) => m.attempt === 1 && m.pid === frozen.pid));
    await waitFor('the frozen worker to report it could not deliver its result', () => /Missing lock for job/.test(frozen.stderr()));
    control.release('combine', 2);
    const { code, result } = await finished(run);

    expect(code).toBe(0);
    const combine = result.tasks.find((t) => t.agent === 'combine');
    expect(combine?.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(combine?.attempts[0]?.error).toContain(`:${frozen.pid}:`);
    expect(combine?.attempts[0]?.error).toContain('was lost');
    // Its result was refused by Redis: the job stays failed, and only attempt 2's success is journaled.
    expect(await jobOf('combine', staleJob)).toMatchObject({ state: 'failed' });
    const events = await expectConsistentJournal(store, result);
    const successes = events.filter((e) => e.type === 'task.succeeded' && e.agent === 'combine');
    expect(successes.map((e) => (e.type === 'task.succeeded' ? e.attempt : 0))).toEqual([2]);
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

describe('baton runs cancel on a run whose orchestrator died', () => {
  it('ends the run and stops the job a worker still runs for it', { timeout: 120_000 }, async () => {
    const { control, env, store } = await setup();
    await workers(1, env, control.dir);
    control.hold('source');
    const run = orchestrator(['run', '-m', FAN_MANIFEST, GOAL], env, control.dir);
    await waitFor('the source agent to hold on a worker', () => control.markers('held', 'source').length > 0);
    const runId = await waitFor('the run id', () => /run (r_\w+) started/.exec(run.stderr())?.[1]);
    await stopProcess(run, 'SIGKILL');

    const cancel = spawnCli(['runs', 'cancel', runId], env, control.dir);
    processes.push(cancel);
    expect(await cancel.exited, cancel.stderr()).toBe(0);
    expect(cancel.stderr()).toContain('its process was gone, so it was ended here');
    await waitFor('the worker to abort the held job', () => control.markers('aborted', 'source').length > 0, 20_000);
    const end = (await store.readEvents(runId)).at(-1);
    expect(end?.type === 'run.ended' && end.status).toBe('cancelled');
  });
});
