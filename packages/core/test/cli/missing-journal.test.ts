import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baton } from './run-cli.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'baton-missing-journal-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('commands about runs on a journal that does not exist', () => {
  // A mistyped --store, or a command run in the wrong folder: nothing there to read.
  const folder = path.join(tmp, 'mistyped');
  const file = path.join(folder, 'journal.db');
  const store = ['--store', file];
  const noJournal = `no run r_missing: there is no journal at ${file} (check --store or BATON_DATABASE_URL, or run the command in the folder the run was started from)`;

  it('lists no runs and says there is no journal, creating none', async () => {
    const list = await baton(['runs', 'list', ...store], { cwd: tmp });
    expect(list.code).toBe(0);
    expect(list.stdout).toBe(`no runs yet: there is no journal at ${file}\n`);
    const json = await baton(['runs', 'list', '--json', ...store], { cwd: tmp });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
    const prune = await baton(['runs', 'prune', '--older-than', '1d', '--json', ...store], { cwd: tmp });
    expect(prune.code).toBe(0);
    expect(JSON.parse(prune.stdout)).toEqual({ deleted: [], skipped: [] });
    expect(existsSync(folder)).toBe(false);
  });

  it('refuses a run id, saying the journal is missing rather than the run, creating none', async () => {
    const commands = [['show'], ['delete'], ['cancel'], ['approve'], ['reject'], ['resume']];
    const results = await Promise.all(commands.map((c) => baton(['runs', ...c, 'r_missing', ...store], { cwd: tmp })));
    for (const [i, r] of results.entries()) {
      expect(r.code, commands[i]!.join(' ')).toBe(1);
      expect(r.stderr, commands[i]!.join(' ')).toBe(`baton: ${noJournal}\n`);
    }
    expect(existsSync(folder)).toBe(false);
  });

  it('has no run to carry on with resume --all, creating none', async () => {
    const all = await baton(['runs', 'resume', '--all', ...store], { cwd: tmp });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).toBe(`no run to carry on: there is no journal at ${file}\n`);
    expect(existsSync(folder)).toBe(false);
  });

  it('does not create the default journal of the folder it runs in', async () => {
    const list = await baton(['runs', 'list'], { cwd: tmp, env: { BATON_DATABASE_URL: '' } });
    expect(list.code).toBe(0);
    expect(list.stdout).toBe(`no runs yet: there is no journal at ${path.join(tmp, '.baton', 'baton.db')}\n`);
    expect(existsSync(path.join(tmp, '.baton'))).toBe(false);
  });
});
