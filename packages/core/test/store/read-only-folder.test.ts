/**
 * A journal whose folder cannot be written (SQLite makes its -wal and -shm files there) is refused
 * with the hint that the folder must be writable, not with one about BATON_DATABASE_URL.
 */
import { chmodSync, chownSync, copyFileSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteRunStore } from '../../src/store/sqlite-store.ts';
import { baton } from '../durability/processes.ts';

const root = mkdtempSync(path.join(tmpdir(), 'baton-read-only-'));
afterAll(() => {
  chmodSync(path.join(root, 'journal'), 0o755);
  rmSync(root, { recursive: true, force: true });
});

/** Root writes a folder whatever its mode: as root, the process runs as nobody, who owns the journal. */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** True when a user other than the owner may run `file`: it and every folder above it let others in. */
function othersMayRun(file: string): boolean {
  for (let at = file; ; at = path.dirname(at)) {
    if ((statSync(at).mode & 0o001) === 0) return false;
    if (at === path.dirname(at)) return true;
  }
}

/** This Node, where nobody may run it: a Node installed in a private folder (mktemp's, nvm's under /root) is copied out. */
function nodeForNobody(): string {
  const node = realpathSync(process.execPath);
  if (othersMayRun(node)) return node;
  const copy = path.join(root, 'node');
  copyFileSync(node, copy);
  chmodSync(copy, 0o755);
  return copy;
}

describe('a journal in a folder that cannot be written', () => {
  it('is refused saying the file and its folder must be writable', async () => {
    const folder = path.join(root, 'journal');
    const file = path.join(folder, 'baton.db');
    await new SqliteRunStore({ file }).close();
    if (asRoot) {
      chmodSync(root, 0o755);
      chownSync(folder, NOBODY, NOBODY);
      chownSync(file, NOBODY, NOBODY);
    }
    chmodSync(folder, 0o555);
    const list = baton(['runs', 'list', '--store', file], { cwd: root, ...(asRoot ? { uid: NOBODY, gid: NOBODY, node: nodeForNobody() } : {}) });
    expect(await list.exit).toBe(1);
    expect(list.err()).toContain(`cannot open the journal database ${file}`);
    expect(list.err()).toContain('check that the file and its folder exist and are writable');
  });
});
