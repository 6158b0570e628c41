/**
 * Finds processes left behind by a soak's agents: any process (other than this one) whose
 * command line or environment holds the soak's marker. The environment catches descendants
 * whose command line does not (a `sleep` started by an agent's shell inherits BATON_SOAK_MARKER).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface FoundProcess {
  pid: number;
  cmdline: string;
}

function readProc(pid: string, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return undefined; // gone, or not ours to read
  }
}

/** Processes whose command line or environment contains `marker` (Linux /proc). */
export function processesWithMarker(marker: string): FoundProcess[] {
  const found: FoundProcess[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmdline = readProc(pid, 'cmdline');
    if (cmdline === undefined) continue;
    const stat = readProc(pid, 'stat');
    // A zombie has exited; it only waits for its parent to read its status.
    if (stat && / Z /.test(stat.slice(stat.lastIndexOf(')')))) continue;
    if (cmdline.includes(marker) || readProc(pid, 'environ')?.includes(`BATON_SOAK_MARKER=${marker}`)) {
      found.push({ pid: Number(pid), cmdline: cmdline.replace(/\0/g, ' ').trim() });
    }
  }
  return found;
}

/** Polls until no marked process is left or `withinMs` passed; returns those still alive. */
export async function waitForNoProcesses(marker: string, withinMs: number): Promise<FoundProcess[]> {
  const until = Date.now() + withinMs;
  for (;;) {
    const left = processesWithMarker(marker);
    if (left.length === 0 || Date.now() >= until) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Kills leftover processes by pid (after they were counted), so a failed soak leaves nothing running. */
export function killProcesses(found: readonly FoundProcess[]): void {
  for (const p of found) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
