/**
 * A Baton server in a process of its own, for the benches that measure what `baton serve` spends
 * (its CPU read from /proc, apart from the client's): the child prints its URL and stops on
 * SIGTERM; the parent starts it and waits for that URL.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { BatonServer } from 'batonjs-server';

/** In the child: prints the server's URL for the parent, and closes it on SIGTERM. */
export function announce(server: BatonServer): void {
  process.stdout.write(`${server.url}\n`);
  process.once('SIGTERM', () => {
    void server
      .close()
      .then(() => server.orchestrator.close())
      .then(() => process.exit(0));
  });
}

/** A server process started by {@link startServerProcess}. */
export interface ServerProcess {
  url: string;
  child: ChildProcessByStdio<null, Readable, null>;
  /** Stops it (SIGTERM) and waits for its exit. */
  stop(): Promise<void>;
}

/** Starts `node [nodeArgs] --import tsx script args` and waits for the URL it prints ({@link announce}). */
export async function startServerProcess(script: string, args: readonly string[], nodeArgs: readonly string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /http:\/\/\S+/.exec(out);
      if (m) resolve(m[0]);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return {
    url,
    child,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
