import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../..');
/** The sample manifest, which `baton serve` serves as it is. */
export const SAMPLE_MANIFEST = path.join(ROOT, 'examples/sales-report/baton.yaml');

/** The real CLI in a child process. */
export interface BatonProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  out(): string;
  err(): string;
}

/** Runs the `baton` command from the repository root with `env` over the current environment (undefined removes a variable). */
export function baton(args: string[], env: Record<string, string | undefined> = {}, cwd = ROOT): BatonProcess {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  const child = spawn(process.execPath, [path.join(ROOT, 'packages/core/bin/baton.js'), ...args], { cwd, env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

/** Waits for `baton serve` to print the URL it listens on. */
export async function servedUrl(p: BatonProcess, timeoutMs = 30_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = /http:\/\/[^\s]+:\d+/.exec(p.out());
    if (m) return m[0];
    if (p.child.exitCode !== null) throw new Error(`serve exited ${p.child.exitCode}: ${p.err()}`);
    if (Date.now() > until) throw new Error(`serve printed no URL within ${timeoutMs} ms: ${p.err()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
