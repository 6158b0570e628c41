/**
 * An ended run has its files: `run.json` is written before `run.ended` is journaled, so a process
 * killed the moment the journal holds the end leaves the file whole, not an ended run (which no
 * process carries on again) whose listed run.json is missing or cut short.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reduceEvents } from '../../src/core/reduce.ts';
import type { RunResult } from '../../src/core/types.ts';
import { SqliteRunStore } from '../../src/store/sqlite-store.ts';
import { CORE_FIXTURES, TS_NODE_ARGS } from '../support/paths.ts';

const root = mkdtempSync(path.join(tmpdir(), 'baton-run-end-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the end of a run', () => {
  it('leaves run.json whole when the process is SIGKILLed as soon as the journal holds run.ended', async () => {
    const file = path.join(root, 'j.db');
    const outDir = path.join(root, 'out');
    const child = spawn(process.execPath, [...TS_NODE_ARGS, path.join(CORE_FIXTURES, 'run-end/killed-at-end.ts'), file, outDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const signal = await new Promise((resolve) => child.on('close', (_code, s) => resolve(s)));
    expect(signal).toBe('SIGKILL');
    const runId = /run (\S+)/.exec(out)?.[1];

    const store = new SqliteRunStore({ file });
    let journaled: RunResult | undefined;
    try {
      journaled = reduceEvents(await store.readEvents(runId!));
    } finally {
      await store.close();
    }
    expect(journaled?.status).toBe('succeeded');
    const runJson = path.join(outDir, 'run.json');
    expect(journaled?.deliverable.files.map((f) => path.resolve(f))).toContain(runJson);
    expect(existsSync(runJson)).toBe(true);
    const written = JSON.parse(readFileSync(runJson, 'utf8')) as RunResult;
    expect(written).toEqual(journaled);
  });
});
