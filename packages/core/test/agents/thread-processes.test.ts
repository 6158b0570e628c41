/**
 * The processes a module agent starts from its worker thread carry a token, as a command agent's
 * do: those of an attempt that is stopped are stopped with it; the others are killed when the
 * thread ends, or by the next Baton process when this one exits first.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/core/contracts.ts';
import { AttemptAbort } from '../../src/execution/attempt.ts';
import { processesWithEnv, waitForNone } from '../support/agent-processes.ts';
import { runTricky as run, trickyAgent } from './tricky-agent.ts';

const agents: Agent[] = [];
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-thread-processes-'));
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close?.()));
  rmSync(tmp, { recursive: true, force: true });
});

const MARK = 'BATON_TEST_MARK';
let marks = 0;
const newMark = (): string => `thread-${process.pid}-${Date.now()}-${++marks}`;

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Kills what a failed assertion left, then returns it for the assertion. */
function leftover(pids: number[]): number[] {
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  return pids;
}

describe('processes a module agent starts from its worker thread', () => {
  it("are stopped with their attempt when it is stopped; what its signal starts is the thread's", async () => {
    const a = trickyAgent(agents);
    const mark = newMark();
    const controller = new AbortController();
    const running = run(a, `spawn-wait:${mark}`, 20_000, controller);
    await until(() => processesWithEnv(MARK, mark).length === 1);
    controller.abort(new AttemptAbort('cancelled', 'stopped by the test'));
    expect((await running).status).toBe('cancelled');
    expect(leftover(await waitForNone(MARK, mark))).toEqual([]);
    // The clean-up its signal started runs on, until its thread ends.
    await until(() => processesWithEnv(MARK, `${mark}-cleanup`).length === 1);
    await a.close?.();
    expect(leftover(processesWithEnv(MARK, `${mark}-cleanup`))).toEqual([]);
  });

  it('live on after an attempt that answered, started by spawn or spawnSync, until the agent closes', async () => {
    const a = trickyAgent(agents);
    const [spawned, fromShell] = [newMark(), newMark()];
    expect(await run(a, `spawn:${spawned}`)).toMatchObject({ status: 'succeeded' });
    expect(await run(a, `spawn-sync:${fromShell}`)).toEqual({ status: 'succeeded', output: { report: { status: 0 } } });
    await new Promise((r) => setTimeout(r, 300));
    expect(processesWithEnv(MARK, spawned)).toHaveLength(1);
    expect(processesWithEnv(MARK, fromShell)).toHaveLength(1);
    // The agent's close resolves once they are gone.
    await a.close?.();
    expect(leftover([...processesWithEnv(MARK, spawned), ...processesWithEnv(MARK, fromShell)])).toEqual([]);
  });

  it('are killed when their thread is terminated, blocked past a timeout', async () => {
    const mark = newMark();
    expect((await run(trickyAgent(agents), `spawn-spin:${mark}`, 1_000)).status).toBe('timeout');
    expect(leftover(await waitForNone(MARK, mark))).toEqual([]);
  });

  it.each(['exit', 'kill'])('are killed by the next Baton process when this one ends without closing the agent (%s)', (how) => {
    const mark = newMark();
    // A private TMPDIR: the Baton processes of other test files would sweep this orphan first.
    const env = { ...process.env, TMPDIR: tmp };
    const fixtures = path.resolve(import.meta.dirname, '../fixtures/agents');
    const ended = spawnSync(process.execPath, ['--import', 'tsx', path.join(fixtures, 'thread-spawn-exit.ts'), mark, how], { encoding: 'utf8', env });
    expect({ stdout: ended.stdout, signal: ended.signal }).toEqual({ stdout: 'succeeded', signal: how === 'kill' ? 'SIGKILL' : null });
    expect(processesWithEnv(MARK, mark)).toHaveLength(1);
    const killed = execFileSync(process.execPath, ['--import', 'tsx', path.join(fixtures, 'sweep.ts')], { encoding: 'utf8', env });
    expect(Number(killed)).toBe(1);
    expect(leftover(processesWithEnv(MARK, mark))).toEqual([]);
  });
});
