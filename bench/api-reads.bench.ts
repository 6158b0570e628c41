/**
 * What a read of the HTTP API costs `baton serve`: the server's CPU (from /proc, Linux) per
 * `GET /v1/runs/:id` of an ended run, and per replay of its event stream
 * (`GET /v1/runs/:id/events`, read to its end), and per `POST /v1/runs` whose body is read,
 * parsed and checked and then refused (400: a goal of spaces, so no run starts), 8 requests in
 * flight on kept-alive connections; and per `GET /v1/runs/:id` of a running 1,500-task run that
 * another process executes on the same journal (this bench's own process), read from the journal
 * while its last 750 tasks end one by one (`elsewhereUsPerRequest`).
 * The server runs in its own process, on the built packages and a SQLite journal, so the client's
 * work is not counted. A dashboard reads a run several times a second, and every client that
 * follows a run opens its stream.
 *
 *   node --import tsx bench/api-reads.bench.ts [requests]
 *
 * BATON_BENCH_PROFILE_DIR=<dir> saves a CPU profile of the server process.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuMicrosOf } from './cpu-meter.ts';
import { announce, startServerProcess } from './server-process.ts';

const IN_FLIGHT = 8;

/** The server side, in a child process. */
async function serve(dir: string): Promise<void> {
  const { createOrchestrator, SqliteRunStore } = await import('batonjs');
  const { createServer } = await import('batonjs-server');
  const { scriptedAgent } = await import('batonjs/testing');
  const server = await createServer({
    orchestrator: ({ limiter }) =>
      createOrchestrator({
        name: 'reads',
        agents: [
          scriptedAgent({ name: 'extract', produces: ['rows'], script: [{ output: { rows: [1, 2, 3] } }] }),
          scriptedAgent({ name: 'analyze', consumes: ['rows'], produces: ['metrics'], script: [{ output: { metrics: { n: 3 } } }] }),
          scriptedAgent({ name: 'report', consumes: ['metrics'], produces: ['report'], script: [{ output: { report: 'ok' } }] }),
        ],
        store: new SqliteRunStore({ file: path.join(dir, 'baton.db') }),
        limiter,
      }),
    port: 0,
    host: '127.0.0.1',
    dataDir: dir,
    telemetry: false,
    // The run another process executes stays its: reads of it come from the journal.
    takeover: false,
  });
  announce(server);
}

/** One request on `agent`, its body read to the end; rejects on any status but `ok` (200 and 202 by default). */
function request(agent: http.Agent, url: string, method = 'GET', body?: string, ok: readonly number[] = [200, 202]): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, method, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => (ok.includes(res.statusCode ?? 0) ? resolve(text) : reject(new Error(`${method} ${url}: ${res.statusCode} ${text}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const ELSEWHERE_TASKS = 1500;

/**
 * A run of ELSEWHERE_TASKS tasks (layers of 100) executed by an orchestrator of this process on the
 * server's journal: the first half ends at once, the rest one task at a time every ~5 ms. Resolves
 * with its id once the second half has begun.
 */
async function runElsewhere(dir: string): Promise<{ runId: string; done: Promise<unknown>; close(): Promise<void> }> {
  const { createOrchestrator, defineAgent, SqliteRunStore } = await import('batonjs');
  let begun!: () => void;
  const secondHalf = new Promise<void>((resolve) => (begun = resolve));
  const agents = [
    defineAgent({ name: 'quick', description: 'ends at once', produces: ['q'], run: async () => ({ q: 1 }) }),
    defineAgent({
      name: 'slow',
      description: 'ends after 50 ms',
      produces: ['s'],
      run: async () => {
        begun();
        await new Promise((r) => setTimeout(r, 50));
        return { s: 1 };
      },
    }),
  ];
  const tasks = Array.from({ length: ELSEWHERE_TASKS }, (_, i) => ({ id: `t${i}`, agent: i < ELSEWHERE_TASKS / 2 ? 'quick' : 'slow', dependsOn: i >= 100 ? [`t${i - 100}`] : [] }));
  const o = createOrchestrator({ name: 'elsewhere', agents, store: new SqliteRunStore({ file: path.join(dir, 'baton.db') }), policy: { maxParallel: 10, runTimeoutMs: 600_000 } });
  const handle = o.start('a large run executed elsewhere', { plan: { tasks } });
  await secondHalf;
  return { runId: handle.runId, done: handle.result, close: () => o.close() };
}

/** The server's CPU per request, µs, over `count` calls of `send`, IN_FLIGHT at a time. */
async function cpuPerRequest(pid: number, send: () => Promise<unknown>, count: number): Promise<number> {
  const before = cpuMicrosOf(pid);
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < count) await send();
    }),
  );
  const after = cpuMicrosOf(pid);
  if (before === undefined || after === undefined) return NaN;
  return Math.round(((after - before) / count) * 10) / 10;
}

async function measure(requests: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-api-reads-'));
  // BATON_BENCH_PROFILE_DIR=<dir> writes a CPU profile of the server process there.
  const profile = process.env['BATON_BENCH_PROFILE_DIR'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BATON_BENCH_PROFILE_DIR']}`] : [];
  const server = await startServerProcess(import.meta.filename, ['--serve', dir], profile);
  const { url, child } = server;
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  try {
    const { runId } = JSON.parse(await request(agent, `${url}/v1/runs`, 'POST', JSON.stringify({ goal: 'produce the report' }))) as { runId: string };
    const stream = await request(agent, `${url}/v1/runs/${runId}/events`);
    if (!stream.includes('event: run.ended')) throw new Error(`the run's stream did not end with run.ended:\n${stream.slice(-300)}`);
    const getRun = (): Promise<string> => request(agent, `${url}/v1/runs/${runId}`);
    const replay = (): Promise<string> => request(agent, `${url}/v1/runs/${runId}/events`);
    // Read, parsed and checked, then refused (a goal of spaces): a POST's body without a run.
    const refusedBody = JSON.stringify({ goal: ' '.repeat(200), params: { quarter: 'Q2', region: 'EMEA' } });
    const refusedPost = (): Promise<string> => request(agent, `${url}/v1/runs`, 'POST', refusedBody, [400]);
    // Warm-up: the server's first requests of each kind run unoptimised code.
    await cpuPerRequest(child.pid!, getRun, requests / 2);
    await cpuPerRequest(child.pid!, replay, requests / 4);
    await cpuPerRequest(child.pid!, refusedPost, requests / 4);
    const getUsPerRequest = await cpuPerRequest(child.pid!, getRun, requests);
    const streamUsPerRequest = await cpuPerRequest(child.pid!, replay, requests / 2);
    const postUsPerRequest = await cpuPerRequest(child.pid!, refusedPost, requests / 2);
    const elsewhere = await runElsewhere(dir);
    let elsewhereUsPerRequest: number;
    try {
      const getElsewhere = (): Promise<string> => request(agent, `${url}/v1/runs/${elsewhere.runId}`);
      await cpuPerRequest(child.pid!, getElsewhere, 40);
      elsewhereUsPerRequest = await cpuPerRequest(child.pid!, getElsewhere, 200);
      const last = JSON.parse(await getElsewhere()) as { status: string };
      if (last.status !== 'running') throw new Error(`the run executed elsewhere was ${last.status} by the end of the reads: they did not all read a running run`);
      await elsewhere.done;
    } finally {
      await elsewhere.close();
    }
    const result = {
      bench: 'api-reads',
      case: 'ended run, 3 tasks',
      requests,
      inFlight: IN_FLIGHT,
      streamBytes: Buffer.byteLength(stream),
      getUsPerRequest,
      streamUsPerRequest,
      postUsPerRequest,
      elsewhereUsPerRequest,
      node: process.version,
    };
    process.stdout.write(
      `GET of a run: ${getUsPerRequest} µs of the server's CPU; a replay of its ${result.streamBytes} B event stream: ${streamUsPerRequest} µs; a POST of a run refused by its body's check: ${postUsPerRequest} µs; a GET of a running ${ELSEWHERE_TASKS}-task run another process executes: ${elsewhereUsPerRequest} µs\n`,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    agent.destroy();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') await serve(process.argv[3] ?? mkdtempSync(path.join(os.tmpdir(), 'baton-api-reads-')));
else await measure(Number(process.argv[2] ?? 20_000));
