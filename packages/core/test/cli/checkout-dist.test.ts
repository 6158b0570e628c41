import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CHECKOUT_PACKAGES, staleDist } from '../../bin/checkout-dist.mjs';

const repo = path.resolve(import.meta.dirname, '../../../..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Sets a file's (or folder's) modification time, in seconds since the epoch. */
const touch = (file: string, at: number): void => utimesSync(file, at, at);

/**
 * A packages/ folder: `core` (it builds) built at t=2000 from sources last changed at t=1000;
 * `docs` has sources but no build, so no dist/ to check.
 */
function packagesDir(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'baton-checkout-dist-'));
  dirs.push(root);
  const packages = path.join(root, 'packages');
  for (const dir of ['core/src/cli', 'core/dist/cli', 'docs/src']) mkdirSync(path.join(packages, dir), { recursive: true });
  writeFileSync(path.join(packages, 'core/package.json'), '{ "type": "module", "scripts": { "build": "tsc" } }\n');
  writeFileSync(path.join(packages, 'docs/package.json'), '{ "scripts": {} }\n');
  writeFileSync(path.join(packages, 'docs/src/guide.md'), '# Guide\n');
  writeFileSync(path.join(packages, 'core/src/cli/main.ts'), "console.log('sources');\n");
  writeFileSync(path.join(packages, 'core/src/index.ts'), 'export {};\n');
  writeFileSync(path.join(packages, 'core/dist/cli/main.js'), "console.log('dist');\n");
  writeFileSync(path.join(packages, 'core/dist/index.js'), 'export {};\n');
  for (const f of ['core/src/cli/main.ts', 'core/src/index.ts']) touch(path.join(packages, f), 1000);
  touch(path.join(packages, 'core/dist/index.js'), 2000);
  touch(path.join(packages, 'docs/src/guide.md'), 3000);
  return packages;
}

describe('staleDist (BATON_CHECKOUT_DIST=1 in a checkout)', () => {
  it('accepts a dist/ built after every change to its sources, and leaves out a package that does not build', () => {
    expect(staleDist(packagesDir())).toBeUndefined();
  });

  it('names a source file changed after the build', () => {
    const packages = packagesDir();
    touch(path.join(packages, 'core/src/cli/main.ts'), 3000);
    expect(staleDist(packages)).toBe('packages/core/src/cli/main.ts changed after packages/core/dist/ was built');
  });

  it("leaves editors' files out (a swap file, a lock link to nowhere): they are not sources", () => {
    const packages = packagesDir();
    writeFileSync(path.join(packages, 'core/src/cli/.main.ts.swp'), 'x');
    touch(path.join(packages, 'core/src/cli/.main.ts.swp'), 3000);
    symlinkSync('root@host.1234', path.join(packages, 'core/src/.#index.ts'));
    symlinkSync(path.join(packages, 'nowhere.ts'), path.join(packages, 'core/src/gone.ts'));
    expect(staleDist(packages)).toBeUndefined();
  });

  it('says when a package with sources has no dist/ at all', () => {
    const packages = packagesDir();
    rmSync(path.join(packages, 'core/dist'), { recursive: true });
    expect(staleDist(packages)).toBe('packages/core/dist/ is not built');
  });

  it("is checked once by the suite's setup, which tells the processes it starts", () => {
    // `npm test` sets BATON_CHECKOUT_DIST=1; `npx vitest` does not, and then nothing is checked.
    expect(process.env['BATON_CHECKOUT_DIST_FRESH']).toBe(process.env['BATON_CHECKOUT_DIST'] === '1' ? CHECKOUT_PACKAGES : undefined);
  });
});

describe('bin/baton.js in a checkout with BATON_CHECKOUT_DIST=1', () => {
  /** A checkout whose CLI prints which of its two entry points ran. */
  function checkout(): { packages: string; run(env?: Record<string, string>): { stdout: string; stderr: string } } {
    const packages = packagesDir();
    const root = path.dirname(packages);
    mkdirSync(path.join(packages, 'core/bin'));
    for (const f of ['baton.js', 'checkout-dist.mjs', 'source-conditions.mjs']) copyFileSync(path.join(repo, 'packages/core/bin', f), path.join(packages, 'core/bin', f));
    // The sources run through tsx, found in the repository's node_modules.
    symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
    const run = (env: Record<string, string> = {}): { stdout: string; stderr: string } => {
      // What the suite's setup told this process is about the repository's dist/, not this one.
      const { BATON_CHECKOUT_DIST_FRESH: _checked, ...inherited } = process.env;
      const r = spawnSync(process.execPath, [path.join(packages, 'core/bin/baton.js')], { encoding: 'utf8', env: { ...inherited, BATON_CHECKOUT_DIST: '1', ...env } });
      return { stdout: r.stdout.trim(), stderr: r.stderr.trim() };
    };
    return { packages, run };
  }

  it('runs dist/ when it was built after the sources', () => {
    expect(checkout().run()).toEqual({ stdout: 'dist', stderr: '' });
  });

  it('runs the sources, and says why, once a source file changed after the build', () => {
    const c = checkout();
    touch(path.join(c.packages, 'core/src/cli/main.ts'), 3000);
    expect(c.run()).toEqual({
      stdout: 'sources',
      stderr: 'baton: running the sources, not dist/ (BATON_CHECKOUT_DIST=1): packages/core/src/cli/main.ts changed after packages/core/dist/ was built; `npm run build` builds it',
    });
  });

  it('runs the sources, and says why, when dist/ has no CLI', () => {
    const c = checkout();
    rmSync(path.join(c.packages, 'core/dist/cli'), { recursive: true });
    expect(c.run()).toEqual({
      stdout: 'sources',
      stderr: 'baton: running the sources, not dist/ (BATON_CHECKOUT_DIST=1): packages/core/dist/cli/main.js is missing; `npm run build` builds it',
    });
  });

  it("trusts the suite's check for the checkout it names, and no other", () => {
    const c = checkout();
    touch(path.join(c.packages, 'core/src/cli/main.ts'), 3000);
    expect(c.run({ BATON_CHECKOUT_DIST_FRESH: `${c.packages}${path.sep}` }).stdout).toBe('dist');
    expect(c.run({ BATON_CHECKOUT_DIST_FRESH: CHECKOUT_PACKAGES }).stdout).toBe('sources');
  });
});
