import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BATON_BIN, CORE_FIXTURES } from '../support/paths.ts';
import { SqliteRunStore } from '../../src/store/index.ts';

/** The steering fixture: flights, hotels → itinerary → mailer, with parameters (city required). */
export const STEER = path.join(CORE_FIXTURES, 'steer');

/** The real `baton` command in a child process, from the steering fixture's folder. */
export interface Baton {
  child: ChildProcess;
  /** Settles with the exit code (null when killed by a signal) and the output. */
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  stderr(): string;
}

export function baton(args: string[], env: Record<string, string> = {}, stdin?: string): Baton {
  const child = spawn(process.execPath, [BATON_BIN, ...args], { cwd: STEER, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(stdin ?? '');
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done, stderr: () => stderr };
}

/** A fresh journal, output folder and call log for one test. */
export function scratch(): { dir: string; store: string; out: string; log: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-steer-'));
  return { dir, store: path.join(dir, 'journal.db'), out: path.join(dir, 'out'), log: path.join(dir, 'calls.log') };
}

/**
 * A variant of a steering fixture's manifest (`baton.yaml`, `plan-approval.yaml`) written into
 * `dir` as `name`, its text changed by `edit`, with its agents' commands still the fixture's.
 */
export function steerVariant(dir: string, name: string, edit: (yaml: string) => string, base = 'baton.yaml'): string {
  const file = path.join(dir, name);
  writeFileSync(file, edit(readFileSync(path.join(STEER, base), 'utf8')).replaceAll('agents/record.mjs', path.join(STEER, 'agents/record.mjs')));
  return file;
}

/** One line of the call log the fixture's agents write. */
export interface Call {
  event: 'start' | 'done';
  artifact: string;
  task: string;
  params: Record<string, unknown>;
  attempt: number;
  at: number;
}

/** Every call the fixture's agents logged (none when the log does not exist). */
export function calls(log: string): Call[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Call);
}

/** Waits until `check` holds, polling. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * The real `baton` command in a pseudo-terminal (util-linux `script`), as a person at a terminal
 * runs it: stdin and stderr are TTYs, so it asks for decisions. Output is plain (NO_COLOR, CI).
 */
export function batonInTerminal(args: string[], env: Record<string, string> = {}): Baton & { output(): string; type(text: string): void } {
  const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, BATON_BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: STEER, env: { ...process.env, NO_COLOR: '1', CI: '1', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: out, stderr: out }));
  });
  return { child, done, stderr: () => out, output: () => out, type: (text) => child.stdin.write(text) };
}

/** The pid of the process that holds a run now, from the journal. */
export async function ownerPid(store: string, runId: string): Promise<number | undefined> {
  const s = new SqliteRunStore({ file: store });
  try {
    return (await s.ownership(runId))?.owner?.pid;
  } finally {
    await s.close();
  }
}
