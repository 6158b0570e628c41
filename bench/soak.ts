/**
 * `npm run soak [-- --runs 1000 --seed 1 --failure-rate 0.2 --cancel-rate 0.05 --mode in-process|distributed]`
 *
 * Runs the 12-task soak workflow many times with seeded misbehaving agents and prints what
 * happened, then the checks that must be zero: hung runs, agent processes left running, handles
 * left open, runs whose journal does not replay to their result. Exits 1 when a check fails.
 * The report is saved as JSON under bench/results/ with the machine's description.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { SoakMode } from './soak/faulty-agents.ts';
import { runSoak } from './soak/run-soak.ts';
import type { SoakReport } from './soak/run-soak.ts';
import { faultTable } from './soak/stats.ts';
import type { RunOutcome } from './soak/stats.ts';

const USAGE = `usage: npm run soak -- [options]
  --runs N            runs to make (default 1000)
  --seed N            seed of the fault injector and of cancellations (default 1)
  --failure-rate R    share of attempts that misbehave, 0..1 (default 0.2)
  --cancel-rate R     share of runs cancelled mid-flight, 0..1 (default 0.05)
  --mode M            in-process (default) or distributed (BullMQ workers; needs redis-server)
  --concurrency N     runs in flight at once (default 8)
  --task-timeout MS   each agent's timeout (default 2000; distributed: 5000)
  --workers N         worker processes in distributed mode (default 3)
  --keep              keep the workspace (manifest, journal.db) and print its path
  --json              print the report as JSON on stdout instead of the summary`;

function fail(message: string): never {
  process.stderr.write(`soak: ${message}\n${USAGE}\n`);
  process.exit(64);
}

function numberOption(value: string | undefined, name: string, fallback: number, check: (n: number) => boolean): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) fail(`--${name} ${value} is not valid`);
  return n;
}

function parse(): Parameters<typeof runSoak>[0] & { json: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        runs: { type: 'string' },
        seed: { type: 'string' },
        'failure-rate': { type: 'string' },
        'cancel-rate': { type: 'string' },
        mode: { type: 'string' },
        concurrency: { type: 'string' },
        'task-timeout': { type: 'string' },
        workers: { type: 'string' },
        keep: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const mode = (values.mode ?? 'in-process') as SoakMode;
  if (mode !== 'in-process' && mode !== 'distributed') fail(`--mode must be in-process or distributed, got ${values.mode}`);
  const int = (n: number): boolean => Number.isInteger(n) && n >= 1;
  const rate = (n: number): boolean => n >= 0 && n <= 1;
  return {
    runs: numberOption(values.runs, 'runs', 1000, int),
    seed: numberOption(values.seed, 'seed', 1, Number.isInteger),
    failureRate: numberOption(values['failure-rate'], 'failure-rate', 0.2, rate),
    cancelRate: numberOption(values['cancel-rate'], 'cancel-rate', 0.05, rate),
    mode,
    concurrency: numberOption(values.concurrency, 'concurrency', 8, int),
    taskTimeoutMs: numberOption(values['task-timeout'], 'task-timeout', mode === 'distributed' ? 5000 : 2000, int),
    workers: numberOption(values.workers, 'workers', 3, int),
    keep: values.keep ?? false,
    json: values.json ?? false,
    log: (line) => process.stderr.write(`${line}\n`),
  };
}

function summary(r: SoakReport): string {
  const t = r.tally;
  const o = r.options;
  const total = Object.values(t.attempts).reduce((a, b) => a + b, 0);
  const mean = (k: RunOutcome): string => (t.runs[k] === 0 ? '-' : (t.attemptsByRunOutcome[k] / t.runs[k]).toFixed(1));
  const m = r.machine;
  const lines = [
    `Baton soak — ${r.backend}, seed ${o.seed}, ${o.runs} runs of 12 tasks, failure rate ${o.failureRate}, cancel rate ${o.cancelRate}, ${o.concurrency} runs at once, task timeout ${o.taskTimeoutMs} ms`,
    `machine: Node ${m.node}, ${m.cpu} × ${m.cores}, load ${JSON.stringify(m.loadAverage)}`,
    '',
    `runs:             succeeded ${t.runs.succeeded}  partial ${t.runs.partial}  failed ${t.runs.failed}  cancelled ${t.runs.cancelled} (${t.cancelledBySoak} cancelled by the soak)`,
    `attempts:         ${total} — ${Object.entries(t.attempts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `attempts per run: succeeded ${mean('succeeded')}, partial ${mean('partial')}, failed ${mean('failed')}, cancelled ${mean('cancelled')} (12 without faults)`,
    `late answers:     ${r.lateAnswers.afterTimeout} after their timeout, ${r.lateAnswers.afterCancel} after their run was cancelled (all ignored)`,
    ...Object.entries(r.backendFigures).map(([k, v]) => `${`${k}:`.padEnd(18)}${v}`),
    '',
    faultTable(t),
    '',
    `runs hung:                  ${t.hung}`,
    `run results rejected:       ${t.rejected}`,
    `orphaned child processes:   ${r.orphanedProcesses.length}${r.orphanedProcesses.length ? ` (${r.orphanedProcesses.slice(0, 5).map((p) => `${p.pid} ${p.cmdline}`).join('; ')})` : ''}`,
    `open handles at the end:    ${r.openHandles.length}${r.openHandles.length ? ` (${r.openHandles.join(', ')})` : ''} (not counted: what was open before the soak began: ${Object.entries(r.baselineResources).map(([k, n]) => `${k} ${n}`).join(', ') || 'nothing'})`,
    `journal consistency:        ${r.journal.consistent}/${r.journal.checked} runs replay to their stored RunResult`,
    ...r.journal.problems.slice(0, 10).map((p) => `  ${p}`),
    '',
    `wall ${(r.wallMs / 1000).toFixed(1)} s, ${r.runsPerSec.toFixed(1)} runs/s, peak RSS ${r.peakRssMb.toFixed(0)} MB, event loop delay p50 ${r.eventLoopDelayMs.p50} ms, p99 ${r.eventLoopDelayMs.p99} ms, max ${r.eventLoopDelayMs.max} ms`,
    r.workspace ? `workspace kept: ${r.workspace}` : '',
    r.failures.length === 0 ? 'SOAK HELD: every check is zero' : `SOAK FAILED: ${r.failures.join('; ')}`,
  ];
  return lines.filter((l, i, all) => l !== '' || all[i - 1] !== '').join('\n');
}

const options = parse();
const report = await runSoak(options);
const dir = path.join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `soak-${options.mode}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), ...report }, null, 2)}\n`);
process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : `\n${summary(report)}\nsaved ${path.relative(process.cwd(), file)}\n`);
process.exitCode = report.failures.length === 0 ? 0 : 1;
if (report.tally.hung > 0) process.exit(1);
