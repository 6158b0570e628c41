/**
 * Processes whose Redis goes away for good, or stops answering (frozen, or behind a partition that
 * drops packets): their runs must end, and they must still exit when their work is done or when
 * asked to.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis } from '../../core/test/support/redis.ts';
import type { AgentContext } from '../../core/src/core/contracts.ts';
import { Dispatcher } from '../src/dispatcher.ts';
import type { CliProcess } from './helpers.ts';
import { Control, FAN_MANIFEST, GOAL, spawnCli, startWorker, stopProcess, waitFor } from './helpers.ts';

const processes: CliProcess[] = [];
const cleanups: (() => Promise<unknown> | unknown)[] = [];

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => stopProcess(p)));
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The exit code, or 'still running' if the process has not exited within `ms`. */
function exitWithin(p: CliProcess, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`still running after ${ms} ms`), ms)));
  return Promise.race([p.exited, late]).finally(() => clearTimeout(timer));
}

describe('a baton worker whose Redis is gone', () => {
  it('exits on SIGTERM, idle or with a job under way, once its grace is over', { timeout: 180_000 }, async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const control = new Control();
    const cwd = mkdtempSync(join(tmpdir(), 'baton-unreachable-'));
    cleanups.push(() => control.remove(), () => rmSync(cwd, { recursive: true, force: true }));
    const env = { BATON_REDIS_URL: redis.url, BATON_TEST_CONTROL: control.dir };
    const busy = await startWorker(env, cwd, ['--agents', 'source', '--grace-ms', '1000']);
    const idle = await startWorker(env, cwd, ['--agents', 'combine', '--grace-ms', '1000']);
    processes.push(busy, idle);
    control.hold('source');
    const run = spawnCli(['run', '-m', FAN_MANIFEST, '--store', 'memory', GOAL], env, cwd);
    processes.push(run);
    await waitFor('source to hold on its worker', () => control.markers('held', 'source').length > 0);

    await redis.stop();
    await new Promise((r) => setTimeout(r, 1_000));
    busy.proc.kill('SIGTERM');
    idle.proc.kill('SIGTERM');

    // Grace (1 s), then the running job is given up on, then 5 s for BullMQ to close: far less than 30 s.
    expect(await exitWithin(busy, 30_000), busy.stderr()).toBe(0);
    expect(await exitWithin(idle, 30_000), idle.stderr()).toBe(0);
    expect(idle.stderr()).toMatch(/stopped: 0 completed, 0 failed, 0 handed back/);
    expect(control.markers('aborted', 'source')).toHaveLength(1);
  });

  it('exits on SIGTERM when Redis stops answering, and so does a baton run once its run has ended', { timeout: 240_000 }, async () => {
    const redis = await startRedis();
    let frozen = false;
    cleanups.push(async () => {
      if (frozen) process.kill(redis.pid()!, 'SIGCONT');
      await redis.stop();
    });
    const control = new Control();
    const cwd = mkdtempSync(join(tmpdir(), 'baton-frozen-'));
    cleanups.push(() => control.remove(), () => rmSync(cwd, { recursive: true, force: true }));
    // The fan workflow with attempts of 5 s and no retry: the run ends soon after Redis freezes.
    symlinkSync(join(dirname(FAN_MANIFEST), 'agents'), join(cwd, 'agents'));
    const manifest = join(cwd, 'baton.yaml');
    writeFileSync(manifest, readFileSync(FAN_MANIFEST, 'utf8').replace('retries: 2', 'retries: 0').replace('taskTimeoutMs: 60000', 'taskTimeoutMs: 5000'));
    const env = { BATON_REDIS_URL: redis.url, BATON_TEST_CONTROL: control.dir };
    const worker = await startWorker(env, cwd, ['--grace-ms', '1000']);
    processes.push(worker);
    control.hold('combine');
    const run = spawnCli(['run', '-m', manifest, '--store', 'memory', '--json', GOAL], env, cwd);
    processes.push(run);
    await waitFor('combine to hold on its worker', () => control.markers('held', 'combine').length > 0);

    // SIGSTOP: connections stay open, and nothing Redis is sent is ever answered.
    process.kill(redis.pid()!, 'SIGSTOP');
    frozen = true;

    expect(await exitWithin(run, 90_000), run.stderr()).toBe(1);
    expect(JSON.parse(run.stdout())).toMatchObject({ status: 'failed' });
    worker.proc.kill('SIGTERM');
    expect(await exitWithin(worker, 30_000), worker.stderr()).toBe(0);
    expect(worker.stderr()).toMatch(/stopped: \d+ completed, \d+ failed, \d+ handed back/);
  });

  it("a dispatcher closes although Redis froze while a queue's event reader was starting", { timeout: 60_000 }, async () => {
    const redis = await startRedis();
    cleanups.push(async () => {
      process.kill(redis.pid()!, 'SIGCONT');
      await redis.stop();
    });
    const dispatcher = await Dispatcher.connect({ url: redis.url, prefix: 'frozen:agent' });
    process.kill(redis.pid()!, 'SIGSTOP');
    // The first attempt for this agent starts its queue's reader, which asks Redis for its clock.
    const aborted = new AbortController();
    const ctx = { signal: aborted.signal } as AgentContext;
    const input = { runId: 'r_frozen', goal: 'g', task: { id: 't', title: 't', instructions: '' }, inputs: {}, params: {}, attempt: 1 };
    const attempt = dispatcher.dispatch({ agent: 'source', input, timeoutMs: 5_000 }, ctx).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 500));
    aborted.abort(new Error('the attempt timed out'));
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([dispatcher.close().then(() => 'closed'), new Promise((r) => (timer = setTimeout(() => r('still closing after 30 s'), 30_000)))]);
    clearTimeout(timer);
    expect(closed).toBe('closed');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await attempt).toBeInstanceOf(Error);
  });

  it('a baton run or worker starting against a Redis that never answers stops with a clear error (exit 64)', { timeout: 120_000 }, async () => {
    const redis = await startRedis();
    process.kill(redis.pid()!, 'SIGSTOP');
    cleanups.push(async () => {
      process.kill(redis.pid()!, 'SIGCONT');
      await redis.stop();
    });
    const cwd = mkdtempSync(join(tmpdir(), 'baton-mute-'));
    cleanups.push(() => rmSync(cwd, { recursive: true, force: true }));
    const env = { BATON_REDIS_URL: redis.url };
    const run = spawnCli(['run', '-m', FAN_MANIFEST, '--store', 'memory', GOAL], env, cwd);
    const worker = spawnCli(['worker', '-m', FAN_MANIFEST], env, cwd);
    processes.push(run, worker);

    const mute = 'Redis accepted the connection but did not answer within 10 s (is it frozen or overloaded?)';
    expect(await exitWithin(run, 60_000), run.stderr()).toBe(64);
    expect(run.stderr()).toContain(`cannot reach Redis at ${redis.url}`);
    expect(run.stderr()).toContain(mute);
    expect(await exitWithin(worker, 60_000), worker.stderr()).toBe(64);
    expect(worker.stderr()).toContain(mute);
  });
});
