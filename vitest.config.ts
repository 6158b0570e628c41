import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Baton's packages resolve to their TypeScript sources in tests (the `batonjs-source` export condition).
const source = 'batonjs-source';
const tests = ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'];
// Tests that need Redis, PostgreSQL or Chromium are named *.int.test.ts; `npm run test:fast` leaves them out.
const needsServices = ['**/*.int.test.ts'];

// Vitest's default is one worker per core but one, so a 2-core machine ran every file in turn; most
// of the suite's time is spent waiting on the processes, servers and services it starts, and two
// workers took a 2-core run from 772 s to 595 s (three: 573 s).
const maxWorkers = Math.max(2, availableParallelism() - 1);

const shared = {
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
  setupFiles: ['./packages/core/test/support/fast-check-seed.ts', './packages/core/test/support/source-conditions.ts'],
};

export default defineConfig({
  ssr: { resolve: { conditions: [source, 'node', 'development|production'], externalConditions: [source] } },
  test: {
    maxWorkers,
    globalSetup: ['./packages/core/test/support/dist-fresh.ts'],
    reporters: ['default', './packages/core/test/support/plain-summary-reporter.ts'],
    projects: [
      { extends: true, test: { ...shared, name: 'fast', include: tests, exclude: ['**/node_modules/**', ...needsServices] } },
      { extends: true, test: { ...shared, name: 'services', include: needsServices.flatMap(() => tests.map((t) => t.replace('*.test.ts', '*.int.test.ts'))) } },
    ],
  },
});
