/**
 * `npm run crash-trials [-- --trials 30 --seed 1]`
 *
 * Kills the real CLI (`baton run`, SQLite journal) with SIGKILL at a seeded random moment of a
 * run, resumes it with `baton runs resume`, and counts, from the agents' own execution log and
 * the journal: tasks executed again although their success was journaled before the kill (must
 * be 0), runs that could not be resumed to a final status (must be 0), and re-runs that are
 * expected (the kill interrupted the attempt, or hit between an agent finishing and its success
 * being journaled). Exits 1 when a must-be-zero count is not zero; saves JSON under bench/results/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { RunResult } from '../packages/core/src/core/types.ts';
import { seededRandom } from '../packages/core/src/testing/fault-injector.ts';
import { cli, FIXTURE, GOAL, runTrial } from './crash/trial.ts';
import type { TrialOutcome } from './crash/trial.ts';
import { machineInfo } from './machine-info.ts';

const USAGE = `usage: npm run crash-trials -- [--trials N (default 30)] [--seed N (default 1)] [--keep] [--json]`;

function options(): { trials: number; seed: number; keep: boolean; json: boolean } {
  try {
    const { values } = parseArgs({ options: { trials: { type: 'string' }, seed: { type: 'string' }, keep: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    const trials = Number(values.trials ?? 30);
    const seed = Number(values.seed ?? 1);
    if (!Number.isInteger(trials) || trials < 1 || !Number.isInteger(seed)) throw new Error('--trials and --seed must be whole numbers');
    return { trials, seed, keep: values.keep ?? false, json: values.json ?? false };
  } catch (e) {
    process.stderr.write(`crash-trials: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(64);
  }
}

/** How long a run takes from its first agent execution to its end (run.ended), without a kill. */
async function calibrate(dir: string): Promise<number> {
  const store = path.join(dir, 'journal.db');
  const run = cli(['run', '-m', FIXTURE, '--store', store, '--json', '--out', path.join(dir, 'out'), GOAL], dir, { CRASH_LOG: path.join(dir, 'executions.log') });
  const r = await run.exited;
  if (r.code !== 0) throw new Error(`the calibration run exited ${r.code ?? r.signal}: ${r.stderr}`);
  const result = JSON.parse(r.stdout) as RunResult;
  const firstStart = Math.min(...result.tasks.flatMap((t) => t.attempts.map((a) => Date.parse(a.startedAt))));
  return Date.parse(result.endedAt ?? result.startedAt) - firstStart;
}

const o = options();
const root = mkdtempSync(path.join(tmpdir(), 'baton-crash-trials-'));
const started = performance.now();
const machine = machineInfo();
// The median of three runs: the first run of a cold machine is slower.
const calibrations: number[] = [];
for (let i = 0; i < 3; i++) {
  const calibrationDir = path.join(root, `calibration-${i}`);
  mkdirSync(calibrationDir);
  calibrations.push(await calibrate(calibrationDir));
}
const runMs = calibrations.sort((a, b) => a - b)[1]!;
process.stderr.write(`crash-trials: a run takes ${runMs.toFixed(0)} ms from its first agent to its end; killing at a random moment in [0, ${runMs.toFixed(0)}] ms\n`);
const random = seededRandom(o.seed);
const outcomes: TrialOutcome[] = [];
for (let i = 0; i < o.trials; i++) {
  const dir = path.join(root, `trial-${i}`);
  mkdirSync(dir);
  const killAfterMs = Math.round(random() * runMs);
  const outcome = await runTrial(dir, killAfterMs);
  outcomes.push(outcome);
  const flags = [
    outcome.reexecutedSucceeded.length ? `RE-EXECUTED ${outcome.reexecutedSucceeded.join(',')}` : '',
    outcome.lost ? `LOST: ${outcome.lost}` : '',
    outcome.rerunFinishedNotJournaled.length ? `finished-not-journaled ${outcome.rerunFinishedNotJournaled.join(',')}` : '',
  ].filter(Boolean);
  process.stderr.write(`trial ${i + 1}/${o.trials}: kill at +${killAfterMs} ms, ${outcome.phase}, ${outcome.journaledSucceeded} successes journaled, ${outcome.rerunInterrupted.length} interrupted re-run, final ${outcome.finalStatus ?? '-'} ${flags.join(' ')}\n`);
}

const count = (f: (t: TrialOutcome) => number): number => outcomes.reduce((n, t) => n + f(t), 0);
const summary = {
  trials: o.trials,
  seed: o.seed,
  runMs: Math.round(runMs),
  killedMidRun: count((t) => (t.phase === 'mid-run' ? 1 : 0)),
  killedBeforeRunJournaled: count((t) => (t.phase === 'before-run' ? 1 : 0)),
  killedAfterRunEnded: count((t) => (t.phase === 'after-end' ? 1 : 0)),
  successesJournaledBeforeKill: count((t) => t.journaledSucceeded),
  reexecutedAfterJournaledSuccess: count((t) => t.reexecutedSucceeded.length),
  runsLost: count((t) => (t.lost ? 1 : 0)),
  rerunInterrupted: count((t) => t.rerunInterrupted.length),
  rerunFinishedButNotJournaled: count((t) => t.rerunFinishedNotJournaled.length),
  finalStatuses: outcomes.reduce<Record<string, number>>((m, t) => (t.finalStatus ? { ...m, [t.finalStatus]: (m[t.finalStatus] ?? 0) + 1 } : m), {}),
  journalProblems: outcomes.flatMap((t) => t.journalProblems.map((p) => `${t.runId}: ${p}`)),
  lost: outcomes.flatMap((t) => (t.lost ? [`${t.runId ?? '(no run id)'}: ${t.lost}`] : [])),
  wallMs: Math.round(performance.now() - started),
};
const failures = [
  summary.reexecutedAfterJournaledSuccess ? `${summary.reexecutedAfterJournaledSuccess} tasks re-executed after their success was journaled` : '',
  summary.runsLost ? `${summary.runsLost} runs lost` : '',
  summary.journalProblems.length ? `${summary.journalProblems.length} journal problems` : '',
].filter(Boolean);

const dir = path.join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `crash-trials-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), machine, summary, failures, outcomes }, null, 2)}\n`);
if (o.keep) process.stderr.write(`trials kept in ${root}\n`);
else rmSync(root, { recursive: true, force: true });

if (o.json) process.stdout.write(`${JSON.stringify({ machine, summary, failures })}\n`);
else {
  const s = summary;
  process.stdout.write(
    [
      '',
      `Baton crash trials — ${s.trials} trials, seed ${s.seed}; Node ${machine.node}, ${machine.cpu} × ${machine.cores}, load ${JSON.stringify(machine.loadAverage)}`,
      `SIGKILL of \`baton run\` (SQLite journal) at a random moment, then \`baton runs resume\`; a run takes ${s.runMs} ms from its first agent to its end`,
      '',
      `kills:                                   ${s.killedMidRun} mid-run, ${s.killedAfterRunEnded} after the run ended, ${s.killedBeforeRunJournaled} before the run was journaled`,
      `task successes journaled before the kill: ${s.successesJournaledBeforeKill}`,
      `re-executed although journaled:          ${s.reexecutedAfterJournaledSuccess}   (must be 0)`,
      `runs lost:                               ${s.runsLost}   (must be 0)`,
      `re-run, attempt interrupted by the kill: ${s.rerunInterrupted}   (expected)`,
      `re-run, finished but not yet journaled:  ${s.rerunFinishedButNotJournaled}   (expected, allowed)`,
      `final statuses after resume:             ${Object.entries(s.finalStatuses).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      ...s.journalProblems.slice(0, 10).map((p) => `journal problem: ${p}`),
      ...s.lost.slice(0, 10).map((p) => `lost: ${p}`),
      `wall ${(s.wallMs / 1000).toFixed(1)} s`,
      failures.length ? `CRASH TRIALS FAILED: ${failures.join('; ')}` : 'CRASH TRIALS HELD: nothing journaled as done ran again, no run lost',
      `saved ${path.relative(process.cwd(), file)}`,
      '',
    ].join('\n'),
  );
}
process.exitCode = failures.length ? 1 : 0;
