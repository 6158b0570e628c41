import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AGENT_TOKEN_VAR, isGone, processGroupOf, startTimeOf } from './proc-scan.ts';
import { scanAgentProcesses } from './proc-scanner.ts';

/**
 * Every process Baton starts for an agent (command agents, MCP servers) carries a token in its
 * environment, `BATON_AGENT_TOKEN=<owner>.<n>`, and everything that process starts inherits it,
 * including what leaves the process group (`setsid`, a double-forked daemon). Killing the process
 * group is not enough for those; finding the token under /proc is (`proc-scan.ts`, in a thread of
 * its own). `<owner>` names the Baton process that gave the token: it is recorded in a small file,
 * so the next Baton process on the machine kills what a SIGKILLed one left behind. Linux only
 * (/proc); elsewhere these are no-ops.
 */
export { AGENT_TOKEN_VAR };

const DIR = path.join(tmpdir(), 'baton-agent-owners');
const enabled = process.platform === 'linux';
/** Passes over /proc until one finds nothing (a process may fork while the previous pass kills). */
const MAX_PASSES = 5;
/** How long an agent's processes have between the SIGTERM that stops its attempt and the SIGKILL. */
export const KILL_GRACE_MS = 2_000;
/** How long a pass waits for the processes it SIGKILLed to be gone. */
const DEATH_WAIT_MS = 2_000;

let owner: string | undefined;
let recorded = false;
let counter = 0;
let swept: Promise<number> | undefined;
/**
 * Tokens given to processes that nothing kills as an attempt ends (those a module agent's thread
 * starts: see `thread-processes.ts`), until they are killed. While any is left, a clean exit keeps
 * this process's record, so the next Baton process kills them.
 */
const unswept = new Set<string>();

function ownerFile(id: string): string {
  return path.join(DIR, id);
}

function ownerId(): string {
  owner ??= randomBytes(6).toString('hex');
  return owner;
}

/** Records this process as an owner of agent processes, once. */
function recordOwner(): void {
  if (recorded) return;
  recorded = true;
  const id = ownerId();
  if (!enabled) return;
  try {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(ownerFile(id), JSON.stringify({ pid: process.pid, start: startTimeOf(process.pid) }));
    // A clean exit leaves nothing to sweep when its agents were killed as their attempts and threads ended.
    process.once('exit', () => unswept.size === 0 && rmSync(ownerFile(id), { force: true }));
  } catch {
    // Without the record, a SIGKILL of this process leaves its agents to run until they end.
  }
}

/**
 * A new token to put in an agent process's environment (as {@link AGENT_TOKEN_VAR}). The first call
 * also starts, in the background, the sweep of agents left by Baton processes that were killed.
 */
export function newAgentToken(): string {
  const token = reserveAgentToken();
  void sweepOrphanedAgents();
  return token;
}

/**
 * A token for processes that may never be started (a module thread's). This process is recorded as
 * their owner at once (a small file), so that a SIGKILL right after one starts leaves it to the next
 * Baton process; the sweep of killed ones' agents starts only with {@link claimAgentToken}.
 */
export function reserveAgentToken(): string {
  recordOwner();
  return `${ownerId()}.${++counter}`;
}

/**
 * Marks a reserved token as carried by processes that live until {@link killAgentProcessesUnder} is
 * given it (which releases it): this process keeps its owner record at a clean exit while the
 * token is not released, so that the next Baton process kills them.
 */
export function claimAgentToken(token: string): void {
  unswept.add(token);
  void sweepOrphanedAgents();
}

/** Live processes (not this one, not zombies) whose token `wanted` accepts. */
async function findAgentProcesses(wanted: (token: string) => boolean): Promise<number[]> {
  return (await scanAgentProcesses()).filter(([, token]) => wanted(token)).map(([pid]) => pid);
}

async function waitGone(pids: readonly number[], ms: number): Promise<void> {
  const until = Date.now() + ms;
  let left = pids.filter((pid) => !isGone(pid));
  while (left.length > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    left = left.filter((pid) => !isGone(pid));
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false; // Gone meanwhile.
  }
}

/**
 * Sends `signal` to every process whose token `wanted` accepts, but those `skip` names. With
 * SIGKILL (the default) it passes over /proc again until a pass finds nothing, and resolves once
 * the killed processes are gone; another signal is sent in one pass. Resolves with the number of
 * processes signalled.
 */
export async function signalAgentProcesses(wanted: (token: string) => boolean, signal: NodeJS.Signals = 'SIGKILL', skip?: (pid: number) => boolean): Promise<number> {
  if (!enabled) return 0;
  let signalled = 0;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const listed = await findAgentProcesses(wanted);
    const found = skip ? listed.filter((pid) => !skip(pid)) : listed;
    if (found.length === 0) break;
    for (const pid of found) if (signalPid(pid, signal)) signalled++;
    if (signal !== 'SIGKILL') break;
    await waitGone(found, DEATH_WAIT_MS);
  }
  return signalled;
}

/** Kills every process carrying one of `tokens` (an attempt's processes, once the attempt ends). */
export function killAgentProcesses(tokens: readonly string[], signal: NodeJS.Signals = 'SIGKILL'): Promise<number> {
  const set = new Set(tokens);
  return signalAgentProcesses((token) => set.has(token), signal);
}

/**
 * SIGTERM, once, to every process carrying `token` but those in process group `group`, which were
 * sent theirs with the group's: a second SIGTERM would end a process whose handler the first one
 * removed (Node's `process.once('SIGTERM')`, a shell's trap reset) before its grace period is out.
 */
export function terminateAgentProcesses(token: string, group: number | undefined): Promise<number> {
  return signalAgentProcesses((t) => t === token, 'SIGTERM', group === undefined ? undefined : (pid) => processGroupOf(pid) === group);
}

/**
 * Kills every process carrying `token` or a token under it (`<token>.<n>`): what a module thread
 * and its attempts started, as the thread ends. Releases a claimed token once they are gone.
 */
export async function killAgentProcessesUnder(token: string): Promise<number> {
  const under = `${token}.`;
  try {
    return await signalAgentProcesses((t) => t === token || t.startsWith(under));
  } finally {
    unswept.delete(token);
  }
}

function ownerIsAlive(record: { pid?: unknown; start?: unknown }): boolean {
  if (typeof record.pid !== 'number') return false;
  const start = startTimeOf(record.pid);
  return start !== undefined && (record.start === undefined || start === record.start);
}

/**
 * Kills the agent processes of Baton processes that are gone (SIGKILLed, crashed): every process
 * whose token names a dead owner. Runs once per process (later calls return the first's result).
 */
export function sweepOrphanedAgents(): Promise<number> {
  swept ??= sweep().catch(() => 0);
  return swept;
}

async function sweep(): Promise<number> {
  if (!enabled) return 0;
  let names: string[];
  try {
    names = readdirSync(DIR);
  } catch {
    return 0;
  }
  const dead = new Set<string>();
  for (const name of names) {
    if (name === owner) continue;
    let record: { pid?: unknown; start?: unknown } = {};
    try {
      record = JSON.parse(readFileSync(ownerFile(name), 'utf8')) as typeof record;
    } catch {
      // Unreadable: treated as dead.
    }
    if (ownerIsAlive(record)) continue;
    dead.add(name);
  }
  if (dead.size === 0) return 0;
  const killed = await signalAgentProcesses((token) => dead.has(token.slice(0, token.indexOf('.'))));
  for (const name of dead) rmSync(ownerFile(name), { force: true });
  return killed;
}
