import { spawn } from 'node:child_process';
import path from 'node:path';

/** The CLI as users run it (bin/baton.js). */
export const BIN = path.resolve(import.meta.dirname, '../../bin/baton.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `baton ...args` in `cwd` and collects its output. */
export function baton(args: string[], options: { cwd: string; env?: Record<string, string>; onSpawn?: (pid: number) => void }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (child.pid) options.onSpawn?.(child.pid);
  });
}
