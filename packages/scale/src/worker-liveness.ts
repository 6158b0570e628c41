import { Job } from 'bullmq';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { HeartbeatValue } from './heartbeat.ts';
import { heartbeatKey, hostOfWorker } from './names.ts';

/**
 * Where an awaited job stands in Redis. `held`: a worker has it locked, and names itself (BullMQ
 * writes the worker's name on the job, `processedBy`, in the same script that takes the lock, so
 * the two always agree). `anonymous`: locked by a worker that does not name itself. `free`: no
 * worker holds it (it waits for one).
 */
export type JobHolding = { state: 'gone' } | { state: 'finished' } | { state: 'free' } | { state: 'anonymous' } | { state: 'held'; workerId: string; token: string };

/** The holdings of `jobs`, read in one transaction (one round trip, and each job's name and lock read together). */
export async function readHoldings(connection: Redis, jobs: readonly { jobId: string; queue: Queue }[]): Promise<Map<string, JobHolding>> {
  const holdings = new Map<string, JobHolding>();
  if (jobs.length === 0) return holdings;
  const tx = connection.multi();
  for (const { jobId, queue } of jobs) {
    const key = queue.toKey(jobId);
    tx.hmget(key, 'timestamp', 'finishedOn', 'pb');
    tx.get(`${key}:lock`);
  }
  const replies = await tx.exec();
  if (!replies) throw new Error('the Redis transaction was aborted');
  jobs.forEach(({ jobId }, i) => {
    const [fieldsErr, fields] = replies[2 * i]!;
    const [lockErr, lock] = replies[2 * i + 1]!;
    if (fieldsErr || lockErr) throw fieldsErr ?? lockErr;
    const [timestamp, finishedOn, workerId] = fields as (string | null)[];
    if (!timestamp) holdings.set(jobId, { state: 'gone' });
    else if (finishedOn) holdings.set(jobId, { state: 'finished' });
    else if (typeof lock === 'string') holdings.set(jobId, workerId ? { state: 'held', workerId, token: lock } : { state: 'anonymous' });
    else holdings.set(jobId, { state: 'free' });
  });
  return holdings;
}

/** The heartbeat of each worker, or null for a worker whose heartbeat has expired (it is lost). */
export async function readHeartbeats(connection: Redis, prefix: string, workerIds: readonly string[]): Promise<Map<string, HeartbeatValue | null>> {
  const beats = new Map<string, HeartbeatValue | null>();
  if (workerIds.length === 0) return beats;
  const values = await connection.mget(...workerIds.map((id) => heartbeatKey(prefix, id)));
  workerIds.forEach((id, i) => {
    const raw = values[i];
    beats.set(id, raw == null ? null : parseBeat(raw));
  });
  return beats;
}

function parseBeat(raw: string): HeartbeatValue {
  try {
    const v = JSON.parse(raw) as Partial<HeartbeatValue>;
    if (typeof v.host === 'string' && typeof v.pid === 'number' && typeof v.ttlMs === 'number') {
      const beat: HeartbeatValue = { host: v.host, pid: v.pid, ttlMs: v.ttlMs };
      if (Array.isArray(v.agents) && v.agents.every((a) => typeof a === 'string')) beat.agents = v.agents;
      return beat;
    }
  } catch {
    // a key written by something else: the worker is alive all the same
  }
  return { host: '?', pid: 0, ttlMs: 0 };
}

/** The error of an attempt whose worker was lost; `ttlMs` is how long its heartbeat lasted. */
export function lostWorkerMessage(workerId: string, ttlMs: number): string {
  return `worker ${workerId} on ${hostOfWorker(workerId)} was lost (no heartbeat for ${Math.round(ttlMs / 100) / 10} s) while running this attempt`;
}

/**
 * Makes sure the job of a lost worker never runs again, and says whether that is so. The job is
 * failed with the lost worker's lock token: BullMQ's script refuses if the lock is no longer that
 * token (another worker took the job meanwhile), so a job that moved on is left alone. A job
 * whose lock expired meanwhile is removed, unless a worker has locked it again; a job finished
 * meanwhile is left as it is (false), its outcome to be taken. A result the lost
 * worker still sends is then refused by BullMQ (its lock is gone) and never reaches anyone.
 */
export async function retireJob(queue: Queue, jobId: string, token: string, reason: string): Promise<boolean> {
  try {
    const job = await Job.fromId(queue, jobId);
    if (!job) return true;
    await job.moveToFailed(new Error(reason), token, false);
    return true;
  } catch {
    // Finished by now (the worker was not lost after all, or another worker ran the job): its
    // outcome stands, and the next watch pass takes it from Redis. Removing it would throw away
    // a result that was delivered, and run the task again.
    const finished = await Job.fromId(queue, jobId).then(
      (job) => job?.finishedOn !== undefined,
      () => false,
    );
    if (finished) return false;
    // Taken by another worker, or unlocked by now: removal (refused for a locked job) decides.
    return (await queue.remove(jobId).catch(() => 0)) === 1;
  }
}
