import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { trackStderr } from '../support/hang-reports.ts';

/** The CLI as users run it (bin/baton.js). */
export const BIN = path.resolve(import.meta.dirname, '../../bin/baton.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Killed by `killAfterMs`: it had not ended by then. */
  killed: boolean;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string>;
  onSpawn?: (pid: number) => void;
  /** SIGKILL the process if it has not ended by then (a hang then fails on `killed`, not on the test's timeout). */
  killAfterMs?: number;
  /** Leave its stdout unread this long, as a slow reader would (the pipe fills, its writes wait). */
  readStdoutAfterMs?: number;
}

/** Runs `baton ...args` in `cwd` and collects its output. */
export function baton(args: string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const readStdout = (): void => void child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    if (options.readStdoutAfterMs === undefined) readStdout();
    else setTimeout(readStdout, options.readStdoutAfterMs);
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    trackStderr(child, () => stderr);
    const limit =
      options.killAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            killed = true;
            child.kill('SIGKILL');
          }, options.killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve({ code, stdout, stderr, killed });
    });
    if (child.pid) options.onSpawn?.(child.pid);
  });
}

/**
 * A `baton init` project made in `parent/name`, its `baton.yaml` rewritten by `edit`: the starter a
 * user begins from, changed in one place.
 */
export async function starterProject(parent: string, name: string, edit: (manifest: string) => string): Promise<string> {
  const project = path.join(parent, name);
  const init = await baton(['init', project], { cwd: parent });
  expect(init.code, init.stderr).toBe(0);
  const manifest = path.join(project, 'baton.yaml');
  writeFileSync(manifest, edit(readFileSync(manifest, 'utf8')));
  return project;
}
