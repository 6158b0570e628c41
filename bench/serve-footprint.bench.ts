/**
 * `node --import tsx bench/serve-footprint.bench.ts [times]`: what a `baton serve` of the sample
 * report holds once it has run one report, from the built dist/ (`npm run bench` builds it): the
 * processes and threads of its process tree and their resident memory (Linux, from /proc), 1 s
 * after one report asked over HTTP has ended (the memory its threads then give back over the next
 * ~15 s is not counted). Each time a fresh server (memory journal), after one unmeasured server
 * that fills tsx's cache (on a cold one, each thread that compiles TypeScript keeps an esbuild
 * process); medians. Agents that only stand by (a fallback) should start nothing: the sample's
 * command agent `data-replica` is one. The last line is the JSON of the figures.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BATON, distEnv, REPO } from './dist-cli.ts';
import { median } from './median.ts';

const times = Number(process.argv[2] ?? 3);
const manifest = path.join(REPO, 'examples/sales-report/baton.yaml');
const goal = 'Create a Q2 sales performance report with charts and an executive summary';

interface Footprint {
  processes: number;
  threads: number;
  rssMb: number;
}

/** `pid` and every process under it, from each process's list of children. */
function processTree(pid: number): number[] {
  const children = readdirSync(`/proc/${pid}/task`).flatMap((t) => {
    try {
      return readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
  return [pid, ...children.flatMap((c) => processTree(c))];
}

function statusField(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

/** Rejects once `ms` have passed, naming what was awaited: a server that never answers must not hang the bench. */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  const timer = sleep(ms, undefined, { ref: false }).then(() => Promise.reject(new Error(`${what}: nothing within ${ms / 1000} s`)));
  return Promise.race([work, timer]);
}

async function measureOnce(dir: string): Promise<Footprint> {
  const env = distEnv();
  // Its requests carry no token.
  delete env['BATON_API_TOKEN'];
  const child = spawn(process.execPath, [BATON, 'serve', '-m', manifest, '--store', 'memory', '--port', '0', '--data-dir', dir], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const listening = new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /serving .* at (http:\/\/\S+)\n/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`baton serve exited ${code}`)));
    });
    const url = await within(listening, 60_000, 'baton serve to listen');
    child.stdout.resume();
    const started = (await (await fetch(`${url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ goal }), signal: AbortSignal.timeout(10_000) })).json()) as { runId: string };
    const deadline = Date.now() + 300_000;
    for (;;) {
      const run = (await (await fetch(`${url}/v1/runs/${started.runId}`, { signal: AbortSignal.timeout(10_000) })).json()) as { status?: string };
      if (run.status === 'succeeded') break;
      if (run.status !== 'running') throw new Error(`the sample run ended ${run.status ?? `unknown: ${JSON.stringify(run)}`}`);
      if (Date.now() > deadline) throw new Error('the sample report did not end within 300 s');
      await sleep(100);
    }
    // What the run started and let go (Chromium for the PDF) is gone by now.
    await sleep(1000);
    const tree = processTree(child.pid!);
    return {
      processes: tree.length,
      threads: tree.reduce((n, pid) => n + statusField(pid, 'Threads'), 0),
      rssMb: Math.round(tree.reduce((kb, pid) => kb + statusField(pid, 'VmRSS'), 0) / 1024),
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'baton-serve-footprint-'));
try {
  await measureOnce(path.join(dir, 'warm-up'));
  const all: Footprint[] = [];
  for (let i = 0; i < times; i++) all.push(await measureOnce(path.join(dir, String(i))));
  const result = { case: 'serve-footprint', processes: median(all.map((f) => f.processes)), threads: median(all.map((f) => f.threads)), rssMb: median(all.map((f) => f.rssMb)) };
  process.stderr.write(`baton serve of the sample 1 s after one report: ${result.processes} process(es), ${result.threads} threads, ${result.rssMb} MB resident; medians of ${times}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
