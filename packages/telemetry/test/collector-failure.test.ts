import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/src/core/types.ts';
import { baton, servedUrl } from '../../server/test/serve-process.ts';
import { startRun, waitForEnd } from '../../server/test/support.ts';
import { freePort } from '../../core/test/support/free-port.ts';

// Telemetry never changes a run's outcome or exit code: a collector that refuses connections, or
// one that accepts them and never answers, costs at most a short, bounded wait at exit.

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

describe('a dead or silent OTLP collector', () => {
  let silent: Awaited<ReturnType<typeof startSilentCollector>>;
  let dead: string;
  let dir: string;
  beforeAll(async () => {
    silent = await startSilentCollector();
    dead = `http://127.0.0.1:${await freePort()}`;
    dir = await mkdtemp(path.join(tmpdir(), 'baton-otel-'));
  });
  afterAll(async () => {
    await silent.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function timedRun(endpoint: string | undefined, n: number) {
    const started = Date.now();
    const p = baton(['run', '--json', '--store', path.join(dir, `j${n}.db`), '--out', path.join(dir, `out${n}`), GOAL], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined, OTEL_EXPORTER_OTLP_TIMEOUT: undefined, OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: undefined, NO_COLOR: '1' }, FIXTURE);
    const code = await p.exited;
    return { code, ms: Date.now() - started, stdout: p.out(), stderr: p.err() };
  }

  it('baton run exits with the run’s own code, prints the RunResult, and says telemetry failed', async () => {
    const baseline = await timedRun(undefined, 0);
    expect(baseline.code).toBe(0);
    const cases: [string, string][] = [
      ['closed port', dead],
      ['silent collector', silent.url],
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
  });

  it('baton serve exits 0 on SIGTERM', async () => {
    for (const endpoint of [dead, silent.url]) {
      const p = baton(['serve', '--port', '0', '--store', 'memory', '--data-dir', dir], { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_TIMEOUT: undefined, BATON_API_TOKEN: undefined, BATON_LOG_LEVEL: 'warn' }, FIXTURE);
      try {
        const url = await servedUrl(p);
        await waitForEnd(url, await startRun(url, GOAL));
        const stopping = Date.now();
        p.child.kill('SIGTERM');
        expect(await p.exited, `${endpoint}: ${p.err()}`).toBe(0);
        process.stderr.write(`baton serve with collector ${endpoint === dead ? 'closed port' : 'silent'}: stopped ${Date.now() - stopping} ms after SIGTERM\n`);
        expect(p.err()).toMatch(/telemetry/);
      } finally {
        if (p.child.exitCode === null) p.child.kill('SIGKILL');
      }
    }
  });
});
