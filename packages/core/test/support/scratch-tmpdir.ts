/**
 * Vitest global setup: the temporary files of a test run (the tests' journals and output folders,
 * the services they start, the `baton` processes they spawn) all go under one folder made for the
 * run, which is removed when the run ends. Many tests make a folder in the system's temporary
 * folder and never remove it: a machine that ran the suite a few times a day had thousands of them
 * left in /tmp.
 *
 * It works through TMPDIR, which Node's `os.tmpdir()` and the processes the tests start read, and
 * which the test workers inherit from this process.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Set to the run's folder while it is TMPDIR: Vitest calls a global setup once more for each project. */
const MADE = 'BATON_TESTS_TMPDIR';

export default function scratchTmpdir(): () => void {
  const previous = process.env['TMPDIR'];
  if (previous !== undefined && process.env[MADE] === previous) return () => undefined;
  const root = mkdtempSync(join(tmpdir(), 'baton-tests-'));
  // PostgreSQL's data folder, below this one, belongs to the user postgres, who must be able to reach it.
  chmodSync(root, 0o755);
  process.env['TMPDIR'] = root;
  process.env[MADE] = root;
  return () => {
    if (previous === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previous;
    delete process.env[MADE];
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
