/**
 * `node --import tsx bench/package-import.bench.ts [times]`: what importing each of Baton's
 * packages costs a user's program, and the entries that load less of one (`batonjs-scale/postgres`,
 * the PostgreSQL journal alone; `batonjs-server/a2a-agent`, agents of kind a2a alone), from the
 * built dist/ (`npm run bench` builds it): the wall time of `await import(name)` in a fresh Node
 * process and the resident memory it added, medians of `times` processes (default 7) after one
 * unmeasured start. Figures only; the last line is the JSON of all of them.
 */
import { execFileSync } from 'node:child_process';
import { distEnv, REPO } from './dist-cli.ts';

const times = Number(process.argv[2] ?? 7);
const env = distEnv();
const PACKAGES = ['batonjs', 'batonjs-llm', 'batonjs-server', 'batonjs-server/a2a-agent', 'batonjs-scale', 'batonjs-scale/postgres', 'batonjs-telemetry'];

/** One fresh process importing `name`: ms and MB of RSS the import took. */
function importOnce(name: string): { ms: number; mb: number } {
  const script = `const rss = process.memoryUsage().rss; const t = performance.now(); await import(${JSON.stringify(name)});
    process.stdout.write(JSON.stringify({ ms: performance.now() - t, mb: (process.memoryUsage().rss - rss) / 1048576 }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO, env, encoding: 'utf8' })) as { ms: number; mb: number };
}

/** `batonjs-llm` → `llm`, `batonjs-server/a2a-agent` → `serverA2aAgent` (`batonjs` → `core`), for the JSON's keys. */
const key = (name: string): string => (name === 'batonjs' ? 'core' : name.slice('batonjs-'.length).replace(/[/-](\w)/g, (_, c: string) => c.toUpperCase()));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const result: Record<string, unknown> = { case: 'package-import' };
const said: string[] = [];
for (const name of PACKAGES) {
  importOnce(name);
  const runs = Array.from({ length: times }, () => importOnce(name));
  const ms = Math.round(median(runs.map((r) => r.ms)));
  const mb = Number(median(runs.map((r) => r.mb)).toFixed(1));
  result[`${key(name)}Ms`] = ms;
  result[`${key(name)}Mb`] = mb;
  said.push(`${name} ${ms} ms, ${mb} MB`);
}
process.stderr.write(`import (fresh process, medians of ${times}): ${said.join('; ')}\n`);
process.stdout.write(`${JSON.stringify(result)}\n`);
