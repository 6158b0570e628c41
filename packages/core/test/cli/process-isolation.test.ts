/**
 * `isolation: process` through the real CLI: a module agent that fills its heap (in a way that,
 * in a worker thread, would end the whole process) fails its attempt, and the run goes on to its
 * fallback and succeeds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { baton } from './run-cli.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'baton-process-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const MANIFEST = `version: 1
orchestrator:
  name: process-isolation
  description: a note, from an agent that may exhaust its memory
  subagents: [hog, steady]
  deliverable: [note]
  policy: { retries: 0 }
agents:
  hog:
    kind: module
    description: writes notes, and may fill its heap
    module: ./hog.mjs
    isolation: process
    maxMemoryMb: 64
    produces: [note]
    fallback: [steady]
  steady:
    kind: module
    description: writes notes
    module: ./steady.mjs
    isolation: process
    produces: [note]
`;

describe('isolation: process, through baton run', () => {
  it('fails the attempt of a module that filled its heap, and the run succeeds with its fallback', async () => {
    writeFileSync(path.join(tmp, 'baton.yaml'), MANIFEST);
    writeFileSync(path.join(tmp, 'hog.mjs'), 'export default () => { const grown = {}; for (let i = 0; ; i++) grown[`p${i}`] = i; };\n');
    writeFileSync(path.join(tmp, 'steady.mjs'), "export default (input) => ({ note: `for ${input.goal}, from pid ${process.pid}` });\n");
    const result = await baton(['run', '--store', 'memory', '--json', 'a note'], { cwd: tmp, killAfterMs: 60_000 });
    expect(result.killed).toBe(false);
    expect(result.code).toBe(EXIT.succeeded);
    const run = JSON.parse(result.stdout) as { status: string; tasks: { output: { note: string }; attempts: { agent: string; status: string; error?: string }[] }[] };
    expect(run.status).toBe('succeeded');
    expect(run.tasks[0]!.attempts.map(({ agent, status, error }) => ({ agent, status, error }))).toEqual([
      { agent: 'hog', status: 'failed', error: "agent 'hog': its process ran out of memory: its JavaScript heap reached maxMemoryMb, 64 MB" },
      { agent: 'steady', status: 'succeeded', error: undefined },
    ]);
    expect(run.tasks[0]!.output.note).toMatch(/^for a note, from pid \d+$/);
  });
});
