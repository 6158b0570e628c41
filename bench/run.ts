/**
 * `npm run bench`: runs every benchmark case in its own process (so peak memory is the case's
 * own), prints one table with the machine and Node version, and saves the figures as JSON under
 * bench/results/ so runs can be compared over time. Figures only: nothing here passes or fails.
 *
 * The scheduler and journal cases import `batonjs`, which `npm run bench` builds first and this
 * resolves to its dist/, the code users run. Through tsx the sources are another program: tsx
 * compiles with esbuild's keepNames, which wraps every arrow function made per attempt (the
 * attempt's four handlers among them) in an `Object.defineProperty` call: W1's settled p50 was
 * 90-95 µs through tsx against 59-62 from dist/ (three alternated pairs, one machine).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { machineInfo } from './machine-info.ts';

interface Case {
  suite: string;
  script: string;
  args: string[];
  /** Runs Baton's TypeScript sources (through tsx) instead of the built package. */
  source?: boolean;
}

const here = import.meta.dirname;
const only = process.argv[2];

// W1-W4 are the shapes of the side-by-side harness (docs/performance.md), so a regression shows here.
const scheduler: Case[] = ['W1', 'W2', 'W3', 'W4', 'tasks-10000'].flatMap((c) =>
  ['memory', 'sqlite'].map((store) => ({ suite: 'scheduler', script: 'scheduler.bench.ts', args: [c, store] })),
);
const extra: Case[] = [
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['W1-settled', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['W1-settled-kept10', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['W2-settled', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['W2-copies', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['W3-settled', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['followed', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['kept', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['inflight', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['promoted', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['promoted-kept', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['promoted-pool', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['deopts', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['tasks-20000', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['join-10000', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['join-20000', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['pairs-10000', 'memory'] },
  { suite: 'scheduler', script: 'scheduler.bench.ts', args: ['integrated-10000', 'memory'] },
  { suite: 'journal', script: 'sqlite-journal.bench.ts', args: ['3000'] },
  { suite: 'journal', script: 'postgres-journal.bench.ts', args: ['2000'] },
  { suite: 'a2a', script: 'a2a-task-store.bench.ts', args: [] },
  { suite: 'cli', script: 'cli-start.bench.ts', args: ['7'] },
  { suite: 'cli', script: 'package-import.bench.ts', args: ['7'] },
  { suite: 'sample-report', script: 'sample-report.bench.ts', args: ['3'] },
  { suite: 'sample-report', script: 'serve-footprint.bench.ts', args: ['3'] },
  { suite: 'run-folder', script: 'run-folder.bench.ts', args: [] },
  { suite: 'dashboard', script: 'dashboard.bench.ts', args: ['1500'] },
  { suite: 'api', script: 'api-reads.bench.ts', args: [] },
  { suite: 'large-artifact', script: 'large-artifact.bench.ts', args: ['20000'] },
  { suite: 'command-agent', script: 'command-agent.bench.ts', args: ['0'] },
  { suite: 'command-agent', script: 'command-agent.bench.ts', args: ['1000'] },
  // Milliseconds of simulated model calls, not µs of scheduling: these stay on the sources.
  { suite: 'llm-workflow', script: 'llm-workflow.bench.ts', args: ['builtin'], source: true },
  { suite: 'llm-workflow', script: 'llm-workflow.bench.ts', args: ['llm'], source: true },
];

const cases = [...scheduler, ...extra].filter((c) => !only || c.suite === only || c.args[0] === only);


const results: Record<string, unknown>[] = [];
for (const c of cases) {
  process.stderr.write(`running ${c.suite} ${c.args.join(' ')}...\n`);
  try {
    const conditions = c.source ? ['--conditions=batonjs-source'] : [];
    const out = execFileSync(process.execPath, ['--expose-gc', ...conditions, '--import', 'tsx', path.join(here, c.script), ...c.args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const line = out.trim().split('\n').pop() ?? '{}';
    results.push({ suite: c.suite, ...(JSON.parse(line) as Record<string, unknown>) });
  } catch (e) {
    results.push({ suite: c.suite, case: c.args.join(' '), error: (e as Error).message.split('\n')[0] });
  }
}

const fmt = (v: unknown): string => (typeof v === 'number' ? (Number.isInteger(v) || Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)) : String(v ?? ''));
const columns = ['suite', 'case', 'store', 'planner', 'parent', 'usPerRun', 'sysUsPerRun', 'wallUsPerRun', 'noFolderUsPerRun', 'folderUsPerRun', 'p50Us', 'p99Us', 'gcShare', 'slowestGcShare', 'cpuWaitShare', 'helperCpuShare', 'windowUsPerRun', 'windowP50Us', 'unfollowedP50Us', 'filteringP50Us', 'filteringUsPerRun', 'usPerStep', 'p50UsPerStep', 'windowUsPerStep', 'usPerTask', 'msPerRun', 'windowMsPerRun', 'faultsPerRun', 'windowFaultsPerRun', 'maxLoopGapMs', 'readsPerSec', 'readKBPerSec', 'processCpuShare', 'busyShare', 'longestTaskMs', 'clickMs', 'getUsPerRequest', 'streamUsPerRequest', 'postUsPerRequest', 'elsewhereUsPerRequest', 'deltaAllUsPerRequest', 'deltaChangedUsPerRequest', 'runsPerSec', 'peakRssMb', 'processes', 'threads', 'rssMb', 'youngGenMb', 'keptPerRunB', 'inflightPerRunB', 'promotedPerRunB', 'promotedPerTaskB1000', 'promotedPerTaskB100', 'usPerTask1000', 'usPerTask100', 'dependencyDeopts', 'deoptimised', 'statementsPerRun', 'ownerBeatsPerRun', 'burstOwnerBeatsPerRun', 'cpuUsPerRun', 'usPerCreateRun', 'usPerRunAppends', 'walPagesPerRun', 'longestHoldMs', 'holdsOver1msPer1000Runs', 'wallMs', 'versionMs', 'runsListMs', 'runMs', 'fastestRunMs', 'hostProcesses', 'passMs', 'startMs', 'firstTaskMs', 'tasksMs', 'integrationMs', 'criticalPathMs', 'overheadMs', 'llmCalls', 'mainMsPerRun', 'longestTurnMs', 'error'];
const used = columns.filter((col) => results.some((r) => r[col] !== undefined));
const rows = results.map((r) => used.map((col) => fmt(r[col])));
const widths = used.map((col, i) => Math.max(col.length, ...rows.map((r) => r[i]!.length)));
const m = machineInfo();
process.stdout.write(`\nBaton benchmarks — Node ${String(m.node)}, ${String(m.cpu)} × ${String(m.cores)}, ${String(m.memoryGb)} GB, load ${JSON.stringify(m.loadAverage)}\n\n`);
process.stdout.write(`${used.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);

const dir = path.join(here, 'results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify({ machine: m, at: new Date().toISOString(), results }, null, 2)}\n`);
process.stdout.write(`\nsaved ${path.relative(process.cwd(), file)}\n`);
