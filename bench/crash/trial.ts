/**
 * One crash trial: start `baton run` (the real CLI, SQLite journal) on the crash-trials workflow,
 * SIGKILL it at a chosen moment, read what the journal holds, then `baton runs resume` it and
 * compare the agents' execution log with the journal.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '../../packages/core/src/core/events.ts';
import { reduceEvents } from '../../packages/core/src/core/reduce.ts';
import type { RunResult } from '../../packages/core/src/core/types.ts';
import { SqliteRunStore } from '../../packages/core/src/store/index.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'packages', 'core', 'bin', 'baton.js');
export const FIXTURE = path.join(import.meta.dirname, 'fixture', 'baton.yaml');
export const GOAL = 'write the report';

/** One line of the agents' log. */
export interface Execution {
  what: 'start' | 'done';
  runId: string;
  taskId: string;
  attempt: number;
  /** The orchestrator process that ran the agent. */
  pid: number;
}

export function readLog(file: string, fromByte = 0): Execution[] {
  return existsSync(file) ? parseLog(readFileSync(file, 'latin1').slice(fromByte)) : [];
}

export function parseLog(text: string): Execution[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [what, runId, taskId, attempt, pid] = l.split(' ');
      return { what: what as Execution['what'], runId: runId!, taskId: taskId!, attempt: Number(attempt), pid: Number(pid) };
    });
}

export interface Cli {
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  kill(): void;
}

export function cli(args: string[], cwd: string, env: Record<string, string>): Cli {
  // In-process dispatch and the given journal, whatever the caller's environment says.
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, BATON_REDIS_URL: '', ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return {
    pid: child.pid!,
    exited: new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }))),
    kill: () => child.kill('SIGKILL'),
  };
}

/** What one trial found. */
export interface TrialOutcome {
  /** Where the kill landed. */
  phase: 'before-run' | 'mid-run' | 'after-end';
  runId?: string;
  killAfterMs: number;
  /** Tasks whose task.succeeded was in the journal at the kill. */
  journaledSucceeded: number;
  /** Executions by the resuming process of tasks whose success was journaled (must be 0). */
  reexecutedSucceeded: string[];
  /** Tasks re-run because the agent finished before the kill but its success was not journaled yet (allowed). */
  rerunFinishedNotJournaled: string[];
  /** Tasks re-run because the kill interrupted their attempt (expected). */
  rerunInterrupted: string[];
  /** Set when the run could not be resumed to a final status. */
  lost?: string;
  finalStatus?: string;
  /** Problems of the resumed run's journal (replay differs from the printed result, gaps...). */
  journalProblems: string[];
}

async function readJournal(storeFile: string): Promise<{ runId: string; events: RunEvent[] } | undefined> {
  const store = new SqliteRunStore({ file: storeFile });
  try {
    const [run] = await store.listRuns({ limit: 1 });
    return run ? { runId: run.runId, events: await store.readEvents(run.runId) } : undefined;
  } finally {
    await store.close();
  }
}

/**
 * Runs one trial in `dir` (its own journal and log). `killAfterMs` counts from the first agent
 * execution, so the kill lands while the run is in progress.
 */
export async function runTrial(dir: string, killAfterMs: number): Promise<TrialOutcome> {
  const storeFile = path.join(dir, 'journal.db');
  const log = path.join(dir, 'executions.log');
  const env = { CRASH_LOG: log };
  const first = cli(['run', '-m', FIXTURE, '--store', storeFile, '--json', '--out', path.join(dir, 'out'), GOAL], dir, env);
  const ended = first.exited.then(() => true);
  while (!existsSync(log) && !(await Promise.race([ended, new Promise<false>((r) => setTimeout(() => r(false), 5))]))) {
    // wait for the first agent to start (or the process to end)
  }
  await Promise.race([ended, new Promise((r) => setTimeout(r, killAfterMs))]);
  first.kill();
  // What the agents had logged at the kill; command agents of the killed process may still add lines.
  const logAtKill = existsSync(log) ? readFileSync(log, 'latin1') : '';
  const atKill = parseLog(logAtKill);
  await first.exited;

  const outcome: TrialOutcome = { phase: 'mid-run', killAfterMs, journaledSucceeded: 0, reexecutedSucceeded: [], rerunFinishedNotJournaled: [], rerunInterrupted: [], journalProblems: [] };
  const before = await readJournal(storeFile);
  if (!before || before.events.length === 0) {
    outcome.phase = 'before-run';
    if (before) outcome.lost = 'the run was registered but none of its events were journaled';
    return outcome;
  }
  outcome.runId = before.runId;
  const status = reduceEvents(before.events)?.status;
  if (status !== 'running') {
    outcome.phase = 'after-end';
    if (status !== undefined) outcome.finalStatus = status;
    return outcome;
  }
  const succeeded = new Set(before.events.flatMap((e) => (e.type === 'task.succeeded' ? [e.taskId] : [])));
  outcome.journaledSucceeded = succeeded.size;
  const byFirst = atKill.filter((x) => x.pid === first.pid && x.runId === before.runId);
  const doneBeforeKill = new Set(byFirst.filter((x) => x.what === 'done').map((x) => x.taskId));
  const startedBeforeKill = new Set(byFirst.filter((x) => x.what === 'start').map((x) => x.taskId));

  const resume = cli(['runs', 'resume', before.runId, '--store', storeFile, '--json', '--out', path.join(dir, 'out')], dir, env);
  const r = await resume.exited;
  let result: RunResult | undefined;
  try {
    result = JSON.parse(r.stdout) as RunResult;
  } catch {
    outcome.lost = `resume exited ${r.code ?? r.signal} without a RunResult: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  }
  const after = await readJournal(storeFile);
  const replayed = after ? reduceEvents(after.events) : undefined;
  if (!replayed || replayed.status === 'running') outcome.lost ??= `the journal still says ${replayed?.status ?? 'nothing'} after resume`;
  if (replayed) outcome.finalStatus = replayed.status;
  if (result && replayed && JSON.stringify(replayed) !== JSON.stringify(result)) outcome.journalProblems.push('the journal does not replay to the RunResult resume printed');
  if (after && after.events.some((e, i) => e.seq !== i + 1)) outcome.journalProblems.push('gaps in seq');
  if (after && after.events.filter((e) => e.type === 'run.ended').length !== 1) outcome.journalProblems.push('not exactly one run.ended');

  for (const x of readLog(log, logAtKill.length)) {
    if (x.what !== 'start' || x.pid !== resume.pid) continue;
    if (succeeded.has(x.taskId)) outcome.reexecutedSucceeded.push(x.taskId);
    else if (doneBeforeKill.has(x.taskId)) outcome.rerunFinishedNotJournaled.push(x.taskId);
    else if (startedBeforeKill.has(x.taskId)) outcome.rerunInterrupted.push(x.taskId);
  }
  return outcome;
}
