import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import ServicesFirstSequencer from './packages/core/test/support/services-first-sequencer.ts';

// Baton's packages resolve to their TypeScript sources in tests (the `batonjs-source` export condition).
const source = 'batonjs-source';
const tests = ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'];
// Tests that need Redis, PostgreSQL or Chromium are named *.int.test.ts; `npm run test:fast` leaves them out.
const needsServices = ['**/*.int.test.ts'];

// Vitest's default is one worker per core but one. Much of the suite's time is spent waiting on the
// processes, servers and services it starts: on 2 cores, with two workers the machine was idle ~40%
// of the Node 24 run (637 s); three kept it busy (508 s), four were slower again (560 s). Hence one
// worker more than the cores. BATON_TEST_WORKERS sets the number.
const maxWorkers = Number(process.env.BATON_TEST_WORKERS) || availableParallelism() + 1;

// The fast tier's files share their worker's modules instead of importing them afresh, file by
// file: on 2 cores its run took 265 s and 404 CPU-s that way against 370 s and 598 CPU-s (Node 24),
// most of the difference the ~0.8 s each file spent importing Baton. Every file restores what it
// changes (environment, timers, spies); BATON_TEST_ISOLATE=1 runs each file alone again, to tell a
// failure from a leak between files.
const isolate = process.env.BATON_TEST_ISOLATE === '1';

const shared = {
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
  // The sample report prints its PDF through Chromium (~3 s of CPU a run) only in the tests that
  // check it (they set BATON_REPORT_PDF=1): the others run the sample for what else it does.
  env: { BATON_REPORT_PDF: '0' },
  setupFiles: ['./packages/core/test/support/fast-check-seed.ts', './packages/core/test/support/source-conditions.ts', './packages/core/test/support/hang-reports.ts'],
};

export default defineConfig({
  ssr: { resolve: { conditions: [source, 'node', 'development|production'], externalConditions: [source] } },
  test: {
    maxWorkers,
    globalSetup: ['./packages/core/test/support/scratch-tmpdir.ts', './packages/core/test/support/dist-fresh.ts'],
    sequence: { sequencer: ServicesFirstSequencer },
    reporters: ['default', './packages/core/test/support/plain-summary-reporter.ts'],
    projects: [
      { extends: true, test: { ...shared, isolate, name: 'fast', include: tests, exclude: ['**/node_modules/**', ...needsServices] } },
      { extends: true, test: { ...shared, name: 'services', include: needsServices.flatMap(() => tests.map((t) => t.replace('*.test.ts', '*.int.test.ts'))) } },
    ],
  },
});
