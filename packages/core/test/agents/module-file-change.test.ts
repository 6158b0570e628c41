/**
 * A module agent's file that changes while Baton runs: a worker thread started later loads the new
 * code, whose version was never checked against the pin. It runs nothing, nor does any thread
 * started after it; the threads of the version checked go on.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ModuleThreadPool } from '../../src/agents/module-thread-pool.ts';
import type { AgentInput } from '../../src/core/types.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'baton-file-change-'));
const file = path.join(dir, 'changing.mjs');
const loadsFile = path.join(dir, 'loads');
const pools: ModuleThreadPool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** The module at `version`: it reports it, spins for good or waits 300 ms when told to. Each load adds a line to {@link loadsFile}. */
function write(version: string): void {
  writeFileSync(
    file,
    `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(loadsFile)}, '${version}\\n');\nexport const version = '${version}';\nexport default async (input) => {\n  if (input.task.instructions === 'spin') for (;;);\n  if (input.task.instructions === 'wait') await new Promise((r) => setTimeout(r, 300));\n  return { report: { version: '${version}' } };\n};\n`,
  );
}

/** The versions the module was loaded at, one a load, in order. */
const loads = (): string[] => readFileSync(loadsFile, 'utf8').split('\n').filter(Boolean);

const input = (instructions: string): AgentInput => ({ runId: 'r_change', goal: 'g', task: { id: 't1', title: 't', instructions }, inputs: {}, params: {}, attempt: 1 });

describe("a module agent's file changed while Baton runs", () => {
  it('runs nothing in a thread that loaded it at another version than the one checked', async () => {
    write('1.0.0');
    const pool = new ModuleThreadPool({ file, agent: 'changing' });
    pools.push(pool);
    expect(await pool.version()).toBe('1.0.0');
    expect(await pool.run(input('echo'), { signal: new AbortController().signal })).toEqual({ report: { version: '1.0.0' } });
    write('2.0.0');
    // A synchronous loop, stopped: its thread does not answer, and is terminated (then replaced).
    const controller = new AbortController();
    const spinning = pool.run(input('spin'), { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('not wanted any more')), 200);
    await expect(spinning).rejects.toThrow('not wanted any more');
    await sleep(1_500);
    const refused = /agent 'changing': its module was loaded again in a new worker thread and reports version 2\.0\.0, not version 1\.0\.0 as when its version was checked: .*changing\.mjs changed while Baton ran/;
    await expect(pool.run(input('echo'), { signal: new AbortController().signal })).rejects.toThrow(refused);
    // No thread is started again: the next attempt is refused without loading the module.
    const loaded = loads();
    expect(loaded.at(-1)).toBe('2.0.0');
    await expect(pool.run(input('echo'), { signal: new AbortController().signal })).rejects.toThrow(refused);
    await sleep(300);
    expect(loads()).toEqual(loaded);
  });

  it('runs the attempts of a busy agent in its threads of the version checked, not in a new one that loaded the changed file', async () => {
    write('1.0.0');
    const pool = new ModuleThreadPool({ file, agent: 'changing' });
    pools.push(pool);
    expect(await pool.version()).toBe('1.0.0');
    write('2.0.0');
    // While its thread is busy, more attempts: a second thread is started (on two cores or more),
    // loads 2.0.0, is ended, and hands them back to the first.
    const busy = pool.run(input('wait'), { signal: new AbortController().signal });
    await sleep(50);
    const outputs = await Promise.all([busy, ...[1, 2, 3].map(() => pool.run(input('echo'), { signal: new AbortController().signal }))]);
    expect(outputs).toEqual([1, 2, 3, 4].map(() => ({ report: { version: '1.0.0' } })));
    expect(await pool.run(input('echo'), { signal: new AbortController().signal })).toEqual({ report: { version: '1.0.0' } });
  });
});
