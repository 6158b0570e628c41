import type { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../../core/test/support/redis.ts';
import type { ThrowawayRedis } from '../../core/test/support/redis.ts';
import { Heartbeat } from '../src/heartbeat.ts';
import type { SharedLocks } from '../src/shared-locks.ts';
import { waitFor } from './helpers.ts';

let redis: ThrowawayRedis;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});

afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

const SHORT_MS = 700;

async function startHeartbeat(name: string, lockSlots: number, log?: (line: string) => void): Promise<Heartbeat> {
  return Heartbeat.start(
    { url: redis.url, key: `${name}:_heartbeat:w1`, workersKey: `${name}:_workers`, workerId: 'w1', value: { host: 'h', pid: 1, ttlMs: 1_000 }, intervalMs: 150, lockMs: 5_000, lockSlots },
    log,
  );
}

/** Locks as BullMQ writes them: the job's token, a short expiry the heartbeat must keep pushing back. */
async function lock(key: string, token: string): Promise<void> {
  await client.set(key, token, 'PX', SHORT_MS);
}

const alive = async (key: string): Promise<boolean> => (await client.pttl(key)) > SHORT_MS;

/** Returns once a beat has started after the call: the heartbeat key, deleted here, is written again. */
async function nextBeat(name: string): Promise<void> {
  await client.del(`${name}:_heartbeat:w1`);
  await waitFor('a beat', async () => (await client.exists(`${name}:_heartbeat:w1`)) === 1);
}

const heldInTable = (heartbeat: Heartbeat): number => (Reflect.get(heartbeat, 'shared') as SharedLocks).size;

describe('the heartbeat thread', () => {
  it('extends the locks held in shared memory and those past its slots, while they hold the token, and stops at release', async () => {
    const heartbeat = await startHeartbeat('hb1', 1);
    try {
      await lock('hb1:q:a:lock', 'tok-a');
      await lock('hb1:q:b:lock', 'tok-b');
      await lock('hb1:q:c:lock', 'someone-else');
      heartbeat.hold('hb1:q:a:lock', 'tok-a');
      // One slot: this one goes to the thread as a message.
      heartbeat.hold('hb1:q:b:lock', 'tok-b');
      heartbeat.hold('hb1:q:c:lock', 'tok-c');
      expect(heldInTable(heartbeat)).toBe(1);
      await new Promise((r) => setTimeout(r, SHORT_MS * 2));
      expect(await alive('hb1:q:a:lock')).toBe(true);
      expect(await alive('hb1:q:b:lock')).toBe(true);
      expect(await client.exists('hb1:q:c:lock')).toBe(0);

      heartbeat.release('hb1:q:a:lock', 'tok-a');
      heartbeat.release('hb1:q:b:lock', 'tok-b');
      expect(heldInTable(heartbeat)).toBe(0);
      // A beat that read the locks just before their release lands before the next beat starts.
      await nextBeat('hb1');
      await nextBeat('hb1');
      await lock('hb1:q:a:lock', 'tok-a');
      await lock('hb1:q:b:lock', 'tok-b');
      await new Promise((r) => setTimeout(r, SHORT_MS * 2));
      expect(await client.exists('hb1:q:a:lock', 'hb1:q:b:lock')).toBe(0);
    } finally {
      await heartbeat.stop();
    }
  });

  it('keeps extending the locks held before its thread died, from the thread it starts again', async () => {
    const lines: string[] = [];
    const heartbeat = await startHeartbeat('hb2', 1, (line) => lines.push(line));
    try {
      heartbeat.hold('hb2:q:a:lock', 'tok-a');
      heartbeat.hold('hb2:q:b:lock', 'tok-b');
      const first = Reflect.get(heartbeat, 'thread') as Worker;
      await first.terminate();
      await waitFor('the thread to be started again', () => lines.some((l) => l.includes('starting it again')));
      // The old thread is gone: a beat now is the new thread's, connected and running.
      await nextBeat('hb2');
      await lock('hb2:q:a:lock', 'tok-a');
      await lock('hb2:q:b:lock', 'tok-b');
      await new Promise((r) => setTimeout(r, SHORT_MS * 2));
      expect(await alive('hb2:q:a:lock')).toBe(true);
      expect(await alive('hb2:q:b:lock')).toBe(true);
    } finally {
      await heartbeat.stop();
    }
  });

  it('keeps extending a lock taken again with a new token after the first holder releases it, by message too', async () => {
    const heartbeat = await startHeartbeat('hb3', 1);
    try {
      heartbeat.hold('hb3:q:other:lock', 'tok-other');
      // The table is full: the job's lock goes by message, then is taken again with a new token.
      heartbeat.hold('hb3:q:a:lock', 'first-run');
      heartbeat.hold('hb3:q:a:lock', 'second-run');
      heartbeat.release('hb3:q:a:lock', 'first-run');
      await nextBeat('hb3');
      await lock('hb3:q:a:lock', 'second-run');
      await new Promise((r) => setTimeout(r, SHORT_MS * 2));
      expect(await alive('hb3:q:a:lock')).toBe(true);
    } finally {
      await heartbeat.stop();
    }
  });
});
