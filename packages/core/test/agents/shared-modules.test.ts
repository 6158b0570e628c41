/**
 * `isolation: none` module agents: one copy per thread for the orchestrators that use it at once,
 * closed when the last of them closes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Orchestrator } from '../../src/orchestrator.ts';
import { defineManifest, manifestFromObject } from '../../src/manifest/index.ts';
import { MemoryRunStore } from '../../src/store/memory-store.ts';
import type { Manifest } from '../../src/core/types.ts';

declare global {
  var sharedModuleLog: Record<string, string[]> | undefined;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A manifest with one `isolation: none` agent, `echo`, in `agent.<ext>` of a new folder, with `source` as its text. */
async function manifestWithAgent(ext: 'ts' | 'mjs', source: string): Promise<{ manifest: Manifest; file: string; log: () => string[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-shared-module-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  const file = path.join(dir, `agent.${ext}`);
  writeFileSync(file, source);
  const manifest = await manifestFromObject(
    defineManifest({
      version: 1,
      orchestrator: { name: 'echo', description: 'Echoes', subagents: ['echo'], deliverable: ['echo'] },
      agents: { echo: { kind: 'module', description: 'Echoes', produces: ['echo'], module: `./agent.${ext}`, isolation: 'none' } },
    }),
    { baseDir: dir, file: path.join(dir, 'baton.yaml') },
  );
  return { manifest, file, log: () => globalThis.sharedModuleLog?.[dir] ?? [] };
}

/** An agent's module that logs, under its folder, each time it is evaluated, run and closed. */
function loggingAgent(answer: string, withClose: boolean): string {
  return `const dir = new URL('.', import.meta.url).pathname.replace(/\\/$/, '');
const log = ((globalThis.sharedModuleLog ??= {})[dir] ??= []);
log.push('loaded');
let closed = false;
export default {
  run: () => {
    log.push(closed ? 'ran closed' : 'ran');
    return { echo: ${JSON.stringify(answer)} };
  },
  ${withClose ? "close: async () => { closed = true; log.push('closed'); }," : ''}
};
`;
}

const orchestratorOver = (manifest: Manifest): Orchestrator => new Orchestrator({ manifest, store: new MemoryRunStore() });

async function runOnce(o: Orchestrator): Promise<unknown> {
  const result = await o.run('echo hi');
  expect(result.status).toBe('succeeded');
  return result.deliverable.artifacts['echo'];
}

describe('an isolation: none module agent', () => {
  it('is loaded once for the orchestrators made over its manifest (each tsx import was a new copy, kept for good)', async () => {
    const { manifest, log } = await manifestWithAgent('ts', loggingAgent('hi', false));
    for (let i = 0; i < 3; i++) {
      const o = orchestratorOver(manifest);
      expect(await runOnce(o)).toBe('hi');
      await o.close();
    }
    expect(log()).toEqual(['loaded', 'ran', 'ran', 'ran']);
  });

  it('with a close(), is closed when the last orchestrator using it closes, not under the others', async () => {
    for (const ext of ['ts', 'mjs'] as const) {
      const { manifest, log } = await manifestWithAgent(ext, loggingAgent('hi', true));
      const first = orchestratorOver(manifest);
      const second = orchestratorOver(manifest);
      expect(await runOnce(first)).toBe('hi');
      expect(await runOnce(second)).toBe('hi');
      await first.close();
      expect(await runOnce(second)).toBe('hi');
      await second.close();
      expect(log(), ext).toEqual(['loaded', 'ran', 'ran', 'ran', 'closed']);
    }
  });

  it('with a close(), is loaded again after it was closed (TypeScript: a new copy)', async () => {
    const { manifest, log } = await manifestWithAgent('ts', loggingAgent('hi', true));
    for (let i = 0; i < 2; i++) {
      const o = orchestratorOver(manifest);
      expect(await runOnce(o)).toBe('hi');
      await o.close();
    }
    expect(log()).toEqual(['loaded', 'ran', 'closed', 'loaded', 'ran', 'closed']);
  });

  it('is loaded again once its TypeScript file changed, or after a load that failed', async () => {
    const { manifest, file } = await manifestWithAgent('ts', 'export default (: number) => 1;\n');
    const broken = orchestratorOver(manifest);
    const result = await broken.run('echo hi');
    expect(result.status).toBe('failed');
    expect(JSON.stringify(result.tasks)).toContain('cannot load');
    await broken.close();
    writeFileSync(file, loggingAgent('fixed', false));
    const fixed = orchestratorOver(manifest);
    expect(await runOnce(fixed)).toBe('fixed');
    writeFileSync(file, loggingAgent('changed, longer', false));
    const changed = orchestratorOver(manifest);
    expect(await runOnce(changed)).toBe('changed, longer');
    await Promise.all([fixed.close(), changed.close()]);
  });
});
