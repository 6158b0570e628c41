import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { EXIT_GRACE_MS } from '../../src/cli/exit-guard.ts';
import { inThreadProject } from './in-thread-project.ts';
import { baton } from './run-cli.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'baton-leftovers-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A project whose one agent runs in Baton's thread (`isolation: none`) and leaves a timer running. */
function leakingProject(name: string, body: string): string {
  return inThreadProject(tmp, name, `export default { async run() { setInterval(() => {}, 1000); ${body} } };\n`);
}

/** A hang fails on `killed`, with what the process printed, rather than on the test's timeout. */
const LIMIT_MS = 20_000;

describe('baton run with an agent that leaves something running in its thread', () => {
  it("ends once the run has, with the run's code, and names what held it", async () => {
    const project = leakingProject('succeeds', "return { note: 'done' };");
    const run = await baton(['run', '--store', 'memory', '--json', 'a note'], { cwd: project, killAfterMs: LIMIT_MS });

    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(EXIT.succeeded);
    expect((JSON.parse(run.stdout) as { status: string }).status).toBe('succeeded');
    expect(run.stderr).toContain(`baton: the command ended ${EXIT_GRACE_MS / 1000} s ago, but the process is still held by Timeout: exiting with its code, 0.`);
  });

  it('keeps a failed run\'s exit code', async () => {
    const project = leakingProject('fails', "throw new Error('no note today');");
    const run = await baton(['run', '--store', 'memory', 'a note'], { cwd: project, killAfterMs: LIMIT_MS });

    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(EXIT.failed);
    expect(run.stderr).toContain('no note today');
    expect(run.stderr).toContain('still held by Timeout: exiting with its code, 1.');
  });

  it('writes all of its output to a reader slower than the grace before it exits', async () => {
    const project = leakingProject('slow-reader', "return { note: 'x'.repeat(3_000_000) };");
    // Far more than a pipe holds: most of the JSON still waits in this process when the grace ends.
    const run = await baton(['run', '--store', 'memory', '--json', 'a note'], { cwd: project, killAfterMs: LIMIT_MS, readStdoutAfterMs: EXIT_GRACE_MS + 1500 });

    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(EXIT.succeeded);
    const result = JSON.parse(run.stdout) as { status: string; tasks: { output: { note: string } }[] };
    expect(result.status).toBe('succeeded');
    expect(result.tasks[0]!.output.note).toHaveLength(3_000_000);
  });
});
