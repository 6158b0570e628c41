import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { childrenOf } from './agent-processes.ts';
import { freePort } from './free-port.ts';

const run = promisify(execFile);

/** A PostgreSQL cluster that lives as long as one test file. */
export interface ThrowawayPostgres {
  /** URL of a fresh, empty database (`baton`), trust auth as user `postgres`. */
  url: string;
  /** URL of the `postgres` maintenance database, for creating and dropping databases. */
  adminUrl: string;
  port: number;
  /** Creates another empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /**
   * Stops the server (`-m fast`: its clients' connections are cut, and what they committed is kept,
   * although commits are not synchronous), keeping its files: {@link restart} brings it back on the same port.
   */
  halt(): Promise<void>;
  /** Starts again, on the same port, a server stopped by {@link halt}. */
  restart(): Promise<void>;
  /** Sends `signal` to the server and each of its processes (SIGSTOP: it stops answering, its connections left open; SIGCONT: it goes on). */
  signalAll(signal: 'SIGSTOP' | 'SIGCONT'): void;
  /** Stops the server at once (`-m immediate`) and deletes its files. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a throwaway PostgreSQL cluster on 127.0.0.1 and a free port, its data and unix socket in
 * a temp dir. Durability is off (fsync, synchronous_commit, full_page_writes): tests only, unless
 * `durable` (a benchmark of what a commit costs, as a real server makes it).
 * PostgreSQL refuses to run as root, so as root the server runs as user `postgres` (runuser).
 * Needs the server binaries: `apt-get install -y postgresql` (or set BATON_PG_BIN to their folder).
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<ThrowawayPostgres> {
  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  const dir = await mkdtemp(join(tmpdir(), 'baton-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const exec = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args);
  const stopNow = (): void => {
    try {
      execFileSync(...command(asRoot, join(bin, 'pg_ctl'), ['-D', data, '-s', '-m', 'immediate', '-w', 'stop']), { stdio: 'ignore' });
    } catch {
      // not running (never started, or already stopped)
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // If the test process dies before stop(), do not leave a server running.
  process.once('exit', stopNow);

  try {
    await mkdir(data);
    if (asRoot) {
      const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
      const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
      await chown(dir, uid, gid);
      await chown(data, uid, gid);
    }
    await exec('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const durable = options.durable ?? false;
    const port = await startServer(exec, data, dir, log, durable);
    const signalAll = (signal: 'SIGSTOP' | 'SIGCONT'): void => {
      const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      // The postmaster first, so it starts no process that would miss the signal.
      for (const pid of [postmaster, ...childrenOf(postmaster)]) {
        try {
          process.kill(pid, signal);
        } catch {
          // ended meanwhile
        }
      }
    };
    const adminUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
    const createDatabase = async (name: string): Promise<string> => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return `postgresql://postgres@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    };
    const url = await createDatabase('baton');
    let stopped: Promise<void> | undefined;
    return {
      url,
      adminUrl,
      port,
      createDatabase,
      signalAll,
      halt: async () => {
        await exec('pg_ctl', ['-D', data, '-s', '-m', 'fast', '-w', 'stop']);
      },
      restart: async () => {
        await exec('pg_ctl', ['-D', data, '-l', log, '-s', '-w', '-t', '60', '-o', serverSettings(port, dir, durable), 'start']);
      },
      stop: () =>
        (stopped ??= (async () => {
          process.removeListener('exit', stopNow);
          await exec('pg_ctl', ['-D', data, '-s', '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
          await rm(dir, { recursive: true, force: true });
        })()),
    };
  } catch (e) {
    const serverLog = existsSync(log) ? `\nserver log:\n${readFileSync(log, 'utf8').slice(-2000)}` : '';
    process.removeListener('exit', stopNow);
    stopNow();
    throw new Error(`could not start a throwaway PostgreSQL from ${bin}: ${e instanceof Error ? e.message : String(e)}${serverLog}`, {
      cause: e,
    });
  }
}

type Exec = (tool: string, args: string[]) => Promise<unknown>;

/** Starts the server on a free port; retries when another process takes the port first. */
async function startServer(exec: Exec, data: string, socketDir: string, log: string, durable: boolean): Promise<number> {
  let lastError: unknown;
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    try {
      await exec('pg_ctl', ['-D', data, '-l', log, '-s', '-w', '-t', '60', '-o', serverSettings(port, socketDir, durable), 'start']);
      return port;
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

function serverSettings(port: number, socketDir: string, durable: boolean): string {
  return [
    '-c listen_addresses=127.0.0.1',
    `-p ${port}`,
    `-k "${socketDir}"`,
    ...(durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    '-c max_connections=200',
  ].join(' ');
}

function command(asRoot: boolean, tool: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', tool, ...args]] : [tool, args];
}

/** The newest server install under /usr/lib/postgresql (Debian's layout), or BATON_PG_BIN. */
function findPostgresBin(): string {
  const fromEnv = process.env['BATON_PG_BIN'];
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')) && existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error(
      'PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install them (apt-get install -y postgresql) or set BATON_PG_BIN to the folder holding initdb and pg_ctl',
    );
  }
  return join(root, newest, 'bin');
}

