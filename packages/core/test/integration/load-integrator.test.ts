import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/define-agent.ts';
import { Orchestrator } from '../../src/orchestrator.ts';
import { defineManifest, manifestFromObject } from '../../src/manifest/index.ts';
import { MemoryRunStore } from '../../src/store/memory-store.ts';
import type { Manifest, RunResult } from '../../src/core/types.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

declare global {
  var integratorEvaluations: Record<string, number> | undefined;
}

/** A manifest whose integrator is `integrator.ts` in a new folder, with `source` as its text. */
async function manifestWithIntegrator(source: string): Promise<{ manifest: Manifest; file: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-integrator-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  const file = path.join(dir, 'integrator.ts');
  writeFileSync(file, source);
  const manifest = await manifestFromObject(
    defineManifest({
      version: 1,
      orchestrator: { name: 'echo', description: 'Echoes', subagents: ['echo'], deliverable: ['echo'], integrator: './integrator.ts' },
      agents: { echo: { kind: 'command', description: 'Echoes', produces: ['echo'], command: ['cat'] } },
    }),
    { baseDir: dir, file: path.join(dir, 'baton.yaml') },
  );
  return { manifest, file };
}

const echo = defineAgent({ name: 'echo', description: 'Echoes', produces: ['echo'], run: () => ({ echo: 'hi' }) });

/** One run of `echo hi` over `manifest`, in an orchestrator of its own. */
async function runOnce(manifest: Manifest): Promise<RunResult> {
  const orchestrator = new Orchestrator({ manifest, store: new MemoryRunStore(), agents: [echo] });
  try {
    return await orchestrator.run('echo hi');
  } finally {
    await orchestrator.close();
  }
}

async function runWith(manifest: Manifest): Promise<unknown> {
  const result = await runOnce(manifest);
  expect(result.status).toBe('succeeded');
  return result.deliverable.artifacts['echo'];
}

describe("a manifest's integrator module", () => {
  it('is loaded once for every orchestrator made over the manifest (each tsx import was a new copy, kept for good)', async () => {
    const { manifest, file } = await manifestWithIntegrator(
      `const seen = (globalThis.integratorEvaluations ??= {});
       seen[import.meta.url] = (seen[import.meta.url] ?? 0) + 1;
       export default (input: { artifacts: Record<string, unknown> }) => ({ artifacts: { echo: String(input.artifacts['echo']) + '!' } });\n`,
    );
    for (let i = 0; i < 3; i++) expect(await runWith(manifest)).toBe('hi!');
    const counts = Object.entries(globalThis.integratorEvaluations ?? {}).filter(([url]) => url.startsWith(`file://${file}`));
    expect(counts.map(([, n]) => n)).toEqual([1]);
  });

  it('is loaded again after a load that failed: the file may have been fixed', async () => {
    const { manifest, file } = await manifestWithIntegrator('export default (: number) => 1;\n');
    expect((await runOnce(manifest)).integration).toMatchObject({ ok: false, error: expect.stringContaining('cannot load') });
    writeFileSync(file, "export default () => ({ artifacts: { echo: 'fixed' } });\n");
    expect(await runWith(manifest)).toBe('fixed');
  });

  it('is loaded again after its export was refused, though only a file it imports was fixed', async () => {
    const { manifest, file } = await manifestWithIntegrator("export { default } from './impl.ts';\n");
    const impl = path.join(path.dirname(file), 'impl.ts');
    writeFileSync(impl, 'export default 42;\n');
    expect((await runOnce(manifest)).integration).toMatchObject({ ok: false, error: expect.stringContaining('must default-export a function') });
    writeFileSync(impl, "export default () => ({ artifacts: { echo: 'fixed' } });\n");
    expect(await runWith(manifest)).toBe('fixed');
  });

  it('is loaded again once its file changed, as each orchestrator did before', async () => {
    const { manifest, file } = await manifestWithIntegrator("export default () => ({ artifacts: { echo: 'first' } });\n");
    expect(await runWith(manifest)).toBe('first');
    writeFileSync(file, "export default () => ({ artifacts: { echo: 'second, longer' } });\n");
    expect(await runWith(manifest)).toBe('second, longer');
  });
});
