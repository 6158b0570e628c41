/**
 * What a read of the HTTP API costs `baton serve`: the server's CPU (from /proc, Linux) per
 * `GET /v1/runs/:id` of an ended run, and per replay of its event stream
 * (`GET /v1/runs/:id/events`, read to its end), and per `POST /v1/runs` whose body is read,
 * parsed and checked and then refused (400: a goal of spaces, so no run starts), 8 requests in
 * flight on kept-alive connections; and per `GET /v1/runs/:id` of a running 1,500-task run that
 * another process executes on the same journal (this bench's own process), read from the journal
 * while its last 750 tasks end one by one (`elsewhereUsPerRequest`); and per read of what changed
 * (`?since=`, one after another, each since the one before, as a run page reads) in a run whose
 * one task has failed POLL_ATTEMPTS times and goes on failing every 2 ms, sending the task's every
 * attempt (`deltaAllUsPerRequest`) or only those changed since (`attempts=changed`,
 * `deltaChangedUsPerRequest`), less that run's own work (its CPU while no read comes).
 * The server runs in its own process, on the built packages and a SQLite journal, so the client's
 * work is not counted. A dashboard reads a run several times a second, and every client that
 * follows a run opens its stream.
 *
 *   node --import tsx bench/api-reads.bench.ts [requests]
 *
 * BATON_BENCH_PROFILE_DIR=<dir> saves a CPU profile of each server process.
 */
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuMicrosOf } from './cpu-meter.ts';
import { announce, startServerProcess } from './server-process.ts';

const IN_FLIGHT = 8;

/**
 * The server side, in a child process: its agents make the report, or (`polling`, a server of its
 * own so that the report's run is as it was) fail every attempt, 2 ms apart.
 */
async function serve(dir: string, polling: boolean): Promise<void> {
  const { createOrchestrator, SqliteRunStore } = await import('batonjs');
  const { createServer } = await import('batonjs-server');
  const { scriptedAgent } = await import('batonjs/testing');
  const server = await createServer({
    orchestrator: ({ limiter }) =>
      createOrchestrator({
        name: 'reads',
        agents: polling
          ? [scriptedAgent({ name: 'poll', produces: ['status'], retries: 1_000_000, script: [{ throw: 'not yet' }] })]
          : [
              scriptedAgent({ name: 'extract', produces: ['rows'], script: [{ output: { rows: [1, 2, 3] } }] }),
              scriptedAgent({ name: 'analyze', consumes: ['rows'], produces: ['metrics'], script: [{ output: { metrics: { n: 3 } } }] }),
              scriptedAgent({ name: 'report', consumes: ['metrics'], produces: ['report'], script: [{ output: { report: 'ok' } }] }),
            ],
        ...(polling ? { policy: { backoff: { initialDelayMs: 2, factor: 1, maxDelayMs: 2, jitter: 0 }, runTimeoutMs: 600_000 } } : {}),
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
  return answer(agent, url, method, body, ok).then((a) => a.text);
}

/** {@link request}'s answer with its headers. */
function answer(agent: http.Agent, url: string, method = 'GET', body?: string, ok: readonly number[] = [200, 202]): Promise<{ text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, method, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => (ok.includes(res.statusCode ?? 0) ? resolve({ text, headers: res.headers }) : reject(new Error(`${method} ${url}: ${res.statusCode} ${text}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const POLL_ATTEMPTS = 4_000;
const DELTA_READS = 200;

/** The server's CPU (µs) per ms while no request comes: the polling run's own work, taken off what its reads measure. */
async function idleCpuPerMs(pid: number): Promise<number> {
  const before = cpuMicrosOf(pid);
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const after = cpuMicrosOf(pid);
  return before === undefined || after === undefined ? NaN : (after - before) / (performance.now() - start);
}

/**
 * The server's CPU per read of what changed (µs; less `idlePerMs` for the time the reads took) and
 * the mean size of its body (bytes), over DELTA_READS reads of run `runId` one after another, each
 * since the one before, sending a changed task's `attempts` (`all` or `changed`).
 */
async function deltaReads(agent: http.Agent, url: string, pid: number, runId: string, attempts: 'all' | 'changed', idlePerMs: number): Promise<{ us: number; bytes: number }> {
  const seqOf = (headers: http.IncomingHttpHeaders): number => Number(headers['baton-seq']);
  let seq = seqOf((await answer(agent, `${url}/v1/runs/${runId}`)).headers);
  let bytes = 0;
  const before = cpuMicrosOf(pid);
  const start = performance.now();
  for (let i = 0; i < DELTA_READS; i++) {
    const read = await answer(agent, `${url}/v1/runs/${runId}?since=${seq}&attempts=${attempts}`);
    if (read.headers['baton-delta'] === undefined) throw new Error(`a read since ${seq} was answered whole`);
    seq = seqOf(read.headers);
    bytes += read.text.length;
  }
  const after = cpuMicrosOf(pid);
  const spent = before === undefined || after === undefined ? NaN : after - before - idlePerMs * (performance.now() - start);
  return { us: Math.round((spent / DELTA_READS) * 10) / 10, bytes: Math.round(bytes / DELTA_READS) };
}

/** A run of one task that fails every attempt, 2 ms apart, once it has failed POLL_ATTEMPTS times. */
async function pollingRun(agent: http.Agent, url: string): Promise<string> {
  const created = await request(agent, `${url}/v1/runs`, 'POST', JSON.stringify({ goal: 'poll until cancelled', plan: { tasks: [{ id: 'poll', agent: 'poll' }] } }));
  const { runId } = JSON.parse(created) as { runId: string };
  for (;;) {
    const run = JSON.parse(await request(agent, `${url}/v1/runs/${runId}`)) as { status: string; tasks: { attempts: unknown[] }[] };
    if (run.status !== 'running') throw new Error(`the polling run was ${run.status}`);
    if ((run.tasks[0]?.attempts.length ?? 0) >= POLL_ATTEMPTS) return runId;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
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

/** {@link deltaReads} of both kinds, after a round of each to warm up, on a server of its own ({@link serve}'s `polling`). */
async function measureDeltaReads(agent: http.Agent, dir: string, profile: readonly string[]): Promise<Record<'all' | 'changed', { us: number; bytes: number }>> {
  const own = path.join(dir, 'polling');
  mkdirSync(own);
  const server = await startServerProcess(import.meta.filename, ['--serve-polling', own], profile);
  try {
    const runId = await pollingRun(agent, server.url);
    const pid = server.child.pid!;
    const idle = await idleCpuPerMs(pid);
    await deltaReads(agent, server.url, pid, runId, 'all', idle);
    const all = await deltaReads(agent, server.url, pid, runId, 'all', idle);
    await deltaReads(agent, server.url, pid, runId, 'changed', idle);
    const changed = await deltaReads(agent, server.url, pid, runId, 'changed', idle);
    await request(agent, `${server.url}/v1/runs/${runId}/cancel`, 'POST');
    return { all, changed };
  } finally {
    await server.stop();
  }
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
    const { all, changed } = await measureDeltaReads(agent, dir, profile);
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
      pollAttempts: POLL_ATTEMPTS,
      deltaAllUsPerRequest: all.us,
      deltaAllBytes: all.bytes,
      deltaChangedUsPerRequest: changed.us,
      deltaChangedBytes: changed.bytes,
      node: process.version,
    };
    process.stdout.write(
      `GET of a run: ${getUsPerRequest} µs of the server's CPU; a replay of its ${result.streamBytes} B event stream: ${streamUsPerRequest} µs; a POST of a run refused by its body's check: ${postUsPerRequest} µs; a GET of a running ${ELSEWHERE_TASKS}-task run another process executes: ${elsewhereUsPerRequest} µs; a read of what changed in a run whose task has failed ${POLL_ATTEMPTS}+ times: ${all.us} µs and ${all.bytes} B with every attempt, ${changed.us} µs and ${changed.bytes} B with those changed\n`,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    agent.destroy();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve' || process.argv[2] === '--serve-polling') await serve(process.argv[3] ?? mkdtempSync(path.join(os.tmpdir(), 'baton-api-reads-')), process.argv[2] === '--serve-polling');
else await measure(Number(process.argv[2] ?? 20_000));
