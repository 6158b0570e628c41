/**
 * `node --import tsx bench/output-limit.bench.ts [mb]`: an agent that answers with a JSON output of
 * `mb` MB (default 100), once per kind (command, module in a thread, module in-process), run by an
 * orchestrator with a SQLite journal and the default policy.maxOutputBytes (16 MiB). Prints each
 * attempt's status, the peak RSS growth of this process and the journal's size. Each kind runs in
 * its own process, so the peaks do not mix.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadManifest } from '../packages/core/src/manifest/index.ts';
import { Orchestrator } from '../packages/core/src/orchestrator.ts';
import { SqliteRunStore } from '../packages/core/src/store/index.ts';
import { machineInfo, rssSampler } from './machine-info.ts';

type Kind = 'command' | 'thread' | 'none';
const KINDS: Kind[] = ['command', 'thread', 'none'];

function manifestFor(kind: Kind, dir: string, mb: number): string {
  const bytes = mb * 1_000_000;
  // Real strings (repeat() would make a rope of a few nodes that costs nothing until flattened).
  writeFileSync(path.join(dir, 'flood.mjs'), `export default () => ({ report: { pages: Array.from({ length: ${mb * 10} }, () => Buffer.alloc(100_000, 97).toString()) } });\n`);
  const agent =
    kind === 'command'
      ? `    kind: command\n    command: [sh, -c, 'printf "{\\"report\\":{\\"text\\":\\""; head -c ${bytes} /dev/zero | tr "\\0" a; printf "\\"}}"']`
      : `    kind: module\n    module: ./flood.mjs\n    isolation: ${kind}`;
  const file = path.join(dir, `${kind}.yaml`);
  writeFileSync(
    file,
    `version: 1
orchestrator:
  name: flood
  description: Asks for a report
  subagents: [flood]
  deliverable: [report]
  policy: { retries: 0, taskTimeoutMs: 120000 }
agents:
  flood:
    description: Writes a very long report
    produces: [report]
${agent}
`,
  );
  return file;
}

async function one(kind: Kind, mb: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-flood-'));
  try {
    const manifest = await loadManifest(manifestFor(kind, dir, mb));
    const journal = path.join(dir, 'journal.db');
    const store = new SqliteRunStore({ file: journal });
    const orchestrator = new Orchestrator({ manifest, store });
    const before = process.memoryUsage().rss;
    const rss = rssSampler(10);
    const result = await orchestrator.run('write the report');
    rss.stop();
    await orchestrator.close();
    const attempt = result.tasks[0]?.attempts[0];
    return {
      kind,
      status: attempt?.status,
      error: attempt?.error?.slice(0, 140),
      rssGrowthMb: Math.round(rss.peakMb() - before / 1024 / 1024),
      journalMb: Math.round((statSync(journal).size / 1024 / 1024) * 10) / 10,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [arg, kindArg] = process.argv.slice(2);
const mb = Number(arg ?? 100);
if (kindArg) {
  process.stdout.write(`${JSON.stringify(await one(kindArg as Kind, mb))}\n`);
} else {
  const m = machineInfo();
  process.stdout.write(`a ${mb} MB output per agent kind, default policy.maxOutputBytes — Node ${m.node}, load ${JSON.stringify(m.loadAverage)}\n`);
  for (const kind of KINDS) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename, String(mb), kind], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
    process.stdout.write(`  ${String(r['kind']).padEnd(8)} ${String(r['status']).padEnd(8)} peak RSS +${String(r['rssGrowthMb'])} MB, journal ${String(r['journalMb'])} MB — ${String(r['error'] ?? '')}\n`);
  }
}
