/**
 * Processes whose Redis goes away for good: they must still end when asked to.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis } from '../../core/test/support/redis.ts';
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
});
