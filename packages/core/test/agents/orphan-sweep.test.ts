import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processesWithEnv, waitForNone } from '../support/agent-processes.ts';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/agents');
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-orphans-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
// Baton records the owners of agent processes under the temporary directory, and every Baton
// process that starts an agent sweeps the orphans of dead owners found there. A private TMPDIR
// keeps the Baton processes of test files running alongside from sweeping these orphans first.
const env = { ...process.env, TMPDIR: tmp };

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Starts a Baton process (in its own process group) running a hung command agent that also left
 * its session; resolves once the agent, its child and the escaped process all run.
 */
async function startOwner(): Promise<{ owner: ReturnType<typeof spawn>; runId: string }> {
  const runId = `r_orphan_${randomBytes(4).toString('hex')}`;
  const pidFile = path.join(tmp, `${runId}.json`);
  const owner = spawn(process.execPath, ['--import', 'tsx', path.join(fixtures, 'start-hung-agent.ts'), pidFile, runId], { stdio: 'ignore', detached: true, env });
  await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').length > 0);
  // The agent (node), its child (node), the escaped sleep: all carry the run id.
  await until(() => processesWithEnv('BATON_RUN_ID', runId).length >= 3);
  return { owner, runId };
}

describe('command agents whose Baton process is killed', () => {
  it('are killed by the launcher at once when only the Baton process is SIGKILLed', async () => {
    const { owner, runId } = await startOwner();
    owner.kill('SIGKILL');
    expect(await waitForNone('BATON_RUN_ID', runId)).toEqual([]);
  });

  it('are killed, with everything they started, by the next Baton process when the launcher died too', async () => {
    const { owner, runId } = await startOwner();
    // The whole process group of the Baton process: it and its launcher; the agents have their own groups.
    process.kill(-owner.pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    // Nothing killed its agents: orphans, one of them outside any group Baton knows.
    expect(processesWithEnv('BATON_RUN_ID', runId).length).toBeGreaterThanOrEqual(3);

    const killed = execFileSync(process.execPath, ['--import', 'tsx', path.join(fixtures, 'sweep.ts')], { encoding: 'utf8', env });
    expect(Number(killed)).toBeGreaterThanOrEqual(3);
    expect(processesWithEnv('BATON_RUN_ID', runId)).toEqual([]);
  });
});
