import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/core/types.ts';
import { baton as runBaton } from './run-cli.ts';
import type { CliResult } from './run-cli.ts';

const root = path.resolve(import.meta.dirname, '../..');
const fixture = path.join(root, 'test/fixtures/cli');
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function paths(): { store: string; out: string; log: string } {
  n++;
  return { store: path.join(tmp, `j${n}.db`), out: path.join(tmp, `out${n}`), log: path.join(tmp, `calls${n}.log`) };
}

function baton(args: string[], env: Record<string, string> = {}, onSpawn?: (pid: number) => void): Promise<CliResult> {
  return runBaton(args, { cwd: fixture, env, ...(onSpawn ? { onSpawn } : {}) });
}

async function waitForLine(file: string, line: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (existsSync(file) && readFileSync(file, 'utf8').split('\n').includes(line)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`'${line}' never appeared in ${file}`);
}

const goal = 'shortlist of laptops';

describe('baton CLI', () => {
  it('runs a goal and prints the RunResult with --json (exit 0)', async () => {
    const p = paths();
    const r = await baton(['run', '--json', '--store', p.store, '--out', p.out, goal]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as RunResult;
    expect(result).toMatchObject({ goal, status: 'succeeded', planner: 'builtin', usage: { llmCalls: 0, inputTokens: 0, outputTokens: 0 } });
    expect(result.runId).toMatch(/^r_/);
    expect(result.plan.tasks.map((t) => t.id)).toEqual(['t1-fetch-prices', 't2-collect-reviews', 't3-combine-shortlist']);
    expect(result.tasks.every((t) => t.status === 'succeeded' && t.attempts.length === 1)).toBe(true);
    expect(result.deliverable.artifacts).toEqual({ shortlist: { items: ['a', 'b'], basedOn: ['prices', 'reviews'] } });
    expect(result.deliverable.provenance.shortlist).toMatchObject({ task: 't3-combine-shortlist', agent: 'shortlister', agentVersion: '0.3.0', attempt: 1 });
    expect(JSON.parse(readFileSync(path.join(p.out, 'run.json'), 'utf8'))).toEqual(result);
    expect(r.stderr).toMatch(/t3-combine-shortlist\s+shortlister\s+succeeded\s+1/);
  });

  it('exits 2 with a partial result when one branch fails and something useful is delivered', async () => {
    const p = paths();
    const r = await baton(['run', '--json', '--store', p.store, '--out', p.out, 'shortlist of laptops with prices'], { BEHAVE: '{"reviews":"fail"}' });
    expect(r.code).toBe(2);
    const result = JSON.parse(r.stdout) as RunResult;
    expect(result.status).toBe('partial');
    const reviews = result.tasks.find((t) => t.id === 't2-collect-reviews')!;
    expect(reviews.attempts.map((a) => a.status)).toEqual(['failed', 'failed']);
    expect(reviews.attempts[0]!.error).toMatch(/reviews source unavailable/);
    expect(result.tasks.find((t) => t.id === 't3-combine-shortlist')!.status).toBe('skipped');
    expect(Object.keys(result.deliverable.artifacts)).toEqual(['prices']);
  });

  it('exits 1 when nothing useful is delivered', async () => {
    const p = paths();
    const r = await baton(['run', '--json', '--store', p.store, '--out', p.out, goal], { BEHAVE: '{"shortlist":"fail"}' });
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as RunResult).status).toBe('failed');
  });

  it('exits 64 naming the file and field of a bad manifest', async () => {
    const bad = path.join(tmp, 'bad.yaml');
    writeFileSync(bad, readFileSync(path.join(fixture, 'baton.yaml'), 'utf8').replace('kind: module', 'kind: modul'));
    const r = await baton(['run', '-m', bad, goal]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('bad.yaml');
    expect(r.stderr).toContain('agents.shortlister.kind');
    const missing = await baton(['agents', 'check', '-m', path.join(tmp, 'nope.yaml')]);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('nope.yaml');
    const usage = await baton(['run']);
    expect(usage.code).toBe(64);
  });

  it('exits 64 for --out naming a file, before any run starts', async () => {
    const p = paths();
    const file = path.join(tmp, 'not-a-folder');
    writeFileSync(file, 'in the way');
    const r = await baton(['run', '--store', p.store, '--out', file, goal]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(`--out ${file}: a file is there; give a folder`);
    expect(existsSync(p.store)).toBe(false);
  });

  it('cancels on SIGINT: in-flight attempts aborted, run cancelled, exit 130', async () => {
    const p = paths();
    let pid = 0;
    const running = baton(['run', '--json', '--store', p.store, '--out', p.out, goal], { BEHAVE: '{"reviews":"hang"}', BATON_TEST_LOG: p.log }, (x) => (pid = x));
    await waitForLine(p.log, 'start reviews 1');
    process.kill(pid, 'SIGINT');
    const r = await running;
    expect(r.code).toBe(130);
    const result = JSON.parse(r.stdout) as RunResult;
    expect(result.status).toBe('cancelled');
    expect(result.tasks.find((t) => t.id === 't2-collect-reviews')!.status).toBe('cancelled');
    const shown = await baton(['runs', 'show', '--json', '--store', p.store, result.runId]);
    expect((JSON.parse(shown.stdout) as RunResult).status).toBe('cancelled');
  });

  it('resumes a SIGKILLed run without re-running tasks that had succeeded', async () => {
    const p = paths();
    let pid = 0;
    const env = { BEHAVE: '{"shortlist":"sleep:30000"}', BATON_TEST_LOG: p.log };
    const first = baton(['run', '--store', p.store, '--out', p.out, goal], env, (x) => (pid = x));
    await waitForLine(p.log, 'start shortlist 1');
    // Give the journal's per-tick batch time to reach SQLite, as it would in any real crash window.
    await new Promise((r) => setTimeout(r, 200));
    process.kill(pid, 'SIGKILL');
    expect((await first).code).toBe(null);

    const list = await baton(['runs', 'list', '--json', '--store', p.store]);
    const [run] = JSON.parse(list.stdout) as { runId: string; status: string }[];
    expect(run?.status).toBe('running');

    const resumed = await baton(['runs', 'resume', '--json', '--store', p.store, run!.runId], { BATON_TEST_LOG: p.log });
    expect(resumed.code).toBe(0);
    const result = JSON.parse(resumed.stdout) as RunResult;
    expect(result.status).toBe('succeeded');
    const calls = readFileSync(p.log, 'utf8').trim().split('\n');
    expect(calls.filter((l) => l.startsWith('start prices'))).toHaveLength(1);
    expect(calls.filter((l) => l.startsWith('start reviews'))).toHaveLength(1);
    const shortlist = result.tasks.find((t) => t.id === 't3-combine-shortlist')!;
    expect(shortlist.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(shortlist.attempts[0]!.error).toMatch(/interrupted/);
    const again = await baton(['runs', 'resume', '--store', p.store, run!.runId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already ended succeeded/);
  });

  it('plans without running, and shows the timeline of a run', async () => {
    const plan = await baton(['plan', '--json', 'just the prices']);
    expect(plan.code).toBe(0);
    const planned = JSON.parse(plan.stdout) as { plan: RunResult['plan'] };
    expect(planned.plan.tasks.map((t) => t.agent)).toEqual(['prices']);

    const p = paths();
    const run = await baton(['run', '--json', '--store', p.store, '--out', p.out, goal], { BEHAVE: '{"prices":"sleep:10"}' });
    const { runId } = JSON.parse(run.stdout) as RunResult;
    const shown = await baton(['runs', 'show', '--store', p.store, runId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/t1-fetch-prices succeeded/);
    expect(shown.stdout).toMatch(/#1 prices@1\.2\.0/);
  });

  it('exports run, task and attempt spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    const names: string[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] };
        for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) names.push(...ss.spans.map((x) => x.name));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    try {
      const p = paths();
      const url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      const r = await baton(['run', '--store', p.store, '--out', p.out, goal], { OTEL_EXPORTER_OTLP_ENDPOINT: url });
      expect(r.code).toBe(0);
      expect(names).toContain('baton.run');
      expect(names.filter((n) => n === 'baton.task')).toHaveLength(3);
      expect(names).toContain('invoke_agent shortlister');
    } finally {
      collector.close();
    }
  });
});
