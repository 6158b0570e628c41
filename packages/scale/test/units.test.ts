import { describe, expect, it } from 'vitest';
import { parseConcurrency, workerCommand } from '../src/worker-command.ts';
import { createDispatch } from '../../core/src/cli/dispatch-choice.ts';
import { redisOptions, resolveRedisUrl } from '../src/connection.ts';
import { AgentWorker } from '../src/agent-worker.ts';
import { heartbeatKey, hostOfWorker, jobIdOf, jobIdOfAttempt, resolveQueuePrefix } from '../src/names.ts';
import type { LiveWorkers } from '../src/served-agents.ts';
import { ServedAgents } from '../src/served-agents.ts';
import { lostWorkerMessage } from '../src/worker-liveness.ts';
import { RecentIds } from '../src/recent-ids.ts';
import { UsageTally } from '../src/usage-tally.ts';
import { newAttemptId } from '../../core/src/core/ids.ts';
import { loadManifest } from '../../core/src/manifest/index.ts';
import { FAN_MANIFEST } from './helpers.ts';

describe('job ids', () => {
  it('names the journal attempt an attempt id stands for', () => {
    const attemptId = newAttemptId('r_abc123', 't2-derive-left-part', 3);
    expect(jobIdOfAttempt(attemptId)).toBe('r_abc123.t2-derive-left-part.3');
    expect(jobIdOf({ runId: 'r_abc123', attempt: 3, task: { id: 't2-derive-left-part' } })).toBe('r_abc123.t2-derive-left-part.3');
  });

  it('rejects attempt ids of another shape', () => {
    expect(jobIdOfAttempt('not-an-attempt')).toBeUndefined();
    expect(jobIdOfAttempt('r_x:t1:zero:abc')).toBeUndefined();
  });
});

describe('worker options', () => {
  it('reads a default concurrency and per-agent values', () => {
    expect(parseConcurrency('4')).toEqual({ default: 4 });
    expect(parseConcurrency('2, analytics=8')).toEqual({ default: 2, perAgent: { analytics: 8 } });
    expect(parseConcurrency(undefined)).toEqual({});
    expect(() => parseConcurrency('analytics=0')).toThrow(/--concurrency analytics must be a whole number of at least 1; got '0'/);
  });

  it('refuses to start without Redis, saying how to give it', async () => {
    const saved = process.env['BATON_REDIS_URL'];
    delete process.env['BATON_REDIS_URL'];
    try {
      await expect(workerCommand({ manifest: FAN_MANIFEST })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('--redis redis://host:6379 or set BATON_REDIS_URL') });
    } finally {
      if (saved !== undefined) process.env['BATON_REDIS_URL'] = saved;
    }
  });
});

describe('worker heartbeats', () => {
  it('names the heartbeat key and the lost worker', () => {
    expect(heartbeatKey('baton:agent', 'build-7:4121:9f2c')).toBe('baton:agent:_heartbeat:build-7:4121:9f2c');
    expect(hostOfWorker('build-7:4121:9f2c')).toBe('build-7');
    expect(lostWorkerMessage('build-7:4121:9f2c', 5_000)).toBe('worker build-7:4121:9f2c on build-7 was lost (no heartbeat for 5 s) while running this attempt');
    expect(lostWorkerMessage('w:1:a', 2_500)).toContain('(no heartbeat for 2.5 s)');
  });

  it('refuses a heartbeat that would lapse between two beats', async () => {
    const manifest = await loadManifest(FAN_MANIFEST);
    await expect(AgentWorker.start({ manifest, url: 'redis://127.0.0.1:1', heartbeat: { intervalMs: 1_000, ttlMs: 1_500 } })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'heartbeat.ttlMs must be at least twice heartbeat.intervalMs (a live worker must survive a missed beat); got intervalMs 1000, ttlMs 1500',
    });
  });
});

describe('dispatch choice', () => {
  it('runs agents in-process when no Redis is configured', async () => {
    expect(resolveRedisUrl(undefined, {})).toBeUndefined();
    expect(resolveRedisUrl(undefined, { BATON_REDIS_URL: ' redis://h:1 ' })).toBe('redis://h:1');
    expect(resolveRedisUrl('redis://flag:2', { BATON_REDIS_URL: 'redis://env:1' })).toBe('redis://flag:2');
    const saved = process.env['BATON_REDIS_URL'];
    delete process.env['BATON_REDIS_URL'];
    try {
      const dispatch = await createDispatch(await loadManifest(FAN_MANIFEST));
      expect(dispatch.registry).toBeUndefined();
      expect(dispatch.description).toBe('in-process');
      await dispatch.close();
    } finally {
      if (saved !== undefined) process.env['BATON_REDIS_URL'] = saved;
    }
  });

  it('explains an unreachable Redis', async () => {
    // Port 1 on loopback: nothing listens there.
    await expect(createDispatch(await loadManifest(FAN_MANIFEST), { redisUrl: 'redis://127.0.0.1:1' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('cannot reach Redis at redis://127.0.0.1:1'),
    });
  });

  it('parses Redis URLs and rejects others', () => {
    expect(redisOptions('redis://user:p%40ss@example.org:6380/2', false)).toMatchObject({ host: 'example.org', port: 6380, username: 'user', password: 'p@ss', db: 2, maxRetriesPerRequest: 20 });
    expect(redisOptions('redis://localhost', true)).toMatchObject({ host: 'localhost', port: 6379, maxRetriesPerRequest: null });
    expect(() => redisOptions('http://localhost', false)).toThrow(/invalid Redis URL 'http:\/\/localhost\/': expected redis:\/\//);
  });
});

describe('queue prefix', () => {
  it('is the flag, else BATON_QUEUE_PREFIX, else baton:agent, and never empty or with whitespace', () => {
    expect(resolveQueuePrefix(undefined, {})).toBe('baton:agent');
    expect(resolveQueuePrefix(undefined, { BATON_QUEUE_PREFIX: '' })).toBe('baton:agent');
    expect(resolveQueuePrefix(undefined, { BATON_QUEUE_PREFIX: 'acme:agent' })).toBe('acme:agent');
    expect(resolveQueuePrefix('flag:agent', { BATON_QUEUE_PREFIX: 'acme:agent' })).toBe('flag:agent');
    expect(() => resolveQueuePrefix('', {})).toThrow("--queue-prefix must be a non-empty queue prefix without whitespace (e.g. baton:agent or acme:agent); got ''");
    expect(() => resolveQueuePrefix(undefined, { BATON_QUEUE_PREFIX: 'a b' })).toThrow(/^BATON_QUEUE_PREFIX must be .*; got 'a b'$/);
  });
});

describe('agents served by live workers', () => {
  const job = (agent: string, n = 1) => ({ jobId: `r.t-${agent}.${n}`, agent });

  it('gives a job to the grace period, from the first pass that finds its agent unserved', async () => {
    let live: LiveWorkers = new Map([['w1', ['fine']]]);
    let reads = 0;
    const served = new ServedAgents(async () => (reads++, live), 10_000);
    expect(await served.unserved([job('slow')], 0)).toEqual([]);
    expect(await served.unserved([job('slow')], 9_999)).toEqual([]);
    expect(await served.unserved([job('slow'), job('fine')], 10_000)).toEqual([{ agent: 'slow', jobIds: ['r.t-slow.1'], served: ['fine'] }]);
    // A worker for it comes up: nothing fails, and a later wait starts a new grace period.
    live = new Map([...live, ['w2', ['slow']]]);
    expect(await served.unserved([job('slow', 2)], 10_500)).toEqual([]);
    live = new Map([['w1', ['fine']]]);
    expect(await served.unserved([job('slow', 3)], 30_000)).toEqual([]);
    expect(reads).toBe(5);
  });

  it('reads the live workers again only when an agent is not served in a recent read', async () => {
    let reads = 0;
    const served = new ServedAgents(async () => (reads++, new Map([['w1', ['fine']]])), 10_000, 5_000);
    for (const now of [0, 1_000, 4_999]) await served.unserved([job('fine')], now);
    expect(reads).toBe(1);
    await served.unserved([job('fine')], 5_000);
    expect(reads).toBe(2);
  });

  it('fails nothing while no worker at all is live (all of them restarting)', async () => {
    let live: LiveWorkers = new Map();
    const served = new ServedAgents(async () => live, 10_000);
    expect(await served.unserved([job('slow')], 0)).toEqual([]);
    expect(await served.unserved([job('slow')], 60_000)).toEqual([]);
    // The grace starts when workers for other agents are back, not before.
    live = new Map([['w1', ['fine']]]);
    expect(await served.unserved([job('slow')], 61_000)).toEqual([]);
    expect(await served.unserved([job('slow')], 71_000)).toEqual([{ agent: 'slow', jobIds: ['r.t-slow.1'], served: ['fine'] }]);
  });

  it('takes a worker that does not name its agents to serve them all', async () => {
    const served = new ServedAgents(async () => new Map([['old', undefined]]), 0);
    expect(await served.unserved([job('slow')], 0)).toEqual([]);
  });
});

describe('RecentIds', () => {
  it('forgets ids after their time and beyond its size', () => {
    const ids = new RecentIds(1_000, 2);
    ids.add('a', 0);
    expect(ids.has('a', 999)).toBe(true);
    expect(ids.has('a', 1_000)).toBe(false);
    ids.add('b', 10);
    ids.add('c', 20);
    ids.add('d', 30);
    expect([ids.has('b', 30), ids.has('c', 30), ids.has('d', 30)]).toEqual([false, true, true]);
  });
});

describe('UsageTally', () => {
  const u = (llmCalls: number, inputTokens: number, outputTokens: number) => ({ llmCalls, inputTokens, outputTokens });

  it('counts a total sent twice (streamed, then in the result) once, and a stale one not at all', () => {
    const tally = new UsageTally();
    expect(tally.add('a', u(1, 100, 20))).toEqual(u(1, 100, 20));
    expect(tally.add('a', u(2, 130, 25))).toEqual(u(1, 30, 5));
    expect(tally.add('a', u(2, 130, 25))).toBeUndefined();
    expect(tally.add('a', u(1, 100, 20))).toBeUndefined();
  });

  it("adds each run's usage: a job handed back runs again from zero", () => {
    const tally = new UsageTally();
    tally.add('first', u(1, 100, 20));
    expect(tally.add('second', u(1, 40, 10))).toEqual(u(1, 40, 10));
    expect(tally.add('second', u(2, 90, 15))).toEqual(u(1, 50, 5));
  });

  it('refuses what is not three counts', () => {
    expect(() => new UsageTally().add('a', { llmCalls: 'many' })).toThrow(/llmCalls must be a finite number/);
  });
});
