#!/usr/bin/env node
// An installed package runs its compiled dist/. In a checkout of the Baton repository (src/ next to
// bin/) the CLI runs the TypeScript sources through tsx, and Baton's packages resolve to their
// sources (the `batonjs-source` export condition) in this process and in the processes it starts.
// BATON_CHECKOUT_DIST=1 runs a checkout's dist/ instead (built by `npm test` just before the tests
// that start hundreds of `baton` processes: ~0.5 s each to start against ~1.3 s through tsx), once
// it is known to be built from the sources beside it: else the sources run, and stderr says why.
import { existsSync } from 'node:fs';

const checkout = new URL('../src/cli/main.ts', import.meta.url);
const dist = new URL('../dist/cli/main.js', import.meta.url);

/** In a checkout, whether to run dist/: asked for, and not older than the sources. */
async function checkoutDist() {
  if (process.env.BATON_CHECKOUT_DIST !== '1') return false;
  const { CHECKOUT_PACKAGES, staleDist } = await import('./checkout-dist.mjs');
  // The test suite checks once for all the processes it starts (packages/core/test/support/dist-fresh.ts):
  // it names the checkout it checked.
  const why = process.env.BATON_CHECKOUT_DIST_FRESH === CHECKOUT_PACKAGES ? undefined : staleDist();
  const problem = why ?? (existsSync(dist) ? undefined : 'packages/core/dist/cli/main.js is missing');
  if (problem) process.stderr.write(`baton: running the sources, not dist/ (BATON_CHECKOUT_DIST=1): ${problem}; \`npm run build\` builds it\n`);
  return !problem;
}

if (existsSync(checkout) && !(await checkoutDist())) {
  const condition = '--conditions=batonjs-source';
  const inherited = process.env.NODE_OPTIONS ?? '';
  if (!inherited.includes(condition)) process.env.NODE_OPTIONS = `${inherited} ${condition}`.trim();
  if (!process.execArgv.includes(condition)) {
    const { register } = await import('node:module');
    register(new URL('./source-conditions.mjs', import.meta.url));
  }
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  await import(checkout.href);
} else {
  // Node 22.8+ keeps V8's code for Baton's modules on disk (os.tmpdir()/node-compile-cache, or
  // $NODE_COMPILE_CACHE), so a later start skips compiling them; this process only, a no-op before.
  const { enableCompileCache } = await import('node:module');
  enableCompileCache?.();
  await import(dist.href);
}
