import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { STRAY_ERRORS_SHOWN } from '../../src/cli/stray-errors.ts';
import { inThreadProject } from './in-thread-project.ts';
import { baton } from './run-cli.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'baton-stray-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const LIMIT_MS = 20_000;

function countOf(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe("baton run with an agent in Baton's thread that leaves an error nobody handles", () => {
  it('goes on past a rejected promise the agent never awaited and a throw in its timer, naming the agent', async () => {
    const project = inThreadProject(
      tmp,
      'strays',
      [
        'export default {',
        '  async run() {',
        "    Promise.reject(new Error('a rejection nobody awaits'));",
        "    setTimeout(() => { throw new Error('a throw in a timer'); }, 5);",
        '    await new Promise((resolve) => setTimeout(resolve, 100));',
        "    return { note: 'written' };",
        '  },',
        '};',
        '',
      ].join('\n'),
    );
    const run = await baton(['run', '--store', 'memory', '--json', 'a note'], { cwd: project, killAfterMs: LIMIT_MS });

    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(EXIT.succeeded);
    const result = JSON.parse(run.stdout) as { status: string; tasks: { output: { note: string } }[] };
    expect(result.status).toBe('succeeded');
    expect(result.tasks[0]!.output.note).toBe('written');
    const named = `baton: agent 'inline' (${path.join(project, 'agent.mjs')}, isolation: none) left`;
    expect(run.stderr).toContain(`${named} a rejected promise that nothing awaited`);
    expect(run.stderr).toContain('a rejection nobody awaits');
    expect(run.stderr).toContain(`${named} an error thrown where nothing caught it`);
    expect(run.stderr).toContain('a throw in a timer');
  });

  it(`shows the first ${STRAY_ERRORS_SHOWN} of one agent's stray errors, then says more were left`, async () => {
    const project = inThreadProject(
      tmp,
      'many',
      [
        'export default {',
        '  async run() {',
        "    const every = setInterval(() => { throw new Error('again'); }, 2);",
        '    await new Promise((resolve) => setTimeout(resolve, 200));',
        '    clearInterval(every);',
        "    return { note: 'written' };",
        '  },',
        '};',
        '',
      ].join('\n'),
    );
    const run = await baton(['run', '--store', 'memory', '--json', 'a note'], { cwd: project, killAfterMs: LIMIT_MS });

    expect(run.code, run.stderr).toBe(EXIT.succeeded);
    expect(countOf(run.stderr, 'Error: again')).toBe(STRAY_ERRORS_SHOWN);
    expect(countOf(run.stderr, "baton: agent 'inline' left more errors nobody handled; they are not shown.")).toBe(1);
  });

  it("ends the process, as Node does, on a stray error its stack does not trace to the agent's own files", async () => {
    const project = inThreadProject(
      tmp,
      'package-stray',
      [
        "import { later } from 'timer-lib';",
        'export default {',
        '  async run() {',
        '    later();',
        '    await new Promise((resolve) => setTimeout(resolve, 100));',
        "    return { note: 'written' };",
        '  },',
        '};',
        '',
      ].join('\n'),
      {
        'node_modules/timer-lib/package.json': JSON.stringify({ name: 'timer-lib', type: 'module', exports: './index.js' }),
        'node_modules/timer-lib/index.js': "export function later() { setTimeout(() => { throw new Error('thrown in a package'); }, 5); }\n",
      },
    );
    const run = await baton(['run', '--store', 'memory', '--json', 'a note'], { cwd: project, killAfterMs: LIMIT_MS });

    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(EXIT.failed);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain("baton: an error nobody handled (an error thrown where nothing caught it), and its stack does not show it raised in the files of an agent with isolation: none");
    expect(run.stderr).toContain('thrown in a package');
  });
});
