/**
 * `node --import tsx bench/sample-report.bench.ts [times]`: the main job (README, Quick start) as
 * a user runs it, from the built dist/ (`npm run bench` builds it): `baton run` of the sample
 * sales report with its default goal, `times` times (default 3) after one unmeasured run. From
 * each run's run.json it splits the wall time into:
 *   startMs: the process's start to the run's start (CLI, manifest, store)
 *   firstTaskMs: the run's start to its first attempt (planning, and the module agents' threads
 *           loading their modules: every agent is checked against its version pin first)
 *   tasksMs: the first attempt's start to the last one's end (the agents' own work)
 *   integrationMs: the integrator (report files, PNG charts, the PDF through Chromium)
 * Medians; figures only. The last line is the JSON of all of them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BATON, distEnv, REPO } from './dist-cli.ts';

const times = Number(process.argv[2] ?? 3);
const manifest = path.join(REPO, 'examples/sales-report/baton.yaml');
const goal = 'Create a Q2 sales performance report with charts and an executive summary';
const env = distEnv();

interface Timed {
  startedAt: string;
  endedAt: string;
}
interface RunJson extends Timed {
  status: string;
  tasks: { attempts: Timed[] }[];
  integration?: { durationMs: number };
}

type Phases = Record<'wallMs' | 'startMs' | 'firstTaskMs' | 'tasksMs' | 'integrationMs', number>;

function runOnce(out: string): Phases {
  const began = Date.now();
  execFileSync(process.execPath, [BATON, 'run', '-m', manifest, '--store', 'memory', '--out', out, goal], { cwd: REPO, env, stdio: 'ignore' });
  const wallMs = Date.now() - began;
  const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as RunJson;
  if (run.status !== 'succeeded') throw new Error(`the sample run ended ${run.status}`);
  const attempts = run.tasks.flatMap((t) => t.attempts);
  const at = (iso: string): number => Date.parse(iso);
  const firstAttempt = Math.min(...attempts.map((a) => at(a.startedAt)));
  const lastAttempt = Math.max(...attempts.map((a) => at(a.endedAt)));
  return {
    wallMs,
    startMs: at(run.startedAt) - began,
    firstTaskMs: firstAttempt - at(run.startedAt),
    tasksMs: lastAttempt - firstAttempt,
    integrationMs: run.integration?.durationMs ?? 0,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(path.join(tmpdir(), 'baton-sample-report-'));
try {
  runOnce(path.join(dir, 'warm-up'));
  const runs = Array.from({ length: times }, (_, i) => runOnce(path.join(dir, `run-${i}`)));
  const keys = Object.keys(runs[0]!) as (keyof Phases)[];
  const result: Record<string, unknown> = { case: 'sample-report' };
  for (const k of keys) result[k] = median(runs.map((r) => r[k]));
  process.stderr.write(`sample report: ${keys.map((k) => `${k} ${String(result[k])}`).join(', ')}; medians of ${times}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
