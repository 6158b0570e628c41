import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { BATON_BIN } from '../support/paths.ts';
import { trackStderr } from '../support/hang-reports.ts';

/** A `baton` command started in the background, its output collected. */
export interface Baton {
  child: ChildProcess;
  out(): string;
  err(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exit: Promise<number | null>;
}

export function baton(args: string[], options: { cwd: string; env?: Record<string, string>; uid?: number; gid?: number; node?: string }): Baton {
  const ids = options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid };
  const child = spawn(options.node ?? process.execPath, [BATON_BIN, ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], ...ids });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  trackStderr(child, () => err);
  const exit = new Promise<number | null>((resolve) => {
    child.on('close', (code) => resolve(code));
    // A process that could not be started (EACCES, ENOENT) ends the wait, its error in err().
    child.on('error', (e) => {
      err += `could not start ${options.node ?? process.execPath}: ${e.message}\n`;
      resolve(null);
    });
  });
  return { child, out: () => out, err: () => err, exit };
}

/** One line the fixture agents log: `started|done <runId> <taskId> <attempt> <ms> <pid>`. */
export interface AgentLogLine {
  kind: 'started' | 'done';
  runId: string;
  task: string;
  attempt: number;
  at: number;
  pid: number;
}

export function agentLog(file: string): AgentLogLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [kind, runId, task, attempt, at, pid] = l.split(' ');
      return { kind: kind as AgentLogLine['kind'], runId: runId!, task: task!, attempt: Number(attempt), at: Number(at), pid: Number(pid) };
    });
}

/** Polls until `check` holds; fails after `timeoutMs` saying what it waited for. */
export async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
