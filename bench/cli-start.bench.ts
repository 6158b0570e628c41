/**
 * `node --import tsx bench/cli-start.bench.ts [times]`: how long the `baton` command takes, from
 * the built dist/ (`npm run bench` builds it), as a user runs it: `baton --version`, `baton runs
 * list` on an empty memory journal, and `baton run` of the project `baton init` creates (a shell
 * agent and a TypeScript module agent; ~0.1 s of it is the agents' own work). Each command is
 * started `times` times (default 7) after one unmeasured start; the median and the fastest are
 * printed. Figures only; the last line is the JSON of all of them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BATON, distEnv, REPO } from './dist-cli.ts';

const times = Number(process.argv[2] ?? 7);
const env = distEnv();

function baton(args: string[], cwd: string): void {
  execFileSync(process.execPath, [BATON, ...args], { cwd, env, stdio: 'ignore' });
}

/** Median and fastest wall time of `times` starts, in ms. */
function timed(args: string[], cwd: string): { median: number; fastest: number } {
  baton(args, cwd);
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    baton(args, cwd);
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  return { median: Math.round(ms[Math.floor(ms.length / 2)]!), fastest: Math.round(ms[0]!) };
}

const dir = mkdtempSync(path.join(tmpdir(), 'baton-cli-start-'));
try {
  baton(['init', dir], REPO);
  // The project's own `npm install` is left out: it finds this checkout's packages instead.
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  const version = timed(['--version'], dir);
  const runsList = timed(['runs', 'list', '--store', 'memory'], dir);
  const run = timed(['run', '--store', 'memory', '--out', path.join(dir, 'out'), 'check this machine'], dir);
  const result = {
    case: 'cli-start',
    versionMs: version.median,
    runsListMs: runsList.median,
    runMs: run.median,
    fastestRunMs: run.fastest,
  };
  process.stderr.write(`baton --version ${version.median} ms, runs list ${runsList.median} ms, run (starter project) ${run.median} ms (fastest ${run.fastest}); medians of ${times}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
