/**
 * Several `baton serve` replicas share one PostgreSQL journal and dispatch to `baton worker`s on
 * Redis. A replica SIGKILLed mid-run has its runs carried on by another within the lease, with no
 * task that succeeded run again and no run lost; a follower of such a run on another replica keeps
 * receiving its events; a cancel sent to any replica reaches the run wherever it runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../core/src/core/events.ts';
import { startPostgres } from '../../core/test/support/postgres.ts';
import type { ThrowawayPostgres } from '../../core/test/support/postgres.ts';
import { startRedis } from '../../core/test/support/redis.ts';
import type { ThrowawayRedis } from '../../core/test/support/redis.ts';
import { PostgresRunStore } from '../src/postgres/index.ts';
import { spawnCli, stopProcess, waitFor } from './helpers.ts';
import type { CliProcess } from './helpers.ts';
import { DURABLE_MANIFEST, followEvents, postRun, reExecutedAfterSuccess, startReplica, stopAll } from './replicas.ts';
import type { Replica } from './replicas.ts';

const LEASE_MS = 3_000;
let pg: ThrowawayPostgres;
let redis: ThrowawayRedis;
let store: PostgresRunStore;
const dir = mkdtempSync(join(tmpdir(), 'baton-replicas-'));
const log = join(dir, 'agents.log');
const processes: CliProcess[] = [];

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  store = await PostgresRunStore.connect(pg.url);
}, 120_000);

afterAll(async () => {
  await stopAll(processes);
  await store?.close();
  await Promise.all([pg?.stop(), redis?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const env = (): Record<string, string> => ({ BATON_REDIS_URL: redis.url, BATON_LEASE_MS: String(LEASE_MS), BATON_TEST_LOG: log, BATON_TEST_DELAY_MS: '1500' });

async function ended(runId: string): Promise<RunEvent[] | undefined> {
  const events = await store.readEvents(runId);
  return events.at(-1)?.type === 'run.ended' ? events : undefined;
}

describe('serve replicas on one PostgreSQL journal', () => {
  it('carry on the runs of a replica that was SIGKILLed, without re-running what succeeded', { timeout: 180_000 }, async () => {
    for (let i = 0; i < 2; i++) {
      const worker = spawnCli(['worker', '-m', DURABLE_MANIFEST, '--concurrency', '8'], env(), dir);
      processes.push(worker);
      await waitFor('a worker to be ready', () => /ready: agents/.test(worker.stderr()), 60_000);
    }
    const replicas: Replica[] = [];
    for (let i = 0; i < 3; i++) replicas.push(await startReplica(pg.url, env(), dir));
    processes.push(...replicas);
    const [a, b, c] = replicas as [Replica, Replica, Replica];

    const runs = new Map<string, Replica>();
    for (let i = 0; i < 9; i++) {
      const replica = replicas[i % 3]!;
      runs.set(await postRun(replica, 'carry the numbers'), replica);
    }
    const ofA = [...runs].filter(([, r]) => r === a).map(([id]) => id);
    const followed = followEvents(c, ofA[0]!);
    await waitFor('every run of replica A to have a task running', async () => {
      for (const id of ofA) if (!(await store.readEvents(id)).some((e) => e.type === 'task.started')) return false;
      return true;
    });
    const killedAt = Date.now();
    await stopProcess(a, 'SIGKILL');

    const journals = new Map<string, RunEvent[]>();
    await waitFor('every run to end', async () => {
      for (const id of runs.keys()) {
        if (journals.has(id)) continue;
        const events = await ended(id);
        if (!events) return false;
        journals.set(id, events);
      }
      return true;
    }, 150_000);

    for (const [id, events] of journals) {
      const end = events.at(-1);
      expect(end?.type === 'run.ended' && end.status, `run ${id}`).toBe('succeeded');
    }
    for (const id of ofA) {
      const resumed = journals.get(id)!.find((e): e is Extract<RunEvent, { type: 'run.resumed' }> => e.type === 'run.resumed');
      expect(resumed, `run ${id} was taken over`).toBeDefined();
      expect([b.pid, c.pid]).toContain(resumed!.owner?.pid);
      expect(resumed!.reason).toMatch(/no heartbeat|is gone/);
      expect(Date.parse(resumed!.at) - killedAt).toBeLessThan(30_000);
    }
    expect(reExecutedAfterSuccess(log, journals)).toEqual([]);

    // The follower on replica C saw the run to its end, every event once and in order.
    await followed.done;
    expect(followed.events.at(-1)?.type).toBe('run.ended');
    expect(followed.events.map((e) => e.seq)).toEqual(followed.events.map((_, i) => i + 1));
  });

  it('cancels a run from a replica that does not run it', { timeout: 120_000 }, async () => {
    const [b, c] = processes.filter((p): p is Replica => 'url' in p && p.proc.exitCode === null && p.proc.signalCode === null) as [Replica, Replica];
    const runId = await postRun(b, 'carry the numbers');
    await waitFor('the run to start a task', async () => (await store.readEvents(runId)).some((e) => e.type === 'task.started'));
    const owner = (await store.ownership(runId))?.owner;
    expect(owner?.pid).toBe(b.pid);
    const res = await fetch(`${c.url}/v1/runs/${runId}/cancel`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ runId, status: 'cancelling', executedBy: `process ${b.pid} on ${owner?.host}` });
    const events = await waitFor('the run to end', () => ended(runId), 30_000);
    const end = events.at(-1);
    expect(end?.type === 'run.ended' && end.status).toBe('cancelled');
  });
});
