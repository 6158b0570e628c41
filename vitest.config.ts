import { defineConfig } from 'vitest/config';

// Baton's packages resolve to their TypeScript sources in tests (the `batonjs-source` export condition).
const source = 'batonjs-source';
const tests = ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'];
// Tests that need Redis, PostgreSQL or Chromium are named *.int.test.ts; `npm run test:fast` leaves them out.
const needsServices = ['**/*.int.test.ts'];

const shared = {
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
  setupFiles: ['./packages/core/test/support/fast-check-seed.ts', './packages/core/test/support/source-conditions.ts'],
};

export default defineConfig({
  ssr: { resolve: { conditions: [source, 'node', 'development|production'], externalConditions: [source] } },
  test: {
    reporters: ['default', './packages/core/test/support/plain-summary-reporter.ts'],
    projects: [
      { extends: true, test: { ...shared, name: 'fast', include: tests, exclude: ['**/node_modules/**', ...needsServices] } },
      { extends: true, test: { ...shared, name: 'services', include: needsServices.flatMap(() => tests.map((t) => t.replace('*.test.ts', '*.int.test.ts'))) } },
    ],
  },
});
