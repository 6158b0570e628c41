import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.ts';
import { baton } from './run-cli.ts';

const fixture = path.resolve(import.meta.dirname, '../fixtures/cli');
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-usage-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const inFixture = { cwd: fixture };
const store = (): string[] => ['--store', path.join(tmp, 'journal.db')];

describe('the CLI refuses bad usage with exit 64, saying what was expected', () => {
  it('an empty or blank goal, for run and plan', async () => {
    const cases = [['run', ''], ['run', '  \t '], ['plan', ' ']];
    const results = await Promise.all(cases.map((args) => baton([...args, ...(args[0] === 'run' ? store() : [])], inFixture)));
    for (const [i, r] of results.entries()) {
      expect(r.code, cases[i]!.join(' ')).toBe(64);
      expect(r.stderr).toContain('the goal is empty: say what you want in plain language');
    }
  });

  it('runs list --status with an unknown status lists the valid ones', async () => {
    const r = await baton(['runs', 'list', '--status', 'bogus', ...store()], inFixture);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain("argument 'bogus' is invalid. Allowed choices are running, awaiting-approval, succeeded, partial, failed, cancelled.");
    expect(r.stdout).toBe('');
  });

  it('runs list --limit that is not a whole number >= 1', async () => {
    const limits = ['abc', '0', '-1', '1.5', ''];
    const results = await Promise.all(limits.map((limit) => baton(['runs', 'list', '--limit', limit, ...store()], inFixture)));
    for (const [i, r] of results.entries()) {
      const limit = limits[i]!;
      expect(r.code, `--limit ${limit}`).toBe(64);
      expect(r.stderr).toContain(`argument '${limit}' is invalid. expected a whole number >= 1`);
      expect(r.stderr).not.toContain('NaN');
    }
    // Past what a page holds, or not written in digits: refused rather than read as something else.
    const odd = await Promise.all(['1000', '1e3', '0x10'].map((limit) => baton(['runs', 'list', '--limit', limit, ...store()], inFixture)));
    expect(odd.map((r) => r.code)).toEqual([64, 64, 64]);
    expect(odd[0]!.stderr).toContain("argument '1000' is invalid. expected a whole number from 1 to 500");
    expect(odd[1]!.stderr).toContain("argument '1e3' is invalid. expected a whole number >= 1");
    const ok = await baton(['runs', 'list', '--limit', '3', ...store()], inFixture);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^no runs yet/);
  });

  it('runs prune without --older-than, or with a duration it cannot read', async () => {
    const missing = await baton(['runs', 'prune', ...store()], inFixture);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain("required option '--older-than <duration>' not specified");
    // Past 100000000 days the cutoff would be before the earliest date there is.
    const durations = ['7', '3x', '0d', '-2h', '99999999999d', '100000001d', '2400000025h'];
    const results = await Promise.all(durations.map((d) => baton(['runs', 'prune', '--older-than', d, '--dry-run', ...store()], inFixture)));
    for (const [i, r] of results.entries()) {
      expect(r.code, durations[i]).toBe(64);
      expect(r.stderr).toContain('expected a duration such as 7d, 12h or 30m (a whole number of days, hours or minutes, > 0 and at most 100000000d)');
      expect(r.stderr).not.toContain('RangeError');
    }
  });

  it('bare `baton` and a bare command group print their help and exit 64', async () => {
    const bare = await baton([], inFixture);
    expect(bare.code).toBe(64);
    expect(bare.stderr).toContain('Usage: baton [options] [command]');
    expect(bare.stderr).toMatch(/init \[options\] \[dir\]/);
    const runs = await baton(['runs'], inFixture);
    expect(runs.code).toBe(64);
    expect(runs.stderr).toContain('Usage: baton runs [options] [command]');
  });

  it('asked-for help exits 0', async () => {
    const r = await baton(['runs', 'prune', '--help'], inFixture);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--older-than <duration>');
  });
});

describe('the CLI describes itself', () => {
  it('--version prints the version of the batonjs package', async () => {
    const { version } = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    const r = await baton(['--version'], inFixture);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });

  it('every command, argument and option has a description', () => {
    const missing: string[] = [];
    const walk = (cmd: Command, prefix: string): void => {
      const name = `${prefix}${cmd.name()}`;
      if (!cmd.description()) missing.push(`command '${name}'`);
      for (const a of cmd.registeredArguments) if (!a.description) missing.push(`argument ${a.name()} of '${name}'`);
      for (const o of cmd.options) if (!o.description) missing.push(`option ${o.flags} of '${name}'`);
      for (const sub of cmd.commands) walk(sub, `${name} `);
    };
    const program = buildProgram();
    walk(program, '');
    expect(missing).toEqual([]);
    const names = (cmd: Command): string[] => cmd.commands.map((c) => c.name());
    expect(names(program)).toEqual(expect.arrayContaining(['run', 'plan', 'init', 'runs', 'agents', 'eval', 'serve', 'worker']));
    expect(names(program.commands.find((c) => c.name() === 'runs')!)).toEqual(['list', 'show', 'resume', 'approve', 'reject', 'cancel', 'delete', 'prune']);
  });
});
