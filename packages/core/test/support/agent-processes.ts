/** Finds processes by their environment under /proc (Linux), as Baton marks agent processes. */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Pids of live processes whose environment holds `NAME=value` exactly: not zombies, but processes
 * whose main thread exited while others run (read through those), as Baton's own scan does.
 */
export function processesWithEnv(name: string, value: string): number[] {
  const wanted = `${name}=${value}`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (environOf(entry)?.split('\0').includes(wanted)) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** The fields of /proc/<pid>/stat from the state on (proc(5) field 3); throws once the process is gone. */
export function statOf(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The processes whose parent is `pid`, zombies included. */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 (ppid): the second after the state.
      if (Number(statOf(entry)[1]) === pid) children.push(Number(entry));
    } catch {
      // Ended meanwhile.
    }
  }
  return children;
}

/** Whether a process has threads that run: false once it has exited (a zombie), true while its main thread runs or others do. */
export function hasLiveThreads(pid: number | string): boolean {
  try {
    const fields = statOf(pid);
    return (fields[0] !== 'Z' && fields[0] !== 'X') || Number(fields[17]) > 1;
  } catch {
    return false;
  }
}

function environOf(pid: string): string | undefined {
  if (!hasLiveThreads(pid)) return undefined;
  const threads = readdirSync(`/proc/${pid}/task`);
  for (const tid of [pid, ...threads.filter((t) => t !== pid)]) {
    try {
      const environ = readFileSync(`/proc/${pid}/task/${tid}/environ`, 'latin1');
      if (environ !== '') return environ;
    } catch {
      // That thread has no memory left (its main thread exited, on recent kernels): the next one.
    }
  }
  return undefined;
}

/** Polls until no process carries the variable, or `ms` passed; returns those left. */
export async function waitForNone(name: string, value: string, ms = 5_000): Promise<number[]> {
  const until = Date.now() + ms;
  for (;;) {
    const left = processesWithEnv(name, value);
    if (left.length === 0 || Date.now() >= until) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}
