import { describe, expect, it } from 'vitest';
import { parseConcurrency, workerCommand } from '../src/worker-command.ts';
import { createDispatch } from '../../core/src/cli/dispatch-choice.ts';
import { redisOptions, resolveRedisUrl } from '../src/connection.ts';
import { AgentWorker } from '../src/agent-worker.ts';
import { heartbeatKey, hostOfWorker, jobIdOf, jobIdOfAttempt } from '../src/names.ts';
import { lostWorkerMessage } from '../src/worker-liveness.ts';
import { RecentIds } from '../src/recent-ids.ts';
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
