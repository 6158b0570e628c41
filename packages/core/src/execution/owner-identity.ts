import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { OwnerInfo } from '../core/events.ts';
import type { RunOwner, RunOwnership } from '../core/contracts.ts';

/**
 * The name of this machine in the journal's ownership records (BATON_HOST_ID, default the host
 * name). Processes with the same name are taken to share one process table: a dead pid there means
 * a dead owner at once. Give containers that share a host name but not a pid namespace distinct ids.
 */
const HOST = process.env['BATON_HOST_ID']?.trim() || hostname();

/** This process, as the owner of the runs it executes. */
export const PROCESS_OWNER: Readonly<RunOwner> = Object.freeze({
  id: `${HOST}:${process.pid}:${randomBytes(3).toString('hex')}`,
  host: HOST,
  pid: process.pid,
  startedAt: Math.round(Date.now() - process.uptime() * 1000),
});

/** The owner as events name it. */
export function ownerInfo(owner: RunOwner): OwnerInfo {
  return { id: owner.id, host: owner.host, pid: owner.pid };
}

/** How long an owner may go without a heartbeat before its runs are taken over (BATON_LEASE_MS, default 15 s). */
export function leaseMs(env: Record<string, string | undefined> = process.env): number {
  const n = Number(env['BATON_LEASE_MS']);
  return Number.isFinite(n) && n >= 200 ? n : 15_000;
}

/**
 * Why a run this live process owns is carried on all the same: it ended here, but its end could not
 * be journaled (see `Orchestrator.endedUnjournaled`).
 */
export const END_NOT_JOURNALED = 'its end could not be journaled by this process (the journal could not be reached): carried on from what was stored';

/** Why a run whose start was stored too late to be confirmed to its caller (told it failed) is ended without running. */
export const START_NOT_CONFIRMED = 'its start was not confirmed to whoever asked for it (the journal did not answer in time), so it was not run';

/**
 * Why the owner of a run that has not ended is gone, or undefined while it is alive: on this host
 * at once (its process is dead, or its pid now belongs to another process), elsewhere when its
 * heartbeat is older than the lease. A run without owner is gone at once when another process
 * handed it over, otherwise once the lease has passed since its last write.
 */
export function ownerGone(o: RunOwnership, lease: number, self: RunOwner = PROCESS_OWNER): string | undefined {
  const owner = o.owner;
  if (!owner) {
    // Its owner journaled all it will of it (a rolling deploy). Not one this process handed over:
    // taking its own run back at once would only start it again where it stopped it.
    if (o.handedOverBy !== undefined && o.handedOverBy !== self.id) return `it was handed over by ${o.handedOverBy}`;
    // A run nobody owns but someone still journals (a writer that does not take ownership) is left alone.
    if (o.updatedAgeMs !== undefined && o.updatedAgeMs < lease) return undefined;
    return 'it has no owner (released, or its owner stopped without ending it)';
  }
  if (owner.id === self.id) return undefined;
  if (owner.host === self.host) {
    if (!processAlive(owner.pid)) return `its process ${owner.pid} on ${owner.host} is gone`;
    const started = processStartMs(owner.pid);
    if (started !== undefined && Math.abs(started - owner.startedAt) > 3_000) return `its process ${owner.pid} on ${owner.host} is gone (the pid now belongs to another process)`;
  }
  if (o.heartbeatAgeMs !== undefined && o.heartbeatAgeMs > lease) {
    return `no heartbeat from its process ${owner.pid} on ${owner.host} for ${(o.heartbeatAgeMs / 1000).toFixed(1)} s (lease ${lease / 1000} s)`;
  }
  return undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let bootMs: number | undefined;

/** When a process of this host started (ms since the epoch), from /proc; undefined where /proc is not Linux's. */
function processStartMs(pid: number): number | undefined {
  try {
    bootMs ??= Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]) * 1000;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, in clock ticks since boot) counted after the command's closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    if (!Number.isFinite(ticks) || !bootMs) return undefined;
    return bootMs + ticks * 10; // USER_HZ is 100 on every Linux Node supports
  } catch {
    return undefined;
  }
}
