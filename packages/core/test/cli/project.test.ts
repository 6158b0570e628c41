import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEventBody } from '../../src/core/events.ts';
import { SqliteRunStore } from '../../src/store/sqlite-store.ts';
import { stamp } from '../store/sample-journal.ts';
import { baton } from './run-cli.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'baton-project-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const project = path.join(tmp, 'My Project');
const inProject = { cwd: project };
const GOAL = 'Describe this machine';
const { version } = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };

describe('baton init', () => {
  it('creates a project that `baton run` runs as it is', async () => {
    const init = await baton(['init', 'My Project'], { cwd: tmp });
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(`Created a Baton project in ${project}`);
    expect(init.stdout).toContain('npm install\n  npx baton run "Describe this machine"');
    for (const f of ['baton.yaml', 'agents/facts.sh', 'agents/report.ts', 'schemas/machine-facts.json', 'test/workflow.test.ts', 'evals/plans.yaml', 'README.md', '.gitignore', 'tsconfig.json', 'package.json']) {
      expect(existsSync(path.join(project, f)), f).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string>; optionalDependencies?: Record<string, string>; scripts: Record<string, string> };
    expect(pkg.name).toBe('my-project');
    expect(pkg.dependencies['batonjs']).toBe(version);
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    expect(pkg.optionalDependencies?.['better-sqlite3'] !== undefined).toBe(major < 22 || (major === 22 && minor < 13));
    expect(Object.keys(pkg.dependencies)).toEqual(['batonjs']);
    expect(pkg.scripts['test']).toContain('test/workflow.test.ts');
    expect(readFileSync(path.join(project, 'README.md'), 'utf8')).toMatch(/^# my-project\n/);
    const evaluated = await baton(['eval', 'evals/plans.yaml'], inProject);
    expect(evaluated.stdout + evaluated.stderr).toContain('eval: 3 passed, 0 failed');
    expect(evaluated.code).toBe(0);

    const run = await baton(['run', GOAL], inProject);
    expect(run.stderr).toContain('✔ t1-collect-machine-facts by facts');
    expect(run.code).toBe(0);
    // The deliverable is printed: a table of facts, with who made it.
    expect(run.stdout).toContain('## machine-report');
    expect(run.stdout).toMatch(/_task t2-write-machine-report · agent report@1\.0\.0 · attempt 1 · /);
    expect(run.stdout).toContain('| fact | value |');
    const runId = /run (r_\w+) succeeded/.exec(run.stderr)?.[1];
    expect(runId).toBeDefined();
    expect(run.stderr).toContain(`deliverable: out/${runId}/deliverable.md`);
    expect(readFileSync(path.join(project, 'out', runId!, 'deliverable.md'), 'utf8')).toBe(run.stdout.slice(1));
  });

  it('refuses a folder that is not empty, and with --force never overwrites a file', async () => {
    const refused = await baton(['init'], inProject);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain(`${project} is not empty`);
    expect(refused.stderr).toContain('--force');

    const partial = path.join(tmp, 'partial');
    mkdirSync(partial);
    writeFileSync(path.join(partial, 'README.md'), 'mine\n');
    const forced = await baton(['init', '--force', partial], { cwd: tmp });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('= README.md (exists, left as it was)');
    expect(readFileSync(path.join(partial, 'README.md'), 'utf8')).toBe('mine\n');
    expect(existsSync(path.join(partial, 'baton.yaml'))).toBe(true);

    const onFile = await baton(['init', path.join(partial, 'README.md')], { cwd: tmp });
    expect(onFile.code).toBe(64);
    expect(onFile.stderr).toContain('it is a file');
  });
});

describe('runs show, delete and prune', () => {
  const journal = (): string => path.join(project, '.baton', 'baton.db');
  const day = 86_400_000;
  let fresh: string;

  /** A run journaled `daysAgo` days ago, with an out folder of its own, ended unless `running`. */
  async function oldRun(runId: string, daysAgo: number, status: 'succeeded' | 'running' = 'succeeded'): Promise<string> {
    const outDir = path.join(project, 'out', runId);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'run.json'), '{}');
    const store = new SqliteRunStore({ file: journal() });
    const at = Date.now() - daysAgo * day;
    await store.createRun({ runId, goal: GOAL, createdAt: new Date(at).toISOString() });
    const bodies: RunEventBody[] = [{ type: 'run.started', goal: GOAL, orchestrator: 'machine-check', options: { outDir, pid: 1, host: 'elsewhere' } }];
    if (status !== 'running') bodies.push({ type: 'run.ended', status, deliverable: { artifacts: {}, files: [], provenance: {} } });
    await store.append(runId, stamp(runId, bodies, 1, at));
    await store.close();
    return outDir;
  }

  beforeAll(async () => {
    const run = await baton(['run', GOAL], inProject);
    fresh = /run (r_\w+) succeeded/.exec(run.stderr)![1]!;
  });

  it('runs show prints the timeline and the deliverable', async () => {
    const shown = await baton(['runs', 'show', fresh], inProject);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('t2-write-machine-report succeeded');
    expect(shown.stdout).toContain('## machine-report');
    expect(shown.stdout).toContain('| Processors |');
  });

  it('runs delete removes the journal rows and the out folder, and refuses a running run', async () => {
    const run = await baton(['run', GOAL], inProject);
    const id = /run (r_\w+) succeeded/.exec(run.stderr)![1]!;
    expect(existsSync(path.join(project, 'out', id))).toBe(true);
    const deleted = await baton(['runs', 'delete', id], inProject);
    expect(deleted.code).toBe(0);
    expect(deleted.stderr).toContain(`deleted run ${id} (succeeded) and out/${id}/`);
    expect(existsSync(path.join(project, 'out', id))).toBe(false);
    const gone = await baton(['runs', 'show', id], inProject);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`run ${id} is not in the journal`);

    // A folder chosen with --out loses what the run wrote, and keeps the rest.
    const chosen = path.join(tmp, 'chosen-out');
    const other = await baton(['run', '--out', chosen, GOAL], inProject);
    const otherId = /run (r_\w+) succeeded/.exec(other.stderr)![1]!;
    mkdirSync(path.join(chosen, 'mine'));
    writeFileSync(path.join(chosen, 'notes.txt'), 'keep me');
    mkdirSync(path.join(chosen, 'empty', 'nested'), { recursive: true });
    const cleaned = await baton(['runs', 'delete', otherId], inProject);
    expect(cleaned.code).toBe(0);
    expect(cleaned.stderr).toContain(`deleted run ${otherId} (succeeded); kept ${chosen}/: it holds files the run did not write: only the run's own were removed`);
    expect(readdirSync(chosen).sort()).toEqual(['empty', 'mine', 'notes.txt']);

    const busyDir = await oldRun('r_busy', 0, 'running');
    const refused = await baton(['runs', 'delete', 'r_busy'], inProject);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('run r_busy has not ended: cancel it first (`baton runs cancel r_busy`)');
    expect(existsSync(busyDir)).toBe(true);
    const missing = await baton(['runs', 'delete', 'r_nope'], inProject);
    expect(missing.code).toBe(1);
  });

  it('runs prune deletes ended runs older than the duration, keeps the newest N, and checkpoints the WAL', async () => {
    const dirs = { a: await oldRun('r_old_a', 30), b: await oldRun('r_old_b', 20), c: await oldRun('r_old_c', 10), running: await oldRun('r_old_running', 40, 'running') };
    const longest = await baton(['runs', 'prune', '--older-than', '100000000d', '--dry-run'], inProject);
    expect(longest.code).toBe(0);
    expect(longest.stderr).toContain('would delete 0 run(s)');

    const dry = await baton(['runs', 'prune', '--older-than', '7d', '--dry-run'], inProject);
    expect(dry.code).toBe(0);
    expect(dry.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[2])).toEqual(['r_old_c', 'r_old_b', 'r_old_a']);
    expect(dry.stderr).toContain('would delete 3 run(s) (dry run: nothing was deleted)');
    expect(Object.values(dirs).every((d) => existsSync(d))).toBe(true);

    // Keep the 4 newest runs (r_busy, the two runs of today, r_old_c): r_old_b and r_old_a go.
    const kept = await baton(['runs', 'prune', '--older-than', '7d', '--keep', '4'], inProject);
    expect(kept.code).toBe(0);
    expect(kept.stderr).toContain('deleted 2 run(s)');
    expect(existsSync(dirs.a) || existsSync(dirs.b)).toBe(false);
    expect(existsSync(dirs.c)).toBe(true);

    const pruned = await baton(['runs', 'prune', '--older-than', '7d', '--json'], inProject);
    expect(pruned.code).toBe(0);
    const report = JSON.parse(pruned.stdout) as { deleted: { runId: string; outDir: string }[]; space: { bytesBefore: number; bytesAfter: number } };
    expect(report.deleted.map((d) => d.runId)).toEqual(['r_old_c']);
    expect(report.deleted[0]!.outDir).toBe(dirs.c);
    expect(existsSync(dirs.c)).toBe(false);
    expect(report.space.bytesAfter).toBeGreaterThan(0);
    // The running run survives any age; the WAL was checkpointed and truncated.
    expect(existsSync(dirs.running)).toBe(true);
    const wal = `${journal()}-wal`;
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    const list = await baton(['runs', 'list'], inProject);
    expect(list.stdout).toContain('r_old_running');
    expect(list.stdout).toContain(fresh);
    expect(list.stdout).not.toContain('r_old_a');
  });

  it('runs delete leaves an --out folder that a later run wrote over, and says so', async () => {
    const shared = path.join(tmp, 'shared-out');
    const runInShared = async (): Promise<string> => /run (r_\w+) succeeded/.exec((await baton(['run', '--out', shared, GOAL], inProject)).stderr)![1]!;
    const a = await runInShared();
    const b = await runInShared();
    const files = readdirSync(shared).sort();
    expect(files).toEqual(['deliverable.json', 'deliverable.md', 'run.json']);
    const before = files.map((f) => readFileSync(path.join(shared, f), 'utf8'));

    const first = await baton(['runs', 'delete', a], inProject);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`deleted run ${a} (succeeded); kept ${shared}/: its run.json belongs to run ${b}, which used the same folder later: nothing was removed`);
    expect(files.map((f) => readFileSync(path.join(shared, f), 'utf8'))).toEqual(before);

    const second = await baton(['runs', 'delete', b], inProject);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`deleted run ${b} (succeeded) and ${shared}/`);
    expect(existsSync(shared)).toBe(false);
  });
});
