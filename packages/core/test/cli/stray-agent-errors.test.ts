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

/** An agent module whose run does `steps`, waits `waitMs`, then answers. */
function agentSource(steps: string[], waitMs = 100, imports: string[] = []): string {
  return [...imports, 'export default {', '  async run() {', ...steps.map((step) => `    ${step}`), `    await new Promise((resolve) => setTimeout(resolve, ${waitMs}));`, "    return { note: 'written' };", '  },', '};', ''].join('\n');
}

const runNote = (project: string): ReturnType<typeof baton> => baton(['run', '--store', 'memory', '--json', 'a note'], { cwd: project, killAfterMs: LIMIT_MS });

function countOf(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe("baton run with an agent in Baton's thread that leaves an error nobody handles", () => {
  it('goes on past a rejected promise the agent never awaited and a throw in its timer, naming the agent', async () => {
    const project = inThreadProject(
      tmp,
      'strays',
      agentSource(["Promise.reject(new Error('a rejection nobody awaits'));", "setTimeout(() => { throw new Error('a throw in a timer'); }, 5);"]),
    );
    const run = await runNote(project);

    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(EXIT.succeeded);
    const result = JSON.parse(run.stdout) as { status: string; tasks: { output: { note: string } }[] };
    expect(result.status).toBe('succeeded');
    expect(result.tasks[0]!.output.note).toBe('written');
    const named = "baton: agent 'inline' (isolation: none) left";
    const where = `, raised in ${path.join(project, 'agent.mjs')}; Baton goes on`;
    expect(run.stderr).toContain(`${named} a rejected promise that nothing awaited${where}`);
    expect(run.stderr).toContain('a rejection nobody awaits');
    expect(run.stderr).toContain(`${named} an error thrown where nothing caught it${where}`);
    expect(run.stderr).toContain('a throw in a timer');
  });

  it(`shows the first ${STRAY_ERRORS_SHOWN} of one agent's stray errors, then says more were left`, async () => {
    const project = inThreadProject(
      tmp,
      'many',
      agentSource(["const every = setInterval(() => { throw new Error('again'); }, 2);", 'setTimeout(() => clearInterval(every), 200);'], 250),
    );
    const run = await runNote(project);

    expect(run.code, run.stderr).toBe(EXIT.succeeded);
    expect(countOf(run.stderr, 'Error: again')).toBe(STRAY_ERRORS_SHOWN);
    expect(countOf(run.stderr, "baton: agent 'inline' left more errors nobody handled; they are not shown.")).toBe(1);
  });

  it("ends the process, as Node does, on a stray error its stack does not trace to the agent's own files", async () => {
    const project = inThreadProject(
      tmp,
      'package-stray',
      agentSource(['later();'], 100, ["import { later } from 'timer-lib';"]),
      {
        'node_modules/timer-lib/package.json': JSON.stringify({ name: 'timer-lib', type: 'module', exports: './index.js' }),
        'node_modules/timer-lib/index.js': "export function later() { setTimeout(() => { throw new Error('thrown in a package'); }, 5); }\n",
      },
    );
    const run = await runNote(project);

    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(EXIT.failed);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain("baton: an error nobody handled (an error thrown where nothing caught it), and its stack does not show it raised in the files of an agent with isolation: none");
    expect(run.stderr).toContain('thrown in a package');
  });

  it('ends the process with its own message on a stray error whose stack cannot be read', async () => {
    const throwingStack = "Object.defineProperty(error, 'stack', { get() { throw new Error('no stack to read'); } });";
    const project = inThreadProject(tmp, 'unprintable', agentSource(["const error = new Error('hidden');", throwingStack, 'Promise.reject(error);']));
    const run = await runNote(project);

    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(EXIT.failed);
    expect(run.stderr).toContain('baton: an error nobody handled (a rejected promise that nothing awaited)');
    // Node 20's inspect() reads the stack and throws with it; Node 24's prints the error without it.
    expect(run.stderr).toMatch(/\(an error that cannot be printed: \[object Error\]\)|\[Error: hidden\]/);
  });
});
