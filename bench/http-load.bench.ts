/**
 * HTTP load: N concurrent runs started over `POST /v1/runs`, each followed to its end over SSE,
 * against a Baton server in its own process (SQLite journal, a global cap on parallel tasks,
 * three scripted agents per run). Reports runs/s, API latency percentiles (POST, and GETs made
 * while the load runs), the server's CPU per run (Linux: from /proc) and errors; exits 1 if any
 * request or run failed.
 *
 *   node --import tsx bench/http-load.bench.ts [--runs 200] [--max-concurrent-tasks 32] [--delay-ms 20] [--warmup 5]
 *
 * A few warm-up runs first load the modules a run needs (the server starts lazily), so the
 * figures are those of a warm server. The server runs the built packages, as users install them:
 * `npm run build` first.
 *
 * Traffic goes to 127.0.0.1 only; the number of requests is bounded by --runs.
 * BATON_BENCH_PROFILE_DIR=<dir> saves a CPU profile of the server process.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMicrosOf } from './cpu-meter.ts';
import { announce, startServerProcess } from './server-process.ts';

const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    runs: { type: 'string', default: '200' },
    'max-concurrent-tasks': { type: 'string', default: '32' },
    'delay-ms': { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    dir: { type: 'string' },
  },
});

/** The server side, in a child process so the load generator does not share its event loop. */
async function serve(): Promise<void> {
  const { createOrchestrator, SqliteRunStore } = await import('batonjs');
  const { createServer } = await import('batonjs-server');
  const { scriptedAgent } = await import('batonjs/testing');
  const dir = args.dir ?? mkdtempSync(path.join(os.tmpdir(), 'baton-http-load-'));
  const delayMs = Number(args['delay-ms']);
  const server = await createServer({
    orchestrator: ({ limiter }) =>
      createOrchestrator({
        name: 'load',
        agents: [
          scriptedAgent({ name: 'extract', produces: ['rows'], script: [{ output: { rows: [1, 2, 3] }, delayMs }] }),
          scriptedAgent({ name: 'analyze', consumes: ['rows'], produces: ['metrics'], script: [{ output: { metrics: { n: 3 } }, delayMs }] }),
          scriptedAgent({ name: 'report', consumes: ['metrics'], produces: ['report'], script: [{ output: { report: 'ok' }, delayMs }] }),
        ],
        store: new SqliteRunStore({ file: path.join(dir, 'baton.db') }),
        limiter,
      }),
    port: 0,
    dataDir: dir,
    maxConcurrentTasks: Number(args['max-concurrent-tasks']),
    telemetry: false,
  });
  announce(server);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function summary(ms: number[]): Record<string, number> {
  const s = [...ms].sort((a, b) => a - b);
  const r = (n: number): number => Math.round(n * 10) / 10;
  return { count: s.length, p50: r(percentile(s, 50)), p90: r(percentile(s, 90)), p99: r(percentile(s, 99)), max: r(s.at(-1) ?? NaN) };
}

async function timed<T>(into: number[], fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    into.push(performance.now() - t0);
  }
}

/**
 * True for the failure of a request sent on a kept-alive connection that the server had closed as
 * idle while this loaded client still took it for open: worth sending again once.
 */
function staleConnection(e: unknown): boolean {
  const code = ((e as { cause?: { code?: unknown } }).cause)?.code;
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET';
}

/** Follows a run's SSE stream to run.ended; returns its final status. */
async function follow(url: string, runId: string): Promise<string> {
  const res = await fetch(`${url}/v1/runs/${runId}/events`);
  if (!res.ok || !res.body) throw new Error(`events of ${runId}: HTTP ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let status = 'no run.ended';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const ended = /event: run\.ended\ndata: (.*)\n/.exec(buffer);
    if (ended?.[1]) status = (JSON.parse(ended[1]) as { status: string }).status;
    buffer = buffer.slice(Math.max(0, buffer.lastIndexOf('\n\n')));
  }
  return status;
}

async function load(): Promise<void> {
  const runs = Number(args.runs);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-http-load-'));
  // BATON_BENCH_PROFILE_DIR=<dir> writes a CPU profile of the server process there.
  const profile = process.env['BATON_BENCH_PROFILE_DIR'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BATON_BENCH_PROFILE_DIR']}`] : [];
  const server = await startServerProcess(import.meta.filename, ['--serve', '--dir', dir, '--max-concurrent-tasks', String(args['max-concurrent-tasks']), '--delay-ms', String(args['delay-ms'])], profile);
  const { url, child } = server;
  const postMs: number[] = [];
  const postHandlerMs: number[] = [];
  const getMs: number[] = [];
  const errors: string[] = [];
  let getRetries = 0;
  const statuses: Record<string, number> = {};
  try {
    for (let i = 0; i < Number(args.warmup); i++) {
      const res = await fetch(`${url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ goal: 'produce the report (warm-up)' }) });
      await follow(url, ((await res.json()) as { runId: string }).runId);
    }
    const started = performance.now();
    const serverCpuAtStart = cpuMicrosOf(child.pid!);
    const ids: string[] = [];
    let loading = true;
    // Reads made while the load runs: what a dashboard or a client polling sees.
    const poller = (async () => {
      while (loading) {
        const id = ids[Math.floor(Math.random() * ids.length)];
        if (id) {
          try {
            // Only a GET that got an answer is timed.
            const get = async (): Promise<Response> => {
              const t0 = performance.now();
              const res = await fetch(`${url}/v1/runs/${id}`);
              getMs.push(performance.now() - t0);
              return res;
            };
            const res = await get().catch((e: unknown) => {
              if (!staleConnection(e)) throw e;
              getRetries++;
              return get();
            });
            await res.arrayBuffer();
            if (!res.ok) errors.push(`GET ${id}: ${res.status}`);
          } catch (e) {
            errors.push(`GET ${id}: ${String((e as Error).cause ?? e)}`);
          }
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await Promise.all(
      Array.from({ length: runs }, async (_, i) => {
        let res: Response;
        try {
          res = await timed(postMs, () => fetch(`${url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ goal: `produce the report #${i}` }) }));
        } catch (e) {
          // Not sent again: the server may have taken it. Recorded, so the other runs' figures still come out.
          errors.push(`POST #${i}: ${String((e as Error).cause ?? e)}`);
          return;
        }
        const handler = /app;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1];
        if (handler) postHandlerMs.push(Number(handler));
        if (res.status !== 202) {
          errors.push(`POST #${i}: ${res.status} ${await res.text()}`);
          return;
        }
        const { runId } = (await res.json()) as { runId: string };
        ids.push(runId);
        const status = await follow(url, runId).catch((e: unknown) => `stream error: ${String(e)}`);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status !== 'succeeded') errors.push(`${runId}: ${status}`);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const serverCpuAtEnd = cpuMicrosOf(child.pid!);
    loading = false;
    await poller;
    // The server's run folders, journal and HTTP, with the poller's reads (one every ~10 ms, ~170
    // per 1,000 runs: about 1% of the figure). /proc counts in 10 ms ticks.
    const serverCpuMsPerRun = serverCpuAtStart === undefined || serverCpuAtEnd === undefined ? undefined : Math.round((serverCpuAtEnd - serverCpuAtStart) / runs) / 1000;
    const result = {
      bench: 'http-load',
      runs,
      warmupRuns: Number(args.warmup),
      tasksPerRun: 3,
      agentDelayMs: Number(args['delay-ms']),
      maxConcurrentTasks: Number(args['max-concurrent-tasks']),
      seconds: Math.round(seconds * 100) / 100,
      runsPerSecond: Math.round((runs / seconds) * 10) / 10,
      ...(serverCpuMsPerRun === undefined ? {} : { serverCpuMsPerRun }),
      statuses,
      errors: errors.length,
      postLatencyMs: summary(postMs),
      postHandlerMs: summary(postHandlerMs),
      getLatencyMs: summary(getMs),
      getRetries,
      node: process.version,
      cores: os.cpus().length,
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(
      `\n${runs} runs over HTTP in ${result.seconds} s: ${result.runsPerSecond} runs/s${serverCpuMsPerRun === undefined ? '' : ` (the server's CPU: ${serverCpuMsPerRun} ms per run)`}, ${errors.length} errors; POST /v1/runs p50 ${result.postLatencyMs['p50']} ms, p99 ${result.postLatencyMs['p99']} ms (in the handler: p99 ${result.postHandlerMs['p99']} ms); GET /v1/runs/:id p99 ${result.getLatencyMs['p99']} ms under load${getRetries ? ` (${getRetries} sent again on a connection the server had closed)` : ''}\n`,
    );
    for (const e of errors.slice(0, 10)) process.stdout.write(`  error: ${e}\n`);
    const resultsDir = path.join(import.meta.dirname, 'results');
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(path.join(resultsDir, 'http-load.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.exitCode = errors.length === 0 ? 0 : 1;
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args.serve) await serve();
else await load();
