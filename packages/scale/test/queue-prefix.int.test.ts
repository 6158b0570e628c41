/**
 * Two projects on one Redis, with the same agent names: each project's `baton run` and `baton
 * worker` share a queue prefix of their own (one through `--queue-prefix`, the other through
 * BATON_QUEUE_PREFIX), and each worker runs only its own project's jobs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/src/core/types.ts';
import { startRedis } from '../../core/test/support/redis.ts';
import type { ThrowawayRedis } from '../../core/test/support/redis.ts';
import { redisOptions } from '../src/connection.ts';
import { Control, FAN_MANIFEST, GOAL, spawnCli, startWorker, stopProcess } from './helpers.ts';

let redis: ThrowawayRedis;
const cwd = mkdtempSync(join(tmpdir(), 'baton-prefix-'));

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  rmSync(cwd, { recursive: true, force: true });
});

/** One project: its agents' control folder, how its processes get their prefix, and its worker once started. */
interface Project {
  control: Control;
  env: Record<string, string>;
  args: string[];
  worker?: Awaited<ReturnType<typeof startWorker>>;
}

function project(prefix: string, how: 'flag' | 'env'): Project {
  const control = new Control();
  const env: Record<string, string> = { BATON_REDIS_URL: redis.url, BATON_TEST_CONTROL: control.dir, ...(how === 'env' ? { BATON_QUEUE_PREFIX: prefix } : {}) };
  return { control, env, args: how === 'flag' ? ['--queue-prefix', prefix] : [] };
}

describe('two projects sharing one Redis, with different queue prefixes', () => {
  it('each run only on their own workers, with heartbeats and cancel channels of their own', { timeout: 120_000 }, async () => {
    const projects = [project('proj-a:agent', 'flag'), project('proj-b:agent', 'env')];
    const client = new Redis(redisOptions(redis.url, false));
    try {
      const started = await Promise.allSettled(projects.map(async (p) => (p.worker = await startWorker(p.env, cwd, p.args))));
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      const runs = projects.map((p) => spawnCli(['run', '-m', FAN_MANIFEST, '--json', '--store', 'memory', ...p.args, GOAL], p.env, cwd));
      const codes = await Promise.all(runs.map((r) => r.exited));
      expect(codes, runs.map((r) => r.stderr()).join('\n')).toEqual([0, 0]);
      for (const [i, p] of projects.entries()) {
        expect((JSON.parse(runs[i]!.stdout()) as RunResult).status).toBe('succeeded');
        // The five tasks of the project's run, each started once, all on the project's worker.
        const started = p.control.markers('started');
        expect(started.map((m) => m.agent).sort()).toEqual(['combine', 'left', 'middle', 'right', 'source']);
        expect(new Set(started.map((m) => m.pid))).toEqual(new Set([p.worker!.pid]));
      }
      expect(await client.keys('proj-a:agent:_heartbeat:*')).toHaveLength(1);
      expect(await client.keys('proj-b:agent:_heartbeat:*')).toHaveLength(1);
      expect(await client.keys('baton:agent:*')).toEqual([]);
      expect(((await client.pubsub('CHANNELS', '*:cancel')) as string[]).sort()).toEqual(['proj-a:agent:cancel', 'proj-b:agent:cancel']);
    } finally {
      await client.quit();
      for (const p of projects) {
        if (p.worker) await stopProcess(p.worker, 'SIGTERM');
        p.control.remove();
      }
    }
  });

  it('a worker listens for SIGTERM before it says it is ready, so a SIGTERM sent on that line stops it cleanly', async () => {
    const probe = join(import.meta.dirname, '../../core/test/fixtures/ready-signals-probe.mjs');
    const worker = await startWorker({ BATON_REDIS_URL: redis.url, NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import ${probe}` }, cwd);
    try {
      expect(worker.stderr()).toContain('[sigterm listeners when ready: 1]');
      worker.proc.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      await stopProcess(worker);
    }
  });

  it('refuses a prefix with whitespace, naming the flag or the variable (exit 64)', async () => {
    const byFlag = spawnCli(['worker', '-m', FAN_MANIFEST, '--queue-prefix', 'proj a'], { BATON_REDIS_URL: redis.url }, cwd);
    const byEnv = spawnCli(['run', '-m', FAN_MANIFEST, '--store', 'memory', GOAL], { BATON_REDIS_URL: redis.url, BATON_QUEUE_PREFIX: 'proj a' }, cwd);
    expect(await byFlag.exited).toBe(64);
    expect(byFlag.stderr()).toContain("option '--queue-prefix <prefix>' argument 'proj a' is invalid");
    expect(await byEnv.exited).toBe(64);
    expect(byEnv.stderr()).toContain("BATON_QUEUE_PREFIX must be a non-empty queue prefix without whitespace (e.g. baton:agent or acme:agent); got 'proj a'");
  });
});
