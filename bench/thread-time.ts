import { readdirSync, readFileSync } from 'node:fs';

/**
 * This process's scheduler times, from Linux's /proc/self/task/<tid>/schedstat (ns): how long
 * the main thread ran and how long it was ready to run but waited for a CPU, and how long all
 * the other threads ran: V8's compilers and GC helpers, and with the SQLite journal its
 * checkpointer thread (libuv's pool is idle in these benchmarks).
 */
export interface ThreadTimes {
  mainOnCpuNs: number;
  mainWaitingNs: number;
  othersOnCpuNs: number;
}

/** What the threads did over a measured span: see {@link threadShares}. */
export interface ThreadShares {
  /** The share of the span's wall time during which the main thread was ready to run and waited for a CPU. */
  cpuWaitShare: number;
  /** The share of the process's CPU time spent by threads other than the main one. */
  helperCpuShare: number;
}

/** Undefined where /proc's schedstat cannot be read (not Linux, or a kernel without it). */
export function threadTimes(): ThreadTimes | undefined {
  try {
    const times: ThreadTimes = { mainOnCpuNs: 0, mainWaitingNs: 0, othersOnCpuNs: 0 };
    for (const tid of readdirSync('/proc/self/task')) {
      let fields: string[];
      try {
        fields = readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1').split(' ');
      } catch {
        continue; // a thread that ended between the listing and the read
      }
      if (Number(tid) === process.pid) {
        times.mainOnCpuNs = Number(fields[0]);
        times.mainWaitingNs = Number(fields[1]);
      } else {
        times.othersOnCpuNs += Number(fields[0]);
      }
    }
    return times.mainOnCpuNs > 0 ? times : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The shares of a span from its two readings; empty when either could not be taken. A thread
 * that ended within the span takes its CPU time with it, so the helpers' share is a floor.
 */
export function threadShares(before: ThreadTimes | undefined, after: ThreadTimes | undefined, wallMs: number): ThreadShares | Record<string, never> {
  if (!before || !after) return {};
  const main = after.mainOnCpuNs - before.mainOnCpuNs;
  const others = Math.max(0, after.othersOnCpuNs - before.othersOnCpuNs);
  return {
    cpuWaitShare: (after.mainWaitingNs - before.mainWaitingNs) / (wallMs * 1e6),
    helperCpuShare: others / (main + others),
  };
}
