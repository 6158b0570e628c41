/**
 * `isolation: none` module agents: one copy per thread for the orchestrators that use it at once,
 * closed when the last of them closes.
 */
import { mkdtempSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AGENT_CLOSE_MS } from '../../src/agents/agent-pool.ts';
import { holdModule } from '../../src/agents/shared-modules.ts';
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

/**
 * A manifest whose `isolation: none` agents (`echo`, and those named in `also`) all run
 * `agent.<ext>` of a new folder, with `source` as its text.
 */
async function manifestWithAgent(ext: 'ts' | 'mjs', source: string, also: string[] = []): Promise<{ manifest: Manifest; dir: string; file: string; log: () => string[] }> {
  // The real path: Node names a module by it, and the module logs under its own folder.
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'baton-shared-module-')));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  const file = path.join(dir, `agent.${ext}`);
  writeFileSync(file, source);
  const agent = { kind: 'module' as const, description: 'Echoes', produces: ['echo'], module: `./agent.${ext}`, isolation: 'none' as const };
  const names = ['echo', ...also];
  const manifest = await manifestFromObject(
    defineManifest({
      version: 1,
      orchestrator: { name: 'echo', description: 'Echoes', subagents: names, deliverable: ['echo'] },
      agents: Object.fromEntries(names.map((n) => [n, agent])),
    }),
    { baseDir: dir, file: path.join(dir, 'baton.yaml') },
  );
  return { manifest, dir, file, log: () => globalThis.sharedModuleLog?.[dir] ?? [] };
}

/** An agent's module that logs, under its folder, each time it is evaluated, run and closed. */
function loggingAgent(answer: string, withClose: boolean): string {
  return `import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
const dir = dirname(fileURLToPath(import.meta.url));
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

/** An agent's module whose close() logs, then ends after `ms` (never, for -1), failing if `fails`. */
function slowClosingAgent(ms: number, fails = false): string {
  return `import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
const dir = dirname(fileURLToPath(import.meta.url));
const log = ((globalThis.sharedModuleLog ??= {})[dir] ??= []);
log.push('loaded');
export default {
  run: () => {
    log.push('ran');
    return { echo: 'hi' };
  },
  close: () => {
    log.push('closing');
    if (${ms} < 0) return new Promise(() => {});
    return new Promise((resolve, reject) => setTimeout(() => {
      log.push('closed');
      if (${fails}) reject(new Error('the pool would not close'));
      else resolve();
    }, ${ms}));
  },
};
`;
}

const orchestratorOver = (manifest: Manifest): Orchestrator => new Orchestrator({ manifest, store: new MemoryRunStore() });

/** One run of `o`, whose one task agent `agent` does. */
async function runOnce(o: Orchestrator, agent = 'echo'): Promise<unknown> {
  const plan = { tasks: [{ id: 't1', title: 'echo', instructions: 'echo', agent, dependsOn: [], consumes: [], produces: ['echo'] }], requested: ['echo'] };
  const result = await o.run('echo hi', { plan });
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

  it('with a close(), stays loaded after its close: the next orchestrator runs the same copy (TypeScript was loaded again, a copy kept for good each time)', async () => {
    for (const ext of ['ts', 'mjs'] as const) {
      const { manifest, log } = await manifestWithAgent(ext, loggingAgent('hi', true));
      for (let i = 0; i < 2; i++) {
        const o = orchestratorOver(manifest);
        expect(await runOnce(o)).toBe('hi');
        await o.close();
      }
      expect(log(), ext).toEqual(['loaded', 'ran', 'closed', 'ran closed', 'closed']);
    }
  });

  it('with a close(), is run by an orchestrator that comes while it closes only once its close has ended', async () => {
    const { manifest, file, log } = await manifestWithAgent('ts', slowClosingAgent(100));
    const first = holdModule(file, 'echo');
    await first.module;
    const closing = first.release();
    const o = orchestratorOver(manifest);
    expect(await runOnce(o)).toBe('hi');
    await Promise.all([closing, o.close()]);
    expect(log()).toEqual(['loaded', 'closing', 'closed', 'ran', 'closing', 'closed']);
  });

  it('with a close() that never ends, holds up those that come until AGENT_CLOSE_MS after it began, and is not closed again', async () => {
    const { file, log } = await manifestWithAgent('ts', slowClosingAgent(-1));
    const first = holdModule(file, 'echo');
    await first.module;
    vi.useFakeTimers();
    try {
      void first.release();
      await vi.advanceTimersByTimeAsync(0);
      expect(log()).toEqual(['loaded', 'closing']);
      await vi.advanceTimersByTimeAsync(4_000);
      const second = holdModule(file, 'echo');
      let loaded = false;
      void second.module.then(() => (loaded = true));
      await vi.advanceTimersByTimeAsync(AGENT_CLOSE_MS - 4_001);
      expect(loaded).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(loaded).toBe(true);
      // The close still hangs: those that come now are not held up, and their release does not close it again.
      const third = holdModule(file, 'echo');
      let thirdLoaded = false;
      void third.module.then(() => (thirdLoaded = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(thirdLoaded).toBe(true);
      await Promise.all([second.release(), third.release()]);
      const fourth = holdModule(file, 'echo');
      let fourthLoaded = false;
      void fourth.module.then(() => (fourthLoaded = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(fourthLoaded).toBe(true);
    } finally {
      vi.useRealTimers();
    }
    expect(log()).toEqual(['loaded', 'closing']);
  });

  it('with a close(), is not closed again, nor twice at once, by a user that came during its close and left before it was handed the module', async () => {
    const { file, log } = await manifestWithAgent('ts', slowClosingAgent(100));
    const first = holdModule(file, 'echo');
    await first.module;
    const closing = first.release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log()).toEqual(['loaded', 'closing']);
    const second = holdModule(file, 'echo');
    await Promise.all([closing, second.release()]);
    expect(log()).toEqual(['loaded', 'closing', 'closed']);
  });

  it('with a close() that fails, hands the module to a user that waited for it, and the release says why', async () => {
    const { file, log } = await manifestWithAgent('ts', slowClosingAgent(50, true));
    const first = holdModule(file, 'echo');
    await first.module;
    const closing = first.release();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = holdModule(file, 'echo');
    await expect(closing).rejects.toThrow('the pool would not close');
    const { run } = await second.module;
    expect(await run({} as never, {} as never)).toEqual({ echo: 'hi' });
    expect(log()).toEqual(['loaded', 'closing', 'closed', 'ran']);
  });

  it('is loaded again once its TypeScript file changed', async () => {
    const { manifest, file } = await manifestWithAgent('ts', loggingAgent('first', false));
    const first = orchestratorOver(manifest);
    expect(await runOnce(first)).toBe('first');
    writeFileSync(file, loggingAgent('changed, longer', false));
    const changed = orchestratorOver(manifest);
    expect(await runOnce(changed)).toBe('changed, longer');
    await Promise.all([first.close(), changed.close()]);
  });

  it('is loaded again after what it exports was refused, though only a file it imports was fixed', async () => {
    const { manifest, dir } = await manifestWithAgent('ts', "export { default } from './impl.ts';\n");
    writeFileSync(path.join(dir, 'impl.ts'), 'export default 42;\n');
    const o = orchestratorOver(manifest);
    const refused = await o.run('echo hi');
    expect(refused.status).toBe('failed');
    writeFileSync(path.join(dir, 'impl.ts'), "export default () => ({ echo: 'fixed' });\n");
    expect(await runOnce(o)).toBe('fixed');
    await o.close();
  });

  it('is loaded again, by the same orchestrator and by others, after a load that failed though its file did not change', async () => {
    const { manifest, dir } = await manifestWithAgent('ts', "import { answer } from './answer.ts';\nexport default () => ({ echo: answer });\n");
    const o = orchestratorOver(manifest);
    const broken = await o.run('echo hi');
    expect(broken.status).toBe('failed');
    expect(JSON.stringify(broken.tasks)).toMatch(/agent 'echo': cannot load/);
    writeFileSync(path.join(dir, 'answer.ts'), "export const answer = 'fixed';\n");
    expect(await runOnce(o)).toBe('fixed');
    const other = orchestratorOver(manifest);
    expect(await runOnce(other)).toBe('fixed');
    await Promise.all([o.close(), other.close()]);
  });
  it('does not make a failed load an unhandled rejection when its hold is released without awaiting it', async () => {
    const { dir } = await manifestWithAgent('ts', loggingAgent('hi', false));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await holdModule(path.join(dir, 'missing.ts'), 'echo').release();
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('with a close(), is closed once when a hold comes and goes while the last one is released during the load', async () => {
    const { file, log } = await manifestWithAgent('ts', loggingAgent('hi', true));
    const first = holdModule(file, 'echo');
    const releasingFirst = first.release();
    const second = holdModule(file, 'echo');
    await Promise.all([releasingFirst, second.release()]);
    expect(log()).toEqual(['loaded', 'closed']);
  });
});

describe('an isolation: none JavaScript module agent with a close()', () => {
  it('is not closed under an orchestrator still using it when its file was touched meanwhile (Node keeps one copy)', async () => {
    const { manifest, file, log } = await manifestWithAgent('mjs', loggingAgent('hi', true));
    const first = orchestratorOver(manifest);
    expect(await runOnce(first)).toBe('hi');
    const later = new Date(Date.now() + 5_000);
    utimesSync(file, later, later);
    const second = orchestratorOver(manifest);
    expect(await runOnce(second)).toBe('hi');
    await first.close();
    expect(await runOnce(second)).toBe('hi');
    await second.close();
    expect(log()).toEqual(['loaded', 'ran', 'ran', 'ran', 'closed']);
  });

  it('is closed once, by the last to close, when two agents name its file', async () => {
    const { manifest, log } = await manifestWithAgent('mjs', loggingAgent('hi', true), ['twin']);
    const first = orchestratorOver(manifest);
    const second = orchestratorOver(manifest);
    expect(await runOnce(first)).toBe('hi');
    expect(await runOnce(second, 'twin')).toBe('hi');
    await first.close();
    expect(await runOnce(second, 'twin')).toBe('hi');
    await second.close();
    expect(log()).toEqual(['loaded', 'ran', 'ran', 'ran', 'closed']);
  });
});
