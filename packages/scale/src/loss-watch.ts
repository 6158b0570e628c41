import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { HEARTBEAT_DEFAULTS } from './heartbeat.ts';
import type { JobHolding } from './worker-liveness.ts';
import { lostWorkerMessage, readHeartbeats, readHoldings, retireJob } from './worker-liveness.ts';

/** A job an orchestrator awaits. */
export interface WatchedJob {
  jobId: string;
  queue: Queue;
}

export interface LossWatchHooks {
  /** The jobs awaited now (known to be in Redis). */
  awaited(): WatchedJob[];
  /** The job is finished or gone from Redis: its event may have been missed; settle it from Redis. */
  settleFromRedis(jobId: string): void;
  /** The job's worker is lost and the job will never run again: fail its attempt with `message`. */
  lost(jobId: string, message: string): void;
  /** Asks the workers to abort the job (its worker, taken for lost, may be alive after all). */
  cancelOnWorker(jobId: string): Promise<void>;
  /** The jobs no worker holds (they wait in their queues), once a pass. */
  waiting(jobIds: string[]): Promise<void>;
}

type Held = Extract<JobHolding, { state: 'held' }>;

/**
 * The orchestrator's watch over the workers of the jobs it awaits: one pass every `intervalMs`
 * for all of them (two Redis round trips however many there are), not a timer per job. A job
 * whose worker's heartbeat has expired is retired in Redis (failed, so neither BullMQ nor the
 * lost worker can complete it any more) and reported lost. The jobs no worker holds are handed
 * to `waiting`, which checks that some live worker serves their agents.
 */
export class LossWatch {
  /** The heartbeat TTL each watched worker announced, for the loss message. */
  private readonly ttlOfWorker = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private watching = false;
  /** No loss is declared before this time (see `reconnected`). */
  private quietUntil = 0;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly hooks: LossWatchHooks,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => void this.pass(), intervalMs);
    this.timer.unref();
  }

  /**
   * The connection to Redis came back: the workers' heartbeats may have expired during the
   * outage (or vanished with a Redis restarted empty). They get one heartbeat TTL to renew
   * before any of them is taken for lost.
   */
  reconnected(): void {
    this.quietUntil = Date.now() + HEARTBEAT_DEFAULTS.ttlMs;
  }

  close(): void {
    clearInterval(this.timer);
  }

  /**
   * For an abandoned job that a worker holds (BullMQ would not remove it): when that worker is
   * lost, no cancel message reaches it, so the job is failed here and BullMQ never runs it again.
   */
  async retireIfLost(queue: Queue, jobId: string): Promise<void> {
    try {
      const holding = (await readHoldings(this.connection, [{ jobId, queue }])).get(jobId);
      if (holding?.state !== 'held') return;
      const beat = (await readHeartbeats(this.connection, this.prefix, [holding.workerId])).get(holding.workerId);
      if (beat === null) await retireJob(queue, jobId, holding.token, `${this.message(holding.workerId)}; the attempt had been abandoned`);
    } catch {
      // Redis unreachable: BullMQ's stalled-job check, and the workers' memory of cancelled jobs, remain.
    }
  }

  private async pass(): Promise<void> {
    if (this.watching) return;
    const awaited = this.hooks.awaited();
    if (awaited.length === 0) return;
    this.watching = true;
    try {
      const queues = new Map(awaited.map((j) => [j.jobId, j.queue]));
      const held: [string, Held][] = [];
      const waiting: string[] = [];
      for (const [jobId, h] of await readHoldings(this.connection, awaited)) {
        if (h.state === 'held') held.push([jobId, h]);
        else if (h.state === 'free') waiting.push(jobId);
        else if (h.state === 'finished' || h.state === 'gone') this.hooks.settleFromRedis(jobId);
      }
      const beats = await readHeartbeats(this.connection, this.prefix, [...new Set(held.map(([, h]) => h.workerId))]);
      for (const id of [...this.ttlOfWorker.keys()]) if (!beats.has(id)) this.ttlOfWorker.delete(id);
      for (const [id, beat] of beats) if (beat && beat.ttlMs > 0) this.ttlOfWorker.set(id, beat.ttlMs);
      if (Date.now() < this.quietUntil) return;
      const lost = held.filter(([, h]) => beats.get(h.workerId) === null);
      await Promise.all(lost.map(([jobId, h]) => this.retire(queues.get(jobId)!, jobId, h)));
      if (waiting.length > 0) await this.hooks.waiting(waiting);
    } catch {
      // Redis unreachable: the next pass looks again.
    } finally {
      this.watching = false;
    }
  }

  private async retire(queue: Queue, jobId: string, h: Held): Promise<void> {
    const message = this.message(h.workerId);
    if (!(await retireJob(queue, jobId, h.token, message))) return;
    // A worker that is alive after all (say its heartbeat thread died) aborts the agent.
    void this.hooks.cancelOnWorker(jobId).catch(() => undefined);
    this.hooks.lost(jobId, message);
  }

  private message(workerId: string): string {
    return lostWorkerMessage(workerId, this.ttlOfWorker.get(workerId) ?? HEARTBEAT_DEFAULTS.ttlMs);
  }
}
