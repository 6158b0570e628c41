import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

/** A Redis server that lives as long as one test file. */
export interface ThrowawayRedis {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** The server's process id (for benchmarks that read its CPU time). */
  pid(): number | undefined;
  /** Kills the server (SIGKILL: nothing is saved) and starts an empty one on the same port. */
  restart(): Promise<void>;
  /** Stops the server and deletes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` on 127.0.0.1 and a free port, without persistence, its folder in a temp
 * dir. Needs the binary: `apt-get install -y redis-server` (or set BATON_REDIS_SERVER to it).
 */
export async function startRedis(): Promise<ThrowawayRedis> {
  const bin = process.env['BATON_REDIS_SERVER'] ?? 'redis-server';
  const dir = mkdtempSync(join(tmpdir(), 'baton-redis-'));
  let child: ChildProcess | undefined;
  const killNow = (): void => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  // If the test process dies before stop(), do not leave a server running.
  process.once('exit', killNow);

  const launch = async (port: number): Promise<void> => {
    const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    await waitUntilReady(proc, port, bin);
  };

  let port = 0;
  let lastError: unknown;
  for (let tries = 0; tries < 3 && port === 0; tries++) {
    const candidate = await freePort();
    try {
      await launch(candidate);
      port = candidate;
    } catch (e) {
      lastError = e;
    }
  }
  if (port === 0) {
    process.removeListener('exit', killNow);
    killNow();
    throw lastError;
  }
  let stopped: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => child?.pid,
    async restart() {
      if (child) await kill(child);
      await launch(port);
    },
    stop: () =>
      (stopped ??= (async () => {
        process.removeListener('exit', killNow);
        if (child) await kill(child);
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

/** Resolves once the server logs that it accepts connections; rejects if it exits first. */
function waitUntilReady(proc: ChildProcess, port: number, bin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        proc.stdout?.off('data', onData);
        proc.stdout?.resume();
        proc.stderr?.resume();
        proc.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`${bin} on port ${port} exited (${code}) before it was ready: ${output.slice(-500)}`));
    proc.once('error', (e) => reject(new Error(`cannot start ${bin}: ${e.message}; install it with apt-get install -y redis-server or set BATON_REDIS_SERVER`)));
    proc.once('exit', onExit);
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
  });
}

