/**
 * One soak: many runs of the 12-task workflow, some at once, with seeded misbehaving agents and
 * some runs cancelled mid-flight; then the checks that must all come out zero (hung runs,
 * leftover processes, open handles, journal inconsistencies).
 */
import { rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import type { AgentRegistry } from '../../packages/core/src/agents/registry.ts';
import type { RunResult } from '../../packages/core/src/core/types.ts';
import { loadManifest } from '../../packages/core/src/manifest/index.ts';
import { Orchestrator } from '../../packages/core/src/orchestrator.ts';
import { SqliteRunStore } from '../../packages/core/src/store/index.ts';
import { roll } from '../../packages/core/src/testing/fault-injector.ts';
import { machineInfo, rssSampler } from '../machine-info.ts';
import type { MachineInfo } from '../machine-info.ts';
import { faultyRegistry, injectorsOf } from './faulty-agents.ts';
import type { FaultConfig, SoakMode } from './faulty-agents.ts';
import { checkRun } from './journal-check.ts';
import { killProcesses, processesWithMarker, waitForNoProcesses } from './processes.ts';
import type { FoundProcess } from './processes.ts';
import { emptyTally, tallyRun } from './stats.ts';
import type { SoakTally } from './stats.ts';
import { createWorkspace, SOAK_AGENTS, SOAK_TASKS } from './workspace.ts';
import type { Workspace } from './workspace.ts';

export interface SoakOptions {
  runs: number;
  seed: number;
  /** Share of attempts that misbehave. */
  failureRate: number;
  /** Share of runs cancelled at a random moment. */
  cancelRate: number;
  mode: SoakMode;
  /** Runs in flight at once. */
  concurrency: number;
  taskTimeoutMs: number;
  /** Worker processes (distributed mode). */
  workers: number;
  /** Keep the workspace (journal, manifest) for inspection. */
  keep: boolean;
  log: (line: string) => void;
}

/** Where attempts run: here, or on BullMQ workers. */
export interface Backend {
  /** The registry the orchestrator builds agents with. */
  registry: AgentRegistry;
  description: string;
  /** Figures the backend has to add (e.g. workers restarted). */
  figures(): Record<string, number>;
  close(): Promise<void>;
}

export interface SoakReport {
  options: Omit<SoakOptions, 'log'>;
  machine: MachineInfo;
  backend: string;
  workspace?: string;
  tally: SoakTally;
  /** `late` attempts: answers that came after the orchestrator gave up on them (timeout or cancel), all ignored. */
  lateAnswers: { afterTimeout: number; afterCancel: number; acceptedInTime: number };
  orphanedProcesses: FoundProcess[];
  /** Resources (libuv handles and requests) still active after everything was closed, beyond those open at the start. */
  openHandles: string[];
  /** What was open at the start and is not counted (the process's own stdout/stderr, the TypeScript loader's port...). */
  baselineResources: Record<string, number>;
  journal: { checked: number; consistent: number; problems: string[] };
  backendFigures: Record<string, number>;
  wallMs: number;
  runsPerSec: number;
  /** How late the event loop ran (ms): every timeout fires this late too, so a busy loop makes spurious timeouts. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  peakRssMb: number;
  /** The checks that failed; empty when the soak holds. */
  failures: string[];
}

const GOAL = 'run the soak workflow';
/** Past the run timeout, a run that has not ended is counted as hung. */
const HUNG_MARGIN_MS = 10_000;
/** How long killed agent processes (2 s kill grace) and late agents get to finish before counting leftovers. */
const SETTLE_MS = 5_000;

/** Active libuv resources, by kind. */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** Resources active now that were not at the baseline (a multiset difference). */
function newResources(baseline: Map<string, number>): string[] {
  const extra: string[] = [];
  for (const [kind, n] of activeResources()) for (let i = baseline.get(kind) ?? 0; i < n; i++) extra.push(kind);
  return extra;
}

async function settleHandles(baseline: Map<string, number>, withinMs: number): Promise<string[]> {
  const until = Date.now() + withinMs;
  for (;;) {
    const extra = newResources(baseline);
    if (extra.length === 0 || Date.now() >= until) return extra;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function openBackend(mode: SoakMode, config: FaultConfig, ws: Workspace, workers: number, log: (line: string) => void): Promise<Backend> {
  if (mode === 'in-process') {
    return { registry: faultyRegistry(config), description: 'in-process', figures: () => ({}), close: async () => undefined };
  }
  const { startDistributed } = await import('./distributed.ts');
  return startDistributed({ config, workspace: ws, workers, log });
}

/** Runs a soak and returns its report (nothing is printed but progress lines through `log`). */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { log } = options;
  // stdout and stderr are opened on first use; open them before taking the baseline.
  void process.stdout.writable;
  void process.stderr.writable;
  const baseline = activeResources();
  const machine = machineInfo();
  const rss = rssSampler();
  const runTimeoutMs = 30_000;
  const ws = createWorkspace(options.seed, { maxParallel: 4, retries: 2, taskTimeoutMs: options.taskTimeoutMs, runTimeoutMs });
  const config: FaultConfig = { seed: options.seed, rate: options.failureRate, mode: options.mode, taskTimeoutMs: options.taskTimeoutMs, stateDir: path.join(ws.dir, 'state') };
  // Agent processes live in their own process groups: on Ctrl-C, take them down with the soak.
  const onInterrupt = (): void => {
    killProcesses(processesWithMarker(ws.marker));
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  const manifest = await loadManifest(ws.manifestFile);
  const store = new SqliteRunStore({ file: path.join(ws.dir, 'journal.db') });
  const backend = await openBackend(options.mode, config, ws, options.workers, log);
  const orchestrator = new Orchestrator({ manifest, store, registry: backend.registry });
  const planned = await orchestrator.plan(GOAL);
  if (planned.plan.tasks.length !== SOAK_TASKS) throw new Error(`the soak plan has ${planned.plan.tasks.length} tasks, expected ${SOAK_TASKS}`);

  const injectors = injectorsOf(config);
  const kindOf = new Map(SOAK_AGENTS.map((a) => [a.name, a.kind]));
  const faultOf = (key: string, agent: string): string => (kindOf.get(agent) === 'command' ? injectors.command : injectors.module).peek(key);
  const tally = emptyTally();
  const journal = { checked: 0, consistent: 0, problems: [] as string[] };
  const hung: string[] = [];
  const checks: Promise<void>[] = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const started = performance.now();
  let next = 0;
  let done = 0;

  const oneRun = async (i: number): Promise<void> => {
    const runId = `soak-${options.seed}-${i}`;
    const handle = orchestrator.start(GOAL, { runId });
    const cancelAt = roll(options.seed, `cancel?:${i}`) < options.cancelRate ? roll(options.seed, `cancel-at:${i}`) * 4 * options.taskTimeoutMs : undefined;
    const cancelTimer = cancelAt === undefined ? undefined : setTimeout(() => handle.cancel('soak: cancelled mid-flight'), cancelAt);
    if (cancelAt !== undefined) tally.cancelledBySoak++;
    let watchdog: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'hung'>((resolve) => {
      watchdog = setTimeout(() => resolve('hung'), runTimeoutMs + HUNG_MARGIN_MS);
    });
    let outcome: RunResult | 'hung';
    try {
      outcome = await Promise.race([handle.result, timedOut]);
    } catch (e) {
      tally.rejected++;
      journal.problems.push(`${runId}: the result promise rejected: ${(e as Error).message}`);
      return;
    } finally {
      clearTimeout(watchdog);
      clearTimeout(cancelTimer);
    }
    if (outcome === 'hung') {
      tally.hung++;
      hung.push(runId);
      return;
    }
    tallyRun(tally, outcome, faultOf);
    const result = outcome;
    checks.push(
      checkRun(store, result).then((problems) => {
        journal.checked++;
        if (problems.length === 0) journal.consistent++;
        else journal.problems.push(...problems.map((p) => `${result.runId}: ${p}`));
      }),
    );
    done++;
    if (done % Math.max(1, Math.round(options.runs / 20)) === 0) {
      const r = tally.runs;
      log(`soak: ${done}/${options.runs} runs — succeeded ${r.succeeded}, partial ${r.partial}, failed ${r.failed}, cancelled ${r.cancelled}`);
    }
  };

  const lane = async (): Promise<void> => {
    while (next < options.runs) await oneRun(next++);
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.runs) }, lane));
  await Promise.all(checks);
  const wallMs = performance.now() - started;
  loopDelay.disable();
  const ms = (ns: number): number => Math.round(ns / 1e5) / 10;
  const eventLoopDelayMs = { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) };

  if (hung.length === 0) await orchestrator.close();
  const backendFigures = backend.figures();
  await backend.close();
  const orphans = await waitForNoProcesses(ws.marker, SETTLE_MS);
  killProcesses(orphans);
  process.off('SIGINT', onInterrupt);
  rss.stop();
  const peakRssMb = rss.peakMb();
  const openHandles = hung.length === 0 ? await settleHandles(baseline, SETTLE_MS) : ['(not counted: some runs hung)'];
  if (!options.keep) rmSync(ws.dir, { recursive: true, force: true });

  const late = tally.faults['late'];
  const report: SoakReport = {
    options: { runs: options.runs, seed: options.seed, failureRate: options.failureRate, cancelRate: options.cancelRate, mode: options.mode, concurrency: options.concurrency, taskTimeoutMs: options.taskTimeoutMs, workers: options.workers, keep: options.keep },
    machine,
    backend: backend.description,
    ...(options.keep ? { workspace: ws.dir } : {}),
    tally,
    lateAnswers: { afterTimeout: late?.timeout ?? 0, afterCancel: late?.cancelled ?? 0, acceptedInTime: late?.succeeded ?? 0 },
    orphanedProcesses: orphans,
    openHandles,
    baselineResources: Object.fromEntries(baseline),
    journal,
    backendFigures,
    wallMs,
    runsPerSec: (options.runs * 1000) / wallMs,
    eventLoopDelayMs,
    peakRssMb,
    failures: [],
  };
  report.failures = verdict(report);
  return report;
}

/** The soak's pass conditions; each failure is one line saying what did not hold. */
function verdict(r: SoakReport): string[] {
  const failures: string[] = [];
  if (r.tally.hung > 0) failures.push(`${r.tally.hung} runs hung`);
  if (r.tally.rejected > 0) failures.push(`${r.tally.rejected} run results rejected instead of resolving`);
  if (r.orphanedProcesses.length > 0) failures.push(`${r.orphanedProcesses.length} agent processes left running`);
  if (r.openHandles.length > 0) failures.push(`${r.openHandles.length} handles left open (${r.openHandles.join(', ')})`);
  if (r.journal.consistent !== r.journal.checked || r.journal.problems.length > 0) failures.push(`${r.journal.checked - r.journal.consistent} runs with an inconsistent journal`);
  if (r.journal.checked + r.tally.hung + r.tally.rejected !== r.options.runs) failures.push(`${r.options.runs - r.journal.checked} runs were not checked`);
  return failures;
}
