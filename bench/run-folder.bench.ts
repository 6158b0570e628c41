/**
 * What a run's folder costs: the out folder `baton run` and `baton serve` give every run, where the
 * run writes `run.json` and the default integrator `deliverable.md` and `deliverable.json`. The
 * harness's runs have none, so no other case counts it.
 *
 *   node --import tsx bench/run-folder.bench.ts [folder parent]
 *
 * A chain of three no-op tasks (the shape of bench/http-load.bench.ts), memory journal, 50 runs at
 * a time; blocks with a folder per run alternated with blocks without one, in one process after a
 * warm-up of both. Prints the CPU (user and system, this process and its thread pool) and wall time
 * per run of each, and what the folder adds.
 *
 * The folders go to /dev/shm where there is one (RAM), else to the OS's temp folder: a disk's own
 * cost moves from minute to minute and would hide a change of Baton's (on an ext4 disk of a 2-vCPU
 * microVM, 0.14-2.6 ms of system time per run, against 0.1-0.25 ms on /dev/shm: docs/performance.md,
 * thirty-second pass). Name a folder on a disk to measure that disk.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createOrchestrator, defineAgent, MemoryRunStore, StaticPlanner } from 'batonjs';
import type { Orchestrator, PlanTask } from 'batonjs';
import { median } from './median.ts';

const parent = process.argv[2] ?? (statSync('/dev/shm', { throwIfNoEntry: false })?.isDirectory() ? '/dev/shm' : tmpdir());
const dir = mkdtempSync(path.join(parent, 'baton-run-folder-'));
const AT_ONCE = 50;
const BLOCK = 500;
const BLOCKS = 6;

const task = (id: string, dependsOn: string[], consumes: string[], produces: string[]): PlanTask => ({ id, title: id, instructions: '', agent: id, dependsOn, consumes, produces });

function orchestrator(outDir: ((runId: string) => string) | undefined): Orchestrator {
  return createOrchestrator({
    name: 'run-folder',
    agents: [
      defineAgent({ name: 'extract', description: 'rows', produces: ['rows'], run: async () => ({ rows: [1, 2, 3] }) }),
      defineAgent({ name: 'analyze', description: 'metrics', consumes: ['rows'], produces: ['metrics'], run: async () => ({ metrics: { n: 3 } }) }),
      defineAgent({ name: 'report', description: 'report', consumes: ['metrics'], produces: ['report'], run: async () => ({ report: 'ok' }) }),
    ],
    planner: new StaticPlanner({ tasks: [task('extract', [], [], ['rows']), task('analyze', ['extract'], ['rows'], ['metrics']), task('report', ['analyze'], ['metrics'], ['report'])], requested: ['report'] }),
    store: new MemoryRunStore(),
    ...(outDir ? { outDir } : {}),
  });
}

interface Block {
  cpuUs: number;
  sysUs: number;
  wallUs: number;
}

/** `runs` runs, AT_ONCE at a time: CPU, system CPU and wall µs per run. */
async function block(o: Orchestrator, runs: number): Promise<Block> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < runs; i += AT_ONCE) {
    const results = await Promise.all(Array.from({ length: Math.min(AT_ONCE, runs - i) }, () => o.run('bench')));
    for (const r of results) if (r.status !== 'succeeded') throw new Error(`run ${r.runId} ended ${r.status}: ${r.reason ?? ''}`);
  }
  const wallUs = ((performance.now() - t0) * 1000) / runs;
  const cpu = process.cpuUsage(cpu0);
  return { cpuUs: (cpu.user + cpu.system) / runs, sysUs: cpu.system / runs, wallUs };
}

const withFolder = orchestrator((runId) => path.join(dir, 'runs', runId));
const without = orchestrator(undefined);
try {
  await block(withFolder, BLOCK);
  await block(without, BLOCK);
  const folder: Block[] = [];
  const none: Block[] = [];
  for (let i = 0; i < BLOCKS; i++) {
    // Each way first in turn: later blocks of a process run faster.
    if (i % 2 === 0) folder.push(await block(withFolder, BLOCK));
    none.push(await block(without, BLOCK));
    if (i % 2 === 1) folder.push(await block(withFolder, BLOCK));
  }
  const m = (blocks: Block[], key: keyof Block): number => median(blocks.map((b) => b[key]));
  process.stdout.write(
    `${JSON.stringify({
      case: 'run-folder',
      parent,
      usPerRun: m(folder, 'cpuUs'),
      sysUsPerRun: m(folder, 'sysUs'),
      wallUsPerRun: m(folder, 'wallUs'),
      noFolderUsPerRun: m(none, 'cpuUs'),
      folderUsPerRun: m(folder, 'cpuUs') - m(none, 'cpuUs'),
    })}\n`,
  );
} finally {
  await withFolder.close();
  await without.close();
  rmSync(dir, { recursive: true, force: true });
}
