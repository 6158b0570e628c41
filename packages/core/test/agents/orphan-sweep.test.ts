import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/agents');
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-orphans-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('command agents orphaned by a killed Baton process', () => {
  it('are killed, with everything they started, by the next Baton process that starts command agents', async () => {
    const pidFile = path.join(tmp, 'hung.json');
    const owner = spawn(process.execPath, ['--import', 'tsx', path.join(fixtures, 'start-hung-agent.ts'), pidFile], { stdio: 'ignore' });
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').length > 0);
    const { pid, child } = JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number; child: number };
    owner.kill('SIGKILL');
    await new Promise((r) => owner.once('exit', r));
    // The owner is gone and nothing killed its agent: an orphan.
    expect(alive(pid)).toBe(true);
    expect(alive(child)).toBe(true);

    const killed = execFileSync(process.execPath, ['--import', 'tsx', path.join(fixtures, 'sweep.ts')], { encoding: 'utf8' });
    expect(Number(killed)).toBeGreaterThanOrEqual(1);
    await until(() => !alive(pid) && !alive(child));
  });
});
