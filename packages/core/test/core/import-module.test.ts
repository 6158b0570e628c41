import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { forgetModule, importModule } from '../../src/core/import-module.ts';

describe("importing a user's TypeScript file", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const folder = (): string => {
    const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'baton-import-module-')));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    return dir;
  };

  it('gives one copy while the file is unchanged, and a new one once a caller refused its exports', async () => {
    const dir = folder();
    const file = path.join(dir, 'agent.ts');
    writeFileSync(file, 'export const made: number = Math.random();\n');
    const first = await importModule(file);
    expect((await importModule(file)).made).toBe(first.made);
    forgetModule(file);
    expect((await importModule(file)).made).not.toBe(first.made);
  });

  it('leaves a copy a caller kept working after another refused it: its lazy imports of TypeScript still load', async () => {
    const dir = folder();
    const file = path.join(dir, 'agent.ts');
    writeFileSync(path.join(dir, 'later.ts'), "export const later: string = 'loaded';\n");
    writeFileSync(file, "export const lazy = async (): Promise<string> => (await import('./later.ts')).later;\n");
    const kept = (await importModule(file)) as { lazy: () => Promise<string> };
    forgetModule(file);
    await importModule(file);
    expect(await kept.lazy()).toBe('loaded');
  });
});
