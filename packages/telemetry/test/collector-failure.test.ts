import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/src/core/types.ts';
import { baton, servedUrl } from '../../server/test/serve-process.ts';
import { startRun, waitForEnd } from '../../server/test/support.ts';
import { freePort } from '../../core/test/support/free-port.ts';

// Telemetry never changes a run's outcome or exit code: a collector that refuses connections, one
// that accepts them and never answers, or one that answers a byte at a time, costs at most a
// short, bounded wait at exit.

const FIXTURE = path.resolve(import.meta.dirname, '../../core/test/fixtures/cli');
const GOAL = 'shortlist of laptops';

/** A TCP server that accepts connections and never answers (a hung collector). */
async function startSilentCollector(): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => accepted,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** An OTLP collector that answers 200 and then sends its body one space a second, never ending it. */
async function startTricklingCollector(): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const server = createHttpServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const drip = setInterval(() => res.write(' '), 1000);
      res.on('close', () => clearInterval(drip));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The exit code, or 'still running' (the process is then killed) when it has not exited within `ms`. */
async function exitWithin(p: ReturnType<typeof baton>, ms: number): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), ms)));
  const code = await Promise.race([p.exited, late]);
  clearTimeout(timer);
  if (code === 'still running') p.child.kill('SIGKILL');
  return code;
}

describe('a dead, silent or trickling OTLP collector', () => {
  let silent: Awaited<ReturnType<typeof startSilentCollector>>;
  let trickling: Awaited<ReturnType<typeof startTricklingCollector>>;
  let dead: string;
  let dir: string;
  beforeAll(async () => {
    silent = await startSilentCollector();
    trickling = await startTricklingCollector();
    dead = `http://127.0.0.1:${await freePort()}`;
    dir = await mkdtemp(path.join(tmpdir(), 'baton-otel-'));
  });
  afterAll(async () => {
    await silent.close();
    await trickling.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function timedRun(endpoint: string | undefined, n: number) {
    const started = Date.now();
    const p = baton(['run', '--json', '--store', path.join(dir, `j${n}.db`), '--out', path.join(dir, `out${n}`), GOAL], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined, OTEL_EXPORTER_OTLP_TIMEOUT: undefined, OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: undefined, NO_COLOR: '1' }, FIXTURE);
    // Far past any bound telemetry may cost: a process still running then would never exit.
    const code = await exitWithin(p, 30_000);
    return { code, ms: Date.now() - started, stdout: p.out(), stderr: p.err() };
  }

  it('baton run exits with the run’s own code, prints the RunResult, and says telemetry failed', async () => {
    const baseline = await timedRun(undefined, 0);
    expect(baseline.code, `without telemetry: ${baseline.stderr}\n${baseline.stdout}`).toBe(0);
    const cases: [string, string][] = [
      ['closed port', dead],
      ['silent collector', silent.url],
      ['trickling collector', trickling.url],
    ];
    for (const [i, [name, endpoint]] of cases.entries()) {
      const r = await timedRun(endpoint, i + 1);
      process.stderr.write(`baton run with a ${name}: ${r.ms} ms (without telemetry ${baseline.ms} ms)\n`);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect((JSON.parse(r.stdout) as RunResult).status).toBe('succeeded');
      expect(r.stderr).toMatch(/telemetry: .*could not (send|deliver)/);
      // Bounded: the export timeout (3 s by default) plus the process's own start and run.
      expect(r.ms - baseline.ms, name).toBeLessThan(8000);
    }
    expect(silent.connections()).toBeGreaterThan(0);
    expect(trickling.requests()).toBeGreaterThan(0);
  });

  it('baton serve exits 0 on SIGTERM', async () => {
    for (const endpoint of [dead, silent.url, trickling.url]) {
      const p = baton(['serve', '--port', '0', '--store', 'memory', '--data-dir', dir], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_TIMEOUT: undefined, BATON_API_TOKEN: undefined, BATON_LOG_LEVEL: 'warn' }, FIXTURE);
      try {
        const url = await servedUrl(p);
        await waitForEnd(url, await startRun(url, GOAL));
        const stopping = Date.now();
        p.child.kill('SIGTERM');
        expect(await exitWithin(p, 30_000), `${endpoint}: ${p.err()}`).toBe(0);
        process.stderr.write(`baton serve with collector ${endpoint}: stopped ${Date.now() - stopping} ms after SIGTERM\n`);
        expect(p.err()).toMatch(/telemetry/);
      } finally {
        if (p.child.exitCode === null) p.child.kill('SIGKILL');
      }
    }
  });
});
