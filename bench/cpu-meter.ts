import { execFileSync } from 'node:child_process';
import { statOf } from '../packages/core/test/support/agent-processes.ts';

/** CPU time per task of the processes taking part in a measurement, µs. */
export interface CpuPerTask {
  /** This process (the orchestrator, or raw BullMQ's producer). */
  self: number;
  /** The worker processes, together. */
  workers: number;
  redis: number;
  total: number;
}

let clockTicks: number | undefined;

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 nearly everywhere). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User plus system CPU of a process and all its threads, µs; undefined without /proc or once it is gone. */
export function cpuMicrosOf(pid: number): number | undefined {
  try {
    // utime and stime: fields 14 and 15 of proc(5), counted from the state (field 3).
    const fields = statOf(pid);
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/**
 * The CPU that this process, some worker processes and Redis spend over a measured span, read from
 * /proc (Linux; elsewhere it gives nothing). Throughput moves with the host's speed from minute to
 * minute; the CPU spent per task moves far less, and shows on which side a cost lies. /proc counts
 * other processes in ticks of 10 ms, so a span should last a second or more.
 */
export class CpuMeter {
  private start: { self: number; workers: (number | undefined)[]; redis: number | undefined } | undefined;

  constructor(
    private readonly workerPids: readonly number[],
    private readonly redisPid: number | undefined,
  ) {}

  begin(): void {
    const { user, system } = process.cpuUsage();
    this.start = { self: user + system, workers: this.workerPids.map(cpuMicrosOf), redis: this.redisPid === undefined ? undefined : cpuMicrosOf(this.redisPid) };
  }

  /** CPU per task since {@link begin}, for `tasks` tasks; undefined when a process could not be read. */
  end(tasks: number): CpuPerTask | undefined {
    const start = this.start;
    if (!start || start.redis === undefined || start.workers.includes(undefined)) return undefined;
    const { user, system } = process.cpuUsage();
    const redisNow = cpuMicrosOf(this.redisPid!);
    const workersNow = this.workerPids.map(cpuMicrosOf);
    if (redisNow === undefined || workersNow.includes(undefined)) return undefined;
    const self = (user + system - start.self) / tasks;
    const workers = workersNow.reduce<number>((sum, now, i) => sum + now! - start.workers[i]!, 0) / tasks;
    const redis = (redisNow - start.redis) / tasks;
    return { self, workers, redis, total: self + workers + redis };
  }
}
