/** Finds processes by their environment under /proc (Linux), as Baton marks agent processes. */
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of live (non-zombie) processes whose environment holds `NAME=value` exactly. */
export function processesWithEnv(name: string, value: string): number[] {
  const wanted = `${name}=${value}`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(wanted)) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
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
