import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Command agents run in their own process groups so a timeout can kill everything they started.
 * The flip side: when the process that started them is SIGKILLed (an orchestrator or a worker),
 * nothing kills them. Each group is therefore recorded in a small file naming its owner, and the
 * next Baton process on the machine that starts command agents kills the groups whose owner died.
 * A group is killed only if its leader still carries the token it was started with (read from
 * /proc), so a reused process id is never hit.
 */
const DIR = path.join(tmpdir(), 'baton-agent-groups');
const enabled = process.platform === 'linux';
let swept = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function carriesToken(pid: number, token: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`BATON_AGENT_TOKEN=${token}`);
  } catch {
    return false;
  }
}

/** Kills the process groups of command agents whose owner process is gone. Runs once per process. */
export function sweepOrphanedAgents(): number {
  if (!enabled || swept) return 0;
  swept = true;
  let killed = 0;
  let files: string[];
  try {
    files = readdirSync(DIR);
  } catch {
    return 0;
  }
  for (const name of files) {
    const file = path.join(DIR, name);
    try {
      const { owner, token } = JSON.parse(readFileSync(file, 'utf8')) as { owner: number; token: string };
      const pgid = Number(name);
      if (alive(owner)) continue;
      if (Number.isInteger(pgid) && pgid > 1 && carriesToken(pgid, token)) {
        process.kill(-pgid, 'SIGKILL');
        killed++;
      }
      rmSync(file, { force: true });
    } catch {
      rmSync(file, { force: true });
    }
  }
  return killed;
}

/** A token to put in the agent's environment (BATON_AGENT_TOKEN) before it is spawned. */
export function newAgentToken(): string {
  return randomBytes(8).toString('hex');
}

/** Records a started group; returns the function that forgets it once the group is gone. */
export function recordAgentGroup(pgid: number | undefined, token: string): () => void {
  if (!enabled || pgid === undefined) return () => undefined;
  const file = path.join(DIR, String(pgid));
  try {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, JSON.stringify({ owner: process.pid, token }));
  } catch {
    return () => undefined;
  }
  return () => rmSync(file, { force: true });
}
