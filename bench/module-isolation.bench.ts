/**
 * `node --import tsx bench/module-isolation.bench.ts [runs]`: what running module agents in worker
 * threads (`isolation: thread`, the default) costs and buys, against `isolation: none`.
 *
 * 1. The sample report (examples/sales-report), run `runs` times (default 5) per mode: the main
 *    thread's event-loop delay while it runs (what SSE clients and the API feel) and the wall time.
 * 2. The overhead per attempt of a trivial module agent (it echoes its input), warm, one attempt
 *    at a time and eight at a time.
 * 3. The bytes V8 promotes per attempt of that agent in a thread, 64 at a time.
 * Figures only; the last line is the JSON of all of them.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { createModuleAgent } from '../packages/core/src/agents/module-agent.ts';
import type { AgentInput, AgentSpec, Manifest } from '../packages/core/src/core/types.ts';
import { runAttempt } from '../packages/core/src/execution/attempt.ts';
import { loadManifest } from '../packages/core/src/manifest/index.ts';
import { Orchestrator } from '../packages/core/src/orchestrator.ts';
import { machineInfo } from './machine-info.ts';
import { measuredWindow, promotedIn } from './promoted.ts';

type Isolation = 'thread' | 'none';
const runs = Number(process.argv[2] ?? 5);
const GOAL = 'Create a Q2 sales performance report with charts and an executive summary';
const ms = (ns: number): number => Math.round(ns / 1e4) / 100;

function withIsolation(manifest: Manifest, isolation: Isolation): Manifest {
  const agents = Object.fromEntries(Object.entries(manifest.agents).map(([name, spec]) => [name, spec.kind === 'module' ? { ...spec, isolation } : spec]));
  return { ...manifest, agents };
}

async function sampleReport(isolation: Isolation, out: string): Promise<Record<string, number>> {
  const manifest = withIsolation(await loadManifest(path.resolve(import.meta.dirname, '../examples/sales-report/baton.yaml')), isolation);
  const orchestrator = new Orchestrator({ manifest, outDir: (runId) => path.join(out, runId) });
  // One run first: module loading (tsx, the database, the chart renderer) is not what is measured.
  await orchestrator.run(GOAL);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  for (let i = 0; i < runs; i++) {
    const result = await orchestrator.run(GOAL);
    if (result.status !== 'succeeded') throw new Error(`the sample report ${result.status}: ${result.reason ?? ''}`);
  }
  const wall = performance.now() - started;
  delay.disable();
  await orchestrator.close();
  return { msPerRun: Math.round(wall / runs), loopDelayP50Ms: ms(delay.percentile(50)), loopDelayP99Ms: ms(delay.percentile(99)), loopDelayMaxMs: ms(delay.max) };
}

async function overhead(isolation: Isolation, dir: string, parallel: number, attempts: number, marks?: { warm(): void; measured(): void }): Promise<number> {
  const spec: AgentSpec = {
    name: 'echo', description: 'echoes', version: '1', capabilities: [], consumes: [], produces: ['echo'], kind: 'module',
    module: path.join(dir, 'echo.mjs'), output: {}, fallback: [], isolation,
  };
  const agent = createModuleAgent(spec);
  const input: AgentInput = { runId: 'r_bench', goal: 'g', task: { id: 't1', title: 't', instructions: '' }, inputs: { rows: [1, 2, 3] }, params: {}, attempt: 1 };
  const one = async (): Promise<void> => {
    const outcome = await runAttempt({ agent, input, produces: ['echo'], timeoutMs: 30_000, controller: new AbortController() });
    if (outcome.status !== 'succeeded') throw new Error(`echo ${outcome.status}`);
  };
  // Warm: as many threads as will be used at once.
  await Promise.all(Array.from({ length: parallel }, one));
  marks?.warm();
  const started = performance.now();
  let left = attempts;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (left-- > 0) await one();
    }),
  );
  const usPerAttempt = ((performance.now() - started) * 1000) / attempts;
  marks?.measured();
  await agent.close?.();
  return Math.round(usPerAttempt);
}

/**
 * Bytes V8's minor GCs promote per attempt of a trivial module agent in a thread, 64 at a time,
 * from a child that prints each GC (`--trace-gc-nvp`): the attempts hold nothing past their end, so
 * this is memory kept past its use. The thread's Map of calls once kept every answered call, and
 * the attempt it held, through its old tables (3.7 KB per attempt here, 1.5 since; GC lines of the agent's thread included;
 * docs/performance.md, thirtieth pass).
 */
async function promotedPerAttempt(dir: string): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--trace-gc-nvp', '--import', 'tsx', import.meta.filename, 'promoted-child', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return Math.round(promotedIn(measuredWindow(stdout, 'promoted').lines).bytes / PROMOTED_ATTEMPTS);
}

const PROMOTED_ATTEMPTS = 20_000;

if (process.argv[2] === 'promoted-child') {
  await overhead('thread', process.argv[3]!, 64, PROMOTED_ATTEMPTS, { warm: () => process.stdout.write('measuring\n'), measured: () => process.stdout.write('measured\n') });
  process.exit(0);
}

const dir = mkdtempSync(path.join(tmpdir(), 'baton-isolation-bench-'));
writeFileSync(path.join(dir, 'echo.mjs'), 'export default (input) => ({ echo: input.inputs });\n');
const figures: Record<string, unknown> = { machine: machineInfo(), runs };
try {
  for (const isolation of ['none', 'thread'] as const) {
    figures[`sampleReport.${isolation}`] = await sampleReport(isolation, dir);
    figures[`usPerAttempt.${isolation}.sequential`] = await overhead(isolation, dir, 1, 500);
    figures[`usPerAttempt.${isolation}.parallel8`] = await overhead(isolation, dir, 8, 1_000);
  }
  figures['promotedPerAttemptB.thread.parallel64'] = await promotedPerAttempt(dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const m = figures['machine'] as ReturnType<typeof machineInfo>;
process.stdout.write(`module agent isolation — Node ${m.node}, ${m.cpu} × ${m.cores}, load ${JSON.stringify(m.loadAverage)}\n\n`);
process.stdout.write(`sample report, ${runs} runs per mode (main thread event-loop delay while it runs):\n`);
for (const isolation of ['none', 'thread']) {
  const r = figures[`sampleReport.${isolation}`] as Record<string, number>;
  process.stdout.write(`  isolation ${isolation.padEnd(6)}  ${r['msPerRun']} ms/run   loop delay p50 ${r['loopDelayP50Ms']} ms, p99 ${r['loopDelayP99Ms']} ms, max ${r['loopDelayMaxMs']} ms\n`);
}
process.stdout.write('\ntrivial module agent, µs per attempt (warm):\n');
for (const isolation of ['none', 'thread']) {
  process.stdout.write(`  isolation ${isolation.padEnd(6)}  one at a time ${String(figures[`usPerAttempt.${isolation}.sequential`])} µs   eight at a time ${String(figures[`usPerAttempt.${isolation}.parallel8`])} µs\n`);
}
process.stdout.write(`  promoted to the old generation per attempt, isolation thread, 64 at a time: ${String(figures['promotedPerAttemptB.thread.parallel64'])} B\n`);
process.stdout.write(`\n${JSON.stringify(figures)}\n`);
