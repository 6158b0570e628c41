/**
 * Vitest global setup. With BATON_CHECKOUT_DIST=1 (`npm test`) the `baton` processes the tests
 * start run the packages' built dist/: the suite does not start when a dist/ is older than its
 * sources (it would test old code), and tells those processes which checkout it found fresh
 * (BATON_CHECKOUT_DIST_FRESH), so that each of them does not walk the sources again. In watch
 * mode it looks again before each rerun.
 */
import type { TestProject } from 'vitest/node';
import { CHECKOUT_PACKAGES, staleDist } from '../../bin/checkout-dist.mjs';

function check(): void {
  delete process.env['BATON_CHECKOUT_DIST_FRESH'];
  const stale = staleDist();
  if (stale) throw new Error(`BATON_CHECKOUT_DIST=1 runs the built dist/, but ${stale}: run \`npm run build\` first (\`npm test\` does)`);
  process.env['BATON_CHECKOUT_DIST_FRESH'] = CHECKOUT_PACKAGES;
}

export default function checkDistIsFresh(project: TestProject): void {
  if (process.env['BATON_CHECKOUT_DIST'] !== '1') return;
  check();
  project.onTestsRerun(() => check());
}
