/**
 * The checkout's `baton` command as the CLI benchmarks start it: from the built dist/ (`npm run
 * bench` builds it), checked once here to be newer than the sources, so that no start walks them
 * again and no figure is the sources' through tsx.
 */
import path from 'node:path';
import { CHECKOUT_PACKAGES, staleDist } from '../packages/core/bin/checkout-dist.mjs';

export const REPO = path.resolve(import.meta.dirname, '..');
export const BATON = path.join(REPO, 'packages/core/bin/baton.js');

/** The environment of a `baton` process of the benchmarks. Throws when dist/ is older than the sources. */
export function distEnv(): NodeJS.ProcessEnv {
  const stale = staleDist();
  if (stale) throw new Error(`${stale}: run \`npm run build\` (\`npm run bench\` does)`);
  // A bench started with the sources' condition (to import them) must not hand it to dist/, whose imports would then resolve to .ts files.
  const nodeOptions = (process.env.NODE_OPTIONS ?? '').replace(/--conditions[= ]batonjs-source/g, '').trim();
  return { ...process.env, NODE_OPTIONS: nodeOptions, BATON_CHECKOUT_DIST: '1', BATON_CHECKOUT_DIST_FRESH: CHECKOUT_PACKAGES, NO_COLOR: '1' };
}
