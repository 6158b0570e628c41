/**
 * Runs survive the loss of their process, through the real CLI on a real SQLite journal: a SIGKILLed
 * `baton run` is carried on by `baton runs resume --all` without re-running what succeeded, under the
 * manifest it journaled; a live owner keeps its run; a cancel reaches the run wherever it runs.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/core/events.ts';
import type { RunResult } from '../../src/core/types.ts';
import { SqliteRunStore } from '../../src/store/sqlite-store.ts';
import { CORE_FIXTURES } from '../support/paths.ts';
import { agentLog, baton, until } from './processes.ts';

const root = mkdtempSync(path.join(tmpdir(), 'baton-durable-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dir: string;
let manifest: string;
let log: string;
let n = 0;
beforeEach(() => {
  dir = path.join(root, `case-${++n}`);
  cpSync(path.join(CORE_FIXTURES, 'durable'), dir, { recursive: true });
  manifest = path.join(dir, 'baton.yaml');
  log = path.join(dir, 'agents.log');
});

const env = (delayMs: number): Record<string, string> => ({ BATON_TEST_LOG: log, BATON_TEST_DELAY_MS: String(delayMs) });

/** Starts a run and SIGKILLs its process once the first task's success is journaled and the second task has started. */
async function runKilledAfterFirstTask(): Promise<string> {
  const before = agentLog(log).length;
  const p = baton(['run', '-m', manifest, '--store', 'j.db', '--out', 'out', 'carry the numbers'], { cwd: dir, env: env(700) });
  const second = await until('the second task to start', () => agentLog(log).slice(before).find((l) => l.kind === 'started' && l.task.includes('second')));
  // The first task's success was emitted before the second task was launched; its batch is written a tick later.
  await new Promise((r) => setTimeout(r, 150));
  p.child.kill('SIGKILL');
  await p.exit;
  return second.runId;
}

async function eventsOf(runId: string): Promise<RunEvent[]> {
  const store = new SqliteRunStore({ file: path.join(dir, 'j.db') });
  try {
    return await store.readEvents(runId);
  } finally {
    await store.close();
  }
}

describe('a run whose process died', () => {
  it('is carried on by `baton runs resume --all`, with no succeeded task run again', async () => {
    const runId = await runKilledAfterFirstTask();
    const resumed = baton(['runs', 'resume', '--all', '--store', 'j.db', '--json'], { cwd: dir, env: env(50) });
    expect(await resumed.exit, resumed.err()).toBe(0);
    expect(resumed.err()).toContain(`carrying on 1 run(s): ${runId}`);
    const [result] = JSON.parse(resumed.out()) as RunResult[];
    expect(result?.status).toBe('succeeded');
    expect(result?.deliverable.artifacts).toEqual({ third: { by: 'three', n: 3 } });
    const lines = agentLog(log);
    expect(lines.filter((l) => l.kind === 'started' && l.task.includes('first'))).toHaveLength(1);
    const events = await eventsOf(runId);
    const resumedEvent = events.find((e): e is Extract<RunEvent, { type: 'run.resumed' }> => e.type === 'run.resumed');
    expect(resumedEvent?.reason).toMatch(/its process \d+ on .* is gone/);
    expect(resumedEvent?.owner?.pid).toBe(resumed.child.pid);
    expect(events.every((e) => e.v === 2)).toBe(true);
  });

  it('continues under the manifest it journaled, says the file changed, and takes the new one only when asked', async () => {
    const runId = await runKilledAfterFirstTask();
    // The third step now fails in the file; the journaled manifest still has the working one.
    writeFileSync(path.join(dir, 'agents/broken.mjs'), "export default () => { throw new Error('the new third step is broken'); };\n");
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('./agents/three.mjs', './agents/broken.mjs'));
    const resumed = baton(['runs', 'resume', runId, '--store', 'j.db', '--json'], { cwd: dir, env: env(50) });
    expect(await resumed.exit, resumed.err()).toBe(0);
    expect(resumed.err()).toContain('the manifest changed since the run started');
    expect((JSON.parse(resumed.out()) as RunResult).status).toBe('succeeded');

    const second = await runKilledAfterFirstTask();
    const current = baton(['runs', 'resume', second, '--store', 'j.db', '--json', '--use-current-manifest'], { cwd: dir, env: env(50) });
    expect(await current.exit, current.err()).toBe(1);
    const r = JSON.parse(current.out()) as RunResult;
    expect(r.status).toBe('failed');
    expect(r.tasks.find((t) => t.id.includes('third'))?.reason).toContain('the new third step is broken');
  });

  it('is ended here by `baton runs cancel`, with no agent run again', async () => {
    const runId = await runKilledAfterFirstTask();
    const started = agentLog(log).length;
    const cancel = baton(['runs', 'cancel', runId, '--store', 'j.db'], { cwd: dir });
    expect(await cancel.exit, cancel.err()).toBe(0);
    expect(cancel.err()).toContain('its process was gone, so it was ended here');
    const events = await eventsOf(runId);
    const ended = events.at(-1);
    expect(ended?.type === 'run.ended' && ended.status).toBe('cancelled');
    expect(agentLog(log)).toHaveLength(started);
  });
});

describe('a run whose process is alive', () => {
  it('is not resumed by another process, and is cancelled from another process within seconds', async () => {
    const p = baton(['run', '-m', manifest, '--store', 'j.db', '--out', 'out', 'carry the numbers'], { cwd: dir, env: env(20_000) });
    const first = await until('the first task to start', () => agentLog(log).find((l) => l.kind === 'started'));
    const resume = baton(['runs', 'resume', first.runId, '--store', 'j.db'], { cwd: dir });
    expect(await resume.exit).toBe(1);
    expect(resume.err()).toMatch(new RegExp(`it is running in process ${p.child.pid} on `));

    const asked = Date.now();
    const cancel = baton(['runs', 'cancel', first.runId, '--store', 'j.db'], { cwd: dir });
    expect(await cancel.exit, cancel.err()).toBe(0);
    expect(cancel.err()).toContain(`asked process ${p.child.pid} on `);
    expect(await p.exit).toBe(130);
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(p.err()).toContain('cancelled from the command line');
  });
});
