import type { Redis } from 'ioredis';
import { workersKey } from './names.ts';
import { readHeartbeats } from './worker-liveness.ts';

/** How long an attempt's job may wait for a live worker that serves its agent before the attempt fails (ms). */
export const NO_WORKER_GRACE_MS = 10_000;

/**
 * The live workers of one queue prefix and the agents each serves; `undefined` for a worker that
 * does not say (one started before workers said), which is taken to serve every agent.
 */
export type LiveWorkers = Map<string, readonly string[] | undefined>;

/** An awaited job that no worker holds yet. */
export interface WaitingJob {
  jobId: string;
  agent: string;
}

/** The waiting jobs of an agent that no live worker has served for the whole grace period. */
export interface Unserved {
  agent: string;
  jobIds: string[];
  /** What the live workers serve, sorted. */
  served: string[];
}

/** The live workers, from the registry of worker ids and their heartbeats (two round trips). */
export async function readLiveWorkers(connection: Redis, prefix: string): Promise<LiveWorkers> {
  const ids = await connection.smembers(workersKey(prefix));
  const live: LiveWorkers = new Map();
  const gone: string[] = [];
  for (const [id, beat] of await readHeartbeats(connection, prefix, ids)) {
    if (beat) live.set(id, beat.agents);
    else gone.push(id);
  }
  // Dropping a worker whose key expired just before it beat again is harmless: each beat adds it back.
  if (gone.length > 0) void connection.srem(workersKey(prefix), ...gone).catch(() => undefined);
  return live;
}

/** The error of an attempt whose agent no live worker served for `graceMs`. */
export function unservedMessage(agent: string, served: readonly string[], graceMs: number, where: string): string {
  return `no live worker serves agent '${agent}' (waited ${Math.round(graceMs / 100) / 10} s; the live workers serve ${served.join(', ')}): start a baton worker for it on ${where}`;
}

/**
 * Tells which waiting jobs wait in vain: live workers serve other agents, and none has served
 * theirs for `graceMs` (a worker started a moment after the job still gets it). With no live
 * worker at all nothing is failed. Called once per watch pass with the
 * jobs no worker holds; it reads the live workers only when one of their agents is not served
 * in what it read less than `cacheMs` ago, so a backlog of served jobs costs a read every
 * `cacheMs`, and an agent is declared unserved only from a fresh read.
 */
export class ServedAgents {
  private snapshot: { at: number; live: LiveWorkers } | undefined;
  /** Since when each agent with waiting jobs has been seen without a live worker. */
  private readonly unservedSince = new Map<string, number>();

  constructor(
    private readonly read: () => Promise<LiveWorkers>,
    private readonly graceMs: number = NO_WORKER_GRACE_MS,
    private readonly cacheMs = 5_000,
  ) {}

  /** The jobs to fail, by agent. Rejects when the live workers cannot be read (nothing is failed then). */
  async unserved(waiting: readonly WaitingJob[], now = Date.now()): Promise<Unserved[]> {
    const agents = new Set(waiting.map((j) => j.agent));
    for (const agent of [...this.unservedSince.keys()]) if (!agents.has(agent)) this.unservedSince.delete(agent);
    let live = this.snapshot && now - this.snapshot.at < this.cacheMs ? this.snapshot.live : undefined;
    if (!live || [...agents].some((a) => !serves(live!, a))) {
      live = await this.read();
      this.snapshot = { at: now, live };
    }
    const result: Unserved[] = [];
    for (const agent of agents) {
      // No live worker at all is a deployment under way (all workers restarting), not a worker
      // for other agents: the attempt waits for its timeout as it always has.
      if (live.size === 0 || serves(live, agent)) {
        this.unservedSince.delete(agent);
        continue;
      }
      const since = this.unservedSince.get(agent) ?? now;
      this.unservedSince.set(agent, since);
      if (now - since < this.graceMs) continue;
      const served = [...new Set([...live.values()].flatMap((a) => a ?? []))].sort();
      result.push({ agent, jobIds: waiting.filter((j) => j.agent === agent).map((j) => j.jobId), served });
    }
    return result;
  }

  /** Forgets what was seen: after a reconnection, workers get a full grace period to beat again. */
  reset(): void {
    this.snapshot = undefined;
    this.unservedSince.clear();
  }
}

function serves(live: LiveWorkers, agent: string): boolean {
  for (const agents of live.values()) if (!agents || agents.includes(agent)) return true;
  return false;
}
