import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunResult } from '../../core/src/core/types.ts';

export const ROOT = resolve(import.meta.dirname, '..');
export const FAN_MANIFEST = join(ROOT, 'test/fixtures/fan/baton.yaml');
export const BIN = join(ROOT, '../core/bin/baton.js');
export const GOAL = 'build the report';

/** A folder the fixture agents obey (hold-, spin-, fail- files) and report to (started., held. markers). */
export class Control {
  readonly dir = mkdtempSync(join(tmpdir(), 'baton-dist-'));

  /** Holds every attempt of `agent`, or only attempt `attempt`, until released. */
  hold(agent: string, attempt?: number): void {
    writeFileSync(join(this.dir, holdFile(agent, attempt)), '');
  }

  release(agent: string, attempt?: number): void {
    rmSync(join(this.dir, holdFile(agent, attempt)), { force: true });
  }

  /** Makes `agent` keep its worker's event loop busy for `ms` (a CPU-heavy agent). */
  spin(agent: string, ms: number): void {
    writeFileSync(join(this.dir, `spin-${agent}`), String(ms));
  }

  fail(agent: string, mode: 'unrecoverable' | 'retryable'): void {
    writeFileSync(join(this.dir, `fail-${agent}`), mode);
  }

  clearFail(agent: string): void {
    try {
      unlinkSync(join(this.dir, `fail-${agent}`));
    } catch {
      // not there
    }
  }

  /** Markers `<kind>.<agent>.<task>.<attempt>.<pid>`, parsed; `at` is when the agent wrote it (ms since the epoch). */
  markers(kind: 'started' | 'held' | 'aborted' | 'finished', agent?: string): Marker[] {
    return readdirSync(this.dir)
      .filter((f) => f.startsWith(`${kind}.`))
      .map((f) => {
        const [, a, task, attempt, pid] = f.split('.');
        return { agent: a!, task: task!, attempt: Number(attempt), pid: Number(pid), at: statSync(join(this.dir, f)).mtimeMs };
      })
      .filter((m) => agent === undefined || m.agent === agent);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Marker {
  agent: string;
  task: string;
  attempt: number;
  pid: number;
  at: number;
}

function holdFile(agent: string, attempt: number | undefined): string {
  return attempt === undefined ? `hold-${agent}` : `hold-${agent}.${attempt}`;
}

/** Polls until `check` returns a value other than undefined/false; fails after `timeoutMs` saying what it waited for. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A `baton` CLI process with its output collected. */
export interface CliProcess {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
}

export function spawnCli(args: string[], env: Record<string, string>, cwd: string): CliProcess {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | string>((done) => proc.once('exit', (code, signal) => done(code ?? signal ?? -1)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** A `baton worker` process of the fan workflow, resolved once it is ready to take jobs. */
export function startWorker(env: Record<string, string>, cwd: string, extra: string[] = []): Promise<CliProcess & { pid: number; healthPort?: number }> {
  return startWorkerOf(FAN_MANIFEST, env, cwd, extra);
}

/** A `baton worker` process of a manifest, resolved once it is ready to take jobs. */
export async function startWorkerOf(manifest: string, env: Record<string, string>, cwd: string, extra: string[] = []): Promise<CliProcess & { pid: number; healthPort?: number }> {
  const cli = spawnCli(['worker', '-m', manifest, ...extra], env, cwd);
  const line = await Promise.race([
    waitFor('the worker to be ready', () => /ready: agents .*/.exec(cli.stderr())?.[0], 120_000),
    cli.exited.then((code) => {
      throw new Error(`baton worker exited (${code}) before it was ready:\n${cli.stderr()}`);
    }),
  ]);
  const port = /healthz?/.test(line) ? Number(/:(\d+)\/healthz/.exec(line)?.[1]) : undefined;
  return Object.assign(cli, { pid: cli.proc.pid!, ...(port ? { healthPort: port } : {}) });
}

/** Kills a process (if still running) and waits until it is gone. */
export async function stopProcess(cli: CliProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (cli.proc.exitCode === null && cli.proc.signalCode === null) cli.proc.kill(signal);
  await cli.exited;
}

/** The parts of a RunResult that must not depend on where agents ran: no ids, times or paths. */
export function comparable(r: RunResult): unknown {
  return {
    goal: r.goal,
    status: r.status,
    planner: r.planner,
    plan: r.plan,
    tasks: r.tasks.map((t) => ({
      id: t.id,
      agent: t.agent,
      status: t.status,
      output: t.output,
      attempts: t.attempts.map((a) => ({ n: a.n, agent: a.agent, status: a.status, error: a.error })),
    })),
    artifacts: r.deliverable.artifacts,
    provenance: Object.fromEntries(Object.entries(r.deliverable.provenance).map(([k, p]) => [k, { task: p.task, agent: p.agent, attempt: p.attempt }])),
    usage: r.usage,
  };
}
