import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Every process Baton starts for an agent (command agents, MCP servers) carries a token in its
 * environment, `BATON_AGENT_TOKEN=<owner>.<n>`, and everything that process starts inherits it,
 * including what leaves the process group (`setsid`, a double-forked daemon). Killing the process
 * group is not enough for those; finding the token under /proc is. `<owner>` names the Baton process
 * that gave the token: it is recorded in a small file, so the next Baton process on the machine
 * kills what a SIGKILLed one left behind. Linux only (/proc); elsewhere these are no-ops.
 */
export const AGENT_TOKEN_VAR = 'BATON_AGENT_TOKEN';

const DIR = path.join(tmpdir(), 'baton-agent-owners');
const enabled = process.platform === 'linux';
/** Passes over /proc until one finds nothing (a process may fork while the previous pass kills). */
const MAX_PASSES = 5;
/**
 * Processes a pass reads before it lets the event loop run (~14 µs each on a 2-vCPU microVM: a
 * read of /proc is three system calls into one buffer, ten times cheaper than an async readFile).
 */
const READS_PER_TURN = 64;
/** How long a pass waits for the processes it SIGKILLed to be gone. */
const DEATH_WAIT_MS = 2_000;
/** How long a read of /proc waits for a process inside `execve` to show its new environment. */
const EXEC_WAIT_MS = 1_000;
/** The kernel thread flag of /proc/<pid>/stat (include/linux/sched.h). */
const PF_KTHREAD = 0x00200000;
/** Indexes in {@link statFields}: fields 9, 22, 50 and 51 of /proc/<pid>/stat (proc(5)). */
const STAT = { flags: 6, startTime: 19, envStart: 47, envEnd: 48 } as const;

let owner: string | undefined;
let counter = 0;
let swept: Promise<number> | undefined;

const PROC_BUFFER_BYTES = 16 * 1024;
/**
 * Every read of /proc goes into this buffer (a pass reads one file at a time). It grows for a large
 * environment, and a pass that left it over 1 MiB gives that back.
 */
let procBuffer = Buffer.allocUnsafe(PROC_BUFFER_BYTES);

/**
 * Reads a file of /proc whole into {@link procBuffer} and returns its length; undefined when it
 * cannot be read (the process is gone, or it is another user's).
 */
function readProc(file: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    let length = 0;
    for (;;) {
      if (length === procBuffer.length) {
        const bigger = Buffer.allocUnsafe(procBuffer.length * 2);
        procBuffer.copy(bigger, 0, 0, length);
        procBuffer = bigger;
      }
      const read = readSync(fd, procBuffer, length, procBuffer.length - length, null);
      if (read === 0) return length;
      length += read;
    }
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The fields of /proc/<pid>/stat from the third (the state) on; undefined once the process is gone. */
function statFields(pid: number | string): string[] | undefined {
  const length = readProc(`/proc/${pid}/stat`);
  if (length === undefined) return undefined;
  const stat = procBuffer.toString('latin1', 0, length);
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The start time of a process: with the pid, it names one process. */
function startTimeOf(pid: number): string | undefined {
  return statFields(pid)?.[STAT.startTime];
}

function ownerFile(id: string): string {
  return path.join(DIR, id);
}

/** Records this process as an owner of agent processes, once. */
function ownerId(): string {
  if (owner !== undefined) return owner;
  const id = randomBytes(6).toString('hex');
  owner = id;
  if (!enabled) return id;
  try {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(ownerFile(id), JSON.stringify({ pid: process.pid, start: startTimeOf(process.pid) }));
    // A clean exit leaves nothing to sweep (its agents were killed as their attempts ended).
    process.once('exit', () => rmSync(ownerFile(id), { force: true }));
  } catch {
    // Without the record, a SIGKILL of this process leaves its agents to run until they end.
  }
  return id;
}

/**
 * A new token to put in an agent process's environment (as {@link AGENT_TOKEN_VAR}). The first call
 * also starts, in the background, the sweep of agents left by Baton processes that were killed.
 */
export function newAgentToken(): string {
  const token = `${ownerId()}.${++counter}`;
  void sweepOrphanedAgents();
  return token;
}

const TOKEN_KEY = Buffer.from(`${AGENT_TOKEN_VAR}=`, 'latin1');
const TOKEN_AFTER_NUL = Buffer.from(`\0${AGENT_TOKEN_VAR}=`, 'latin1');

/** The token in the first `length` bytes of {@link procBuffer}, an environment block (NUL-separated). */
function tokenInBuffer(length: number): string | undefined {
  const environ = procBuffer.subarray(0, length);
  let at: number;
  if (length >= TOKEN_KEY.length && environ.compare(TOKEN_KEY, 0, TOKEN_KEY.length, 0, TOKEN_KEY.length) === 0) {
    at = TOKEN_KEY.length;
  } else {
    const found = environ.indexOf(TOKEN_AFTER_NUL);
    if (found === -1) return undefined;
    at = found + TOKEN_AFTER_NUL.length;
  }
  const end = environ.indexOf(0, at);
  return environ.toString('latin1', at, end === -1 ? length : end);
}

/** A read of /proc/<pid>/environ that found it empty: see {@link tokenAfterEmptyRead}. */
const EMPTY = Symbol('empty environment');

/** The token of a process, read once; undefined when it has none or its environment cannot be read. */
function tokenNow(pid: string): string | undefined | typeof EMPTY {
  const length = readProc(`/proc/${pid}/environ`);
  if (length === undefined) return undefined;
  return length === 0 ? EMPTY : tokenInBuffer(length);
}

/**
 * The token of a process whose environment read as empty. That is true of a zombie, a kernel
 * thread or a process started with an empty environment, but a process inside `execve` reads so
 * too: its new memory has none yet (its environment's end is still 0), or the read opened the memory
 * the execve replaced. A daemon an agent starts execs right after it forks (`setsid sleep &`), so
 * such a process is read again, up to EXEC_WAIT_MS, rather than taken for one without a token.
 */
async function tokenAfterEmptyRead(pid: string): Promise<string | undefined> {
  const until = Date.now() + EXEC_WAIT_MS;
  for (;;) {
    const fields = statFields(pid);
    if (fields === undefined || fields[0] === 'Z' || fields[0] === 'X' || (Number(fields[STAT.flags]) & PF_KTHREAD) !== 0) return undefined;
    const envEnd = fields[STAT.envEnd];
    // An environment that ends where it starts is empty indeed (`env -i`).
    if (envEnd !== '0' && envEnd === fields[STAT.envStart]) return undefined;
    if (Date.now() >= until) return undefined;
    // Still inside execve: wait for it. Otherwise the read met the memory an execve replaced: read again.
    if (envEnd === '0') await new Promise((resolve) => setTimeout(resolve, 1));
    const token = tokenNow(pid);
    if (token !== EMPTY) return token;
  }
}

/** Live processes (not this one, not zombies) whose token `wanted` accepts. */
async function findAgentProcesses(wanted: (token: string) => boolean): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  const found: number[] = [];
  const emptyReads: string[] = [];
  const take = (pid: string, token: string | undefined): void => {
    if (token !== undefined && wanted(token) && !isGone(Number(pid))) found.push(Number(pid));
  };
  for (let i = 0; i < pids.length; i++) {
    if (i > 0 && i % READS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    const pid = pids[i]!;
    const token = tokenNow(pid);
    if (token === EMPTY) emptyReads.push(pid);
    else take(pid, token);
  }
  // Those met inside execve are waited for together, not one after another.
  await Promise.all(emptyReads.map(async (pid) => take(pid, await tokenAfterEmptyRead(pid))));
  if (procBuffer.length > 1024 * 1024) procBuffer = Buffer.allocUnsafe(PROC_BUFFER_BYTES);
  return found;
}

/** True when the process has exited (gone, or a zombie waiting to be reaped). */
function isGone(pid: number): boolean {
  const state = statFields(pid)?.[0];
  return state === undefined || state === 'Z' || state === 'X';
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
 * Sends `signal` to every process whose token `wanted` accepts. With SIGKILL (the default) it
 * passes over /proc again until a pass finds nothing, and resolves once the killed processes are
 * gone; another signal is sent in one pass. Resolves with the number of processes signalled.
 */
export async function signalAgentProcesses(wanted: (token: string) => boolean, signal: NodeJS.Signals = 'SIGKILL'): Promise<number> {
  if (!enabled) return 0;
  let signalled = 0;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const found = await findAgentProcesses(wanted);
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
