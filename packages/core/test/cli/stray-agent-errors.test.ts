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

/** An agent module whose run counts its attempts (`attempt`), does `steps`, waits `waitMs`, then answers. */
function agentSource(steps: string[], waitMs = 100, imports: string[] = []): string {
  return [
    ...imports,
    'let attempt = 0;',
    'export default {',
    '  async run() {',
    '    attempt++;',
    ...steps.map((step) => `    ${step}`),
    `    await new Promise((resolve) => setTimeout(resolve, ${waitMs}));`,
    '    return { note: `written by attempt ${attempt}` };',
    '  },',
    '};',
    '',
  ].join('\n');
}

interface Result {
  status: string;
  tasks: { status: string; output?: { note: string }; attempts: { status: string; error?: string }[] }[];
}

const runNote = (project: string): ReturnType<typeof baton> => baton(['run', '--store', 'memory', '--json', 'a note'], { cwd: project, killAfterMs: LIMIT_MS });

function countOf(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe("baton run with an agent in Baton's thread that leaves an error nobody handles", () => {
  it("fails the agent's attempt in flight, as the death of its thread would, and goes on to the retry", async () => {
    const project = inThreadProject(tmp, 'in-flight', agentSource(["if (attempt === 1) Promise.reject(new Error('a rejection nobody awaits'));"]), { retries: 1 });
    const run = await runNote(project);

    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(EXIT.succeeded);
    const result = JSON.parse(run.stdout) as Result;
    expect(result.status).toBe('succeeded');
    expect(result.tasks[0]!.output!.note).toBe('written by attempt 2');
    const agentFile = path.join(project, 'agent.mjs');
    expect(result.tasks[0]!.attempts.map((attempt) => attempt.status)).toEqual(['failed', 'succeeded']);
    expect(result.tasks[0]!.attempts[0]!.error).toContain(`agent 'inline' left an error nobody handled (a rejected promise that nothing awaited), raised in ${agentFile}: a rejection nobody awaits`);
    expect(run.stderr).toContain(
      `baton: agent 'inline' (isolation: none) left a rejected promise that nothing awaited, raised in ${agentFile}: its attempt in flight failed with it, as in a worker thread of its own; Baton goes on.`,
    );
  });

  it('only names an error the agent leaves once its attempt has ended', async () => {
    const project = inThreadProject(tmp, 'after', agentSource(["setTimeout(() => { throw new Error('a throw in a timer'); }, 150);"], 0));
    const run = await runNote(project);

    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(EXIT.succeeded);
    const result = JSON.parse(run.stdout) as Result;
    expect(result.status).toBe('succeeded');
    expect(result.tasks[0]!.attempts.map((attempt) => attempt.status)).toEqual(['succeeded']);
    expect(run.stderr).toContain(
      `baton: agent 'inline' (isolation: none) left an error thrown where nothing caught it, raised in ${path.join(project, 'agent.mjs')}: no attempt of it was in flight; Baton goes on.`,
    );
    expect(run.stderr).toContain('a throw in a timer');
  });

  it(`shows the first ${STRAY_ERRORS_SHOWN} of one agent's stray errors, then says more were left`, async () => {
    const project = inThreadProject(
      tmp,
      'many',
      agentSource(["setTimeout(() => { const every = setInterval(() => { throw new Error('again'); }, 2); setTimeout(() => clearInterval(every), 200); }, 50);"], 0),
    );
    const run = await runNote(project);

    expect(run.code, run.stderr).toBe(EXIT.succeeded);
    expect(countOf(run.stderr, 'Error: again')).toBe(STRAY_ERRORS_SHOWN);
    expect(countOf(run.stderr, "baton: agent 'inline' left more errors nobody handled; they are not shown")).toBe(1);
  });

  it("ends the process, as Node does, on a stray error its stack does not trace to the agent's own files", async () => {
    const project = inThreadProject(
      tmp,
      'package-stray',
      agentSource(['later();'], 100, ["import { later } from 'timer-lib';"]),
      {
        files: {
          'node_modules/timer-lib/package.json': JSON.stringify({ name: 'timer-lib', type: 'module', exports: './index.js' }),
          'node_modules/timer-lib/index.js': "export function later() { setTimeout(() => { throw new Error('thrown in a package'); }, 5); }\n",
        },
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
