/**
 * `node --import tsx bench/large-artifact.bench.ts [rows]`: what a large artifact costs the
 * orchestrator's thread, from the built dist/. A two-task run of module agents (each in its worker
 * thread, as by default): `maker` answers a dataset of `rows` rows (default 20,000, ~2.5 MB of
 * JSON) checked against a schema with a date pattern per row, and `reader` is given it and counts
 * its rows. Ten runs after two unmeasured ones, memory journal, no run folder. Figures: the time
 * the orchestrator's thread was busy per run (`mainMsPerRun`, its event loop's utilisation: the
 * answer's parse, the output check, the input's hand-over, the journal), the longest it went
 * without a turn (`longestTurnMs`), and the wall time per run. The last line is the JSON of them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { manifestFromObject, MemoryRunStore, Orchestrator, StaticPlanner } from 'batonjs';
import { median } from './median.ts';

const rows = Number(process.argv[2] ?? 20_000);
const RUNS = 10;

const dir = mkdtempSync(path.join(tmpdir(), 'baton-large-artifact-'));
writeFileSync(
  path.join(dir, 'maker.mjs'),
  `export default function maker() {
  const rows = new Array(${rows});
  for (let i = 0; i < rows.length; i++) rows[i] = { date: \`2026-0\${1 + (i % 9)}-1\${i % 10}\`, region: ['EMEA', 'APAC', 'AMER'][i % 3], product: \`P\${i % 50}\`, units: i % 17, revenue: i * 1.5, cost: i * 0.75, channel: 'web' };
  return { dataset: { rows } };
}\n`,
);
writeFileSync(path.join(dir, 'reader.mjs'), `export default function reader(input) {\n  return { count: { rows: input.inputs.dataset.rows.length } };\n}\n`);

const row = { type: 'object', required: ['date', 'revenue'], properties: { date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }, revenue: { type: 'number' } } };
const manifest = await manifestFromObject(
  {
    version: 1,
    orchestrator: { name: 'bench', description: 'a large artifact', instructions: 'none', subagents: ['maker', 'reader'], deliverable: ['count'] },
    agents: {
      maker: { description: 'makes the dataset', produces: ['dataset'], kind: 'module', module: './maker.mjs', output: { dataset: { schema: { type: 'object', required: ['rows'], properties: { rows: { type: 'array', items: row } } } } } },
      reader: { description: 'counts its rows', consumes: ['dataset'], produces: ['count'], kind: 'module', module: './reader.mjs' },
    },
  },
  { baseDir: dir },
);

const plan = {
  tasks: [
    { id: 'make', title: 'make', instructions: '', agent: 'maker', dependsOn: [], consumes: [], produces: ['dataset'] },
    { id: 'read', title: 'read', instructions: '', agent: 'reader', dependsOn: ['make'], consumes: ['dataset'], produces: ['count'] },
  ],
  requested: ['count'],
};
const o = new Orchestrator({ manifest, planner: new StaticPlanner(plan), store: new MemoryRunStore() });
try {
  const main: number[] = [];
  const longest: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    let last = performance.now();
    let gap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      gap = Math.max(gap, now - last);
      last = now;
    }, 1);
    const before = performance.eventLoopUtilization();
    const t0 = performance.now();
    const r = await o.run('bench');
    const took = performance.now() - t0;
    const busy = performance.eventLoopUtilization(before).active;
    clearInterval(ticker);
    if (r.status !== 'succeeded') throw new Error(`run ended ${r.status}: ${r.reason ?? ''}`);
    if ((r.deliverable.artifacts['count'] as { rows: number }).rows !== rows) throw new Error('the reader did not get every row');
    if (i < 2) continue;
    main.push(busy);
    longest.push(gap);
    wall.push(took);
  }
  const figures = { case: 'large-artifact', rows, mainMsPerRun: median(main), longestTurnMs: median(longest), wallMs: median(wall) };
  process.stdout.write(`large artifact (${rows} rows): the orchestrator's thread busy ${figures.mainMsPerRun.toFixed(1)} ms per run, longest turn ${figures.longestTurnMs.toFixed(1)} ms, wall ${figures.wallMs.toFixed(0)} ms; medians of ${RUNS}\n`);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} finally {
  await o.close();
  rmSync(dir, { recursive: true, force: true });
}
