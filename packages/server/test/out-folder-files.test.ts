/**
 * The files of a run written by another process on the same SQLite journal (`baton run --out DIR`,
 * or the library with an out folder) are served by `baton serve`: only those the run listed in
 * its deliverable, never the rest of the folder, nor a link planted in place of one.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Integrator } from '../../core/src/core/contracts.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import { SqliteRunStore } from '../../core/src/store/sqlite-store.ts';
import { CORE_FIXTURES } from '../../core/test/support/paths.ts';
import { reportedNames } from '../src/routes/run-file-source.ts';
import { baton } from './serve-process.ts';
import { defaultAgents, startTestServer } from './support.ts';
import type { TestServer } from './support.ts';

type ErrorBody = { error: { code: string; message: string } };
type FileList = { files: { name: string; size: number; url: string }[] };

const SECRET = 'TOP-SECRET-CONTENT';

/** Writes a report and a chart into the out folder and lists them, as a custom integrator does. */
const reportIntegrator: Integrator = async (input) => {
  await mkdir(path.join(input.outDir, 'charts'), { recursive: true });
  const report = path.join(input.outDir, 'report.html');
  const chart = path.join(input.outDir, 'charts', 'a.svg');
  await writeFile(report, '<h1>Report</h1>');
  await writeFile(chart, '<svg/>');
  return { artifacts: input.artifacts, provenance: input.provenance, files: [report, chart] };
};

describe('files of a run written by another process', () => {
  let dir: string;
  let journal: string;
  let t: TestServer;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'baton-out-files-'));
    journal = path.join(dir, 'baton.db');
    t = await startTestServer({ orchestratorOptions: { store: new SqliteRunStore({ file: journal }) } });
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  const list = async (runId: string): Promise<string[]> => ((await (await fetch(`${t.url}/v1/runs/${runId}/files`)).json()) as FileList).files.map((f) => f.name);
  const get = (runId: string, name: string): Promise<Response> => fetch(`${t.url}/v1/runs/${runId}/files/${name}`);

  /** A run of the library writing to `outDir` the way `baton run --out` does, on the server's journal. */
  async function libraryRun(outDir: string): Promise<string> {
    const writer = createOrchestrator({ name: 'writer', description: 'Writes a report', agents: defaultAgents(1), store: new SqliteRunStore({ file: journal }), outDir, integrator: reportIntegrator });
    try {
      const result = await writer.run('make a report');
      expect(result.status).toBe('succeeded');
      return result.runId;
    } finally {
      await writer.close();
    }
  }

  it('lists and serves what `baton run --out` listed, and nothing else in its folder', { timeout: 60_000 }, async () => {
    const cwd = path.join(dir, 'project');
    await mkdir(cwd);
    const cli = baton(['run', '-m', path.join(CORE_FIXTURES, 'durable/baton.yaml'), '--store', journal, '--out', 'out/report', '--json', 'carry the numbers'], { BATON_TEST_DELAY_MS: '0' }, cwd);
    expect(await cli.exited, cli.err()).toBe(0);
    const runId = (JSON.parse(cli.out()) as { runId: string }).runId;
    await writeFile(path.join(cwd, 'out', 'report', 'secret.txt'), SECRET);

    expect(await list(runId)).toEqual(['deliverable.json', 'deliverable.md', 'run.json']);
    const md = await get(runId, 'deliverable.md');
    expect(md.status).toBe(200);
    expect(md.headers.get('content-type')).toContain('text/markdown');
    expect(md.headers.get('content-security-policy')).toMatch(/^sandbox;/);
    expect(await md.text()).toContain(`Run \`${runId}\` **succeeded**`);
    expect(((await (await get(runId, 'run.json')).json()) as { runId: string }).runId).toBe(runId);
    for (const name of ['secret.txt', '..%2Freport%2Fsecret.txt', 'out%2Freport%2Fsecret.txt', '%2Fetc%2Fpasswd', 'nope.md']) {
      const res = await get(runId, name);
      expect(res.status, name).toBe(404);
      const text = await res.text();
      expect(text).not.toContain(SECRET);
      expect((JSON.parse(text) as ErrorBody).error.code).toBe('NOT_FOUND');
    }
  });

  it('refuses a link planted in place of a listed file or folder, even one to a file inside the folder', async () => {
    // `--out ~`: the out folder holds far more than the run's files.
    const home = path.join(dir, 'home');
    await mkdir(home);
    await writeFile(path.join(home, 'secret.txt'), SECRET);
    const runId = await libraryRun(home);
    expect(await list(runId)).toEqual(['charts/a.svg', 'report.html', 'run.json']);
    const report = await get(runId, 'report.html');
    expect(report.headers.get('content-type')).toContain('text/html');
    expect(await report.text()).toBe('<h1>Report</h1>');
    expect(await (await get(runId, 'charts/a.svg')).text()).toBe('<svg/>');
    expect((await get(runId, 'secret.txt')).status).toBe(404);

    const outside = path.join(dir, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'a.svg'), SECRET);
    await writeFile(path.join(outside, 'secret.txt'), SECRET);
    await rm(path.join(home, 'report.html'));
    await symlink(path.join(outside, 'secret.txt'), path.join(home, 'report.html'));
    await rm(path.join(home, 'charts'), { recursive: true });
    await symlink(outside, path.join(home, 'charts'));
    expect(await list(runId)).toEqual(['run.json']);
    for (const name of ['report.html', 'charts/a.svg']) {
      const res = await get(runId, name);
      expect(res.status, name).toBe(404);
      const text = await res.text();
      expect(text).not.toContain(SECRET);
      expect((JSON.parse(text) as ErrorBody).error.message).toContain('no longer a regular file');
    }
    await rm(path.join(home, 'report.html'));
    await symlink('secret.txt', path.join(home, 'report.html'));
    expect((await get(runId, 'report.html')).status).toBe(404);
  });

  it("serves no file of a run whose folder a later run wrote over, saying whose files it holds", async () => {
    const out = path.join(dir, 'shared-out');
    const first = await libraryRun(out);
    expect(await list(first)).toEqual(['charts/a.svg', 'report.html', 'run.json']);
    const second = await libraryRun(out);
    expect(await list(first)).toEqual([]);
    const res = await get(first, 'report.html');
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorBody).error.message).toContain(`holds the files of run ${second}`);
    expect(await (await get(second, 'report.html')).text()).toBe('<h1>Report</h1>');
  });
});

describe('reportedNames', () => {
  it('reads the listed files against the out folder, as the writer saw it from its working folder', () => {
    // Relative to the writer's working folder, which held the out folder.
    expect(reportedNames('/p/out/report', ['out/report/a.md', 'charts/x.svg', 'out/report/sub/b.svg', '/etc/passwd', 'out/report/run.json'])).toEqual(['a.md', 'run.json', 'sub/b.svg']);
    // Written from inside the out folder itself.
    expect(reportedNames('/p/out', ['a.md', 'run.json'])).toEqual(['a.md', 'run.json']);
    // Absolute: the out folder was outside the writer's working folder.
    expect(reportedNames('/tmp/o', ['/tmp/o/a.md', '/tmp/o/run.json', '/tmp/other/x', '/tmp/o/../x', 'o/a.md'])).toEqual(['a.md', 'run.json']);
    // A library writer that journaled a relative out folder.
    expect(reportedNames('out/r1', ['out/r1/a.md', 'out/r1/run.json', 'out/r2/b.md'])).toEqual(['a.md', 'run.json']);
    // No run.json of this folder listed: the run wrote nothing there.
    expect(reportedNames('/p/out', ['/elsewhere/run.json', 'a.md'])).toEqual([]);
    expect(reportedNames('/p/out', [])).toEqual([]);
  });
});
