import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, TS_NODE_ARGS } from '../support/paths.ts';

const IMPORT_MODULE = pathToFileURL(path.join(REPO_ROOT, 'packages/core/src/core/import-module.ts')).href;
const CLI_FIXTURE = path.join(REPO_ROOT, 'packages/core/test/fixtures/cli/baton.yaml');

/**
 * Runs `script` (an async function's body) in a fresh process with Baton's sources, from the
 * repository's root; its stdout and stderr. Not as an ES module (`--input-type=module`): the
 * process's worker threads would inherit the flag.
 */
function inFreshProcess(script: string, env: Record<string, string> = {}): { stdout: string; stderr: string } {
  const body = `(async () => {\n${script}\n})().catch((e) => { console.error(e); process.exit(1); });`;
  const { stdout, stderr, status } = spawnSync(process.execPath, [...TS_NODE_ARGS, '-e', body], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (status !== 0) throw new Error(`the probe exited ${status}: ${stderr.slice(-2000)}`);
  return { stdout, stderr };
}

describe("the modules of a user's TypeScript file", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-compile-cache-'));
    dirs.push(dir);
    return dir;
  };

  it('have the same URL in every process that imports them, so that a compile cache finds them again', () => {
    const file = path.join(tempDir(), 'where.ts');
    writeFileSync(file, 'export const url: string = import.meta.url;\n');
    const urlIn = (): string => inFreshProcess(`const { importModule } = await import(${JSON.stringify(IMPORT_MODULE)}); process.stdout.write((await importModule(${JSON.stringify(file)})).url);`).stdout;
    const first = urlIn();
    // Through tsx: its namespace is in the URL.
    expect(first).toMatch(/where\.ts\?(tsx-)?namespace=\w+$/);
    expect(urlIn()).toBe(first);
  });

  it.runIf(typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function')(
    "are compiled once for good in a module agent's thread of a process that keeps a compile cache (Node 22.8+)",
    () => {
      const cache = tempDir();
      const run = `const { enableCompileCache } = await import('node:module');
        enableCompileCache(${JSON.stringify(cache)});
        const { loadManifest, MemoryRunStore, Orchestrator } = await import('batonjs');
        const orchestrator = new Orchestrator({ manifest: await loadManifest(${JSON.stringify(CLI_FIXTURE)}), store: new MemoryRunStore() });
        const result = await orchestrator.run('shortlist of laptops with prices');
        await orchestrator.close();
        if (result.status !== 'succeeded') throw new Error(result.status + ' ' + JSON.stringify(result.tasks));`;
      const files = (): number => readdirSync(cache, { recursive: true }).length;
      inFreshProcess(run);
      const kept = files();
      // What the agent's thread compiles (the fixture's combine.ts, through tsx) is read back, not compiled again.
      const { stderr } = inFreshProcess(run, { NODE_DEBUG_NATIVE: 'COMPILE_CACHE' });
      expect(stderr.split('\n').filter((line) => line.includes('agents/combine.ts') && line.includes('accepted'))).not.toEqual([]);
      expect(files()).toBe(kept);
      // In the process's own folder (named for Node's version), not in one of its own within it.
      const [versionDir, ...others] = readdirSync(cache);
      expect(others).toEqual([]);
      expect(readdirSync(path.join(cache, versionDir!), { withFileTypes: true }).filter((entry) => entry.isDirectory())).toEqual([]);
    },
  );
});
