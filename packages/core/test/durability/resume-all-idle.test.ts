/**
 * `baton runs resume --all`, the recovery job where no `baton serve` runs, needs no manifest when
 * there is nothing to carry on: it exits 0 from any folder, as it does when every unfinished run
 * has a live process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteRunStore } from '../../src/store/sqlite-store.ts';
import { baton } from './processes.ts';

const root = mkdtempSync(path.join(tmpdir(), 'baton-resume-idle-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('baton runs resume --all with no unfinished run', () => {
  it('exits 0 saying so, in a folder without baton.yaml', async () => {
    await new SqliteRunStore({ file: path.join(root, 'j.db') }).close();
    const resumed = baton(['runs', 'resume', '--all', '--store', 'j.db'], { cwd: root });
    expect(await resumed.exit, resumed.err()).toBe(0);
    expect(resumed.err()).toContain('no run to carry on: the journal holds no unfinished run');
  });
});
