import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import { importOptional, installHint } from '../../src/core/optional.ts';

describe('the hint for a missing optional package', () => {
  it('says to install it in the project for a project-local or npx baton', () => {
    for (const root of ['/home/ann/app/node_modules/batonjs', '/home/ann/.npm/_npx/1f2e/node_modules/batonjs/', '/work/main/packages/core/']) {
      expect(installHint('batonjs-server', root)).toBe('install it next to batonjs (npm install batonjs-server)');
    }
  });

  it('says to install it globally, or both in the project, for a global baton', () => {
    for (const root of ['/usr/local/lib/node_modules/batonjs', '/home/ann/.nvm/versions/node/v24.1.0/lib/node_modules/batonjs/', 'C:\\Users\\ann\\AppData\\Roaming\\npm\\node_modules\\batonjs']) {
      const hint = installHint('batonjs-llm', root);
      expect(hint).toContain(`this baton is installed globally (${root})`);
      expect(hint).toContain('npm install -g batonjs-llm');
      expect(hint).toContain('npm install batonjs batonjs-llm');
    }
  });
});

describe('loading an optional package', () => {
  // Node's own errors (its CommonJS loader's: the test runner's import() has errors of its own;
  // the ES loader's wording is checked by `npm run check:install`, from a real install).
  const requireHere = createRequire(import.meta.url);
  /** Node's error for `specifier`, a subpath its package does not export, its entry's name then changed from `from` to `to`. */
  const notExported = (specifier: string, from?: string, to?: string): Promise<unknown> =>
    Promise.resolve()
      .then(() => requireHere(specifier))
      .catch((e: Error) => {
        if (from !== undefined && to !== undefined) e.message = e.message.replace(`'./${from}'`, `'./${to}'`);
        throw e;
      });

  it("falls back to a package's main entry when an older install does not export the entry asked for", async () => {
    const asked: string[] = [];
    // An older batonjs-server: Node's own error for a subpath its exports do not name.
    const older = (specifier: string): Promise<unknown> => {
      asked.push(specifier);
      return specifier === 'batonjs-server/a2a-agent' ? notExported('batonjs-server/no-such-entry', 'no-such-entry', 'a2a-agent') : import(specifier);
    };
    const server = await importOptional('batonjs-server/a2a-agent', 'agents of kind a2a', older);
    expect(typeof server.a2aAgentFactory).toBe('function');
    expect(asked).toEqual(['batonjs-server/a2a-agent', 'batonjs-server']);
  });

  it('does not fall back when what is not exported is what the package itself imports', async () => {
    // @a2a-js/sdk's error, as batonjs-server's entry would raise it: not the entry asked for.
    const inside = (specifier: string): Promise<unknown> => (specifier === 'batonjs-server/a2a-agent' ? notExported('@a2a-js/sdk/no-such-entry') : import(specifier));
    const error = await importOptional('batonjs-server/a2a-agent', 'agents of kind a2a', inside).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('names the package to install when it is missing, as the CommonJS loader words it too', async () => {
    // "Cannot find module 'batonjs-scale/postgres'": the entry, not the package, in quotes.
    const missing = (): Promise<unknown> =>
      Promise.resolve()
        .then(() => requireHere('batonjs-nothing-here/postgres'))
        .catch((e: Error) => {
          e.message = e.message.replaceAll('batonjs-nothing-here', 'batonjs-scale');
          throw e;
        });
    const error = await importOptional('batonjs-scale/postgres', 'a PostgreSQL journal', missing).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BatonError);
    expect((error as BatonError).message).toContain('a PostgreSQL journal needs the optional package batonjs-scale: install it next to batonjs (npm install batonjs-scale)');
  });
});
