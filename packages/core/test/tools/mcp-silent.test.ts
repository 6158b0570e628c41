/**
 * An MCP server that never answers `initialize`: the attempt ends at its timeout, the CLI exits
 * right after (not when the MCP SDK's own 60 s request timeout expires), and the server process
 * does not outlive Baton, even when Baton is SIGKILLed while it waits.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/core/types.ts';
import { spawnCli } from '../../../scale/test/helpers.ts';
import { processesWithEnv, waitForNone } from '../support/agent-processes.ts';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/agents');
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-mcp-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A manifest whose one llm agent has the silent MCP server as a tool; the server's processes carry `marker`. */
function manifest(marker: string): string {
  const file = path.join(tmp, `${marker}.yaml`);
  writeFileSync(
    file,
    [
      'version: 1',
      'orchestrator: { name: o, description: Answers questions, subagents: [asker], policy: { retries: 0 } }',
      'agents:',
      '  asker:',
      '    description: Answers a question with a tool',
      '    produces: [answer]',
      '    kind: llm',
      '    model: openai-compatible:any',
      '    timeoutMs: 2000',
      '    tools:',
      `      - { name: silent, mcp: { command: [node, ${JSON.stringify(path.join(fixtures, 'silent-mcp.mjs'))}], env: { BATON_TEST_MCP: ${marker} } } }`,
    ].join('\n'),
  );
  return file;
}

// No model is ever called: the tools open first, and never do. A private TMPDIR (where Baton
// records the owners of agent processes) keeps the Baton processes of test files running alongside
// from sweeping the orphaned server before this test looks for it.
const env = { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', TMPDIR: tmp };

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 25));
}

describe('an MCP server that never answers initialize', () => {
  it('times the attempt out, lets the CLI exit right after, and leaves no server process', async () => {
    const marker = `m${randomBytes(4).toString('hex')}`;
    const started = Date.now();
    const cli = spawnCli(['run', '-m', manifest(marker), '--json', '--store', path.join(tmp, `${marker}.db`), 'answer the question'], env, tmp);
    const code = await cli.exited;
    const elapsed = Date.now() - started;
    const result = JSON.parse(cli.stdout()) as RunResult;
    expect(code).toBe(1);
    expect(result.tasks[0]?.attempts.map((a) => a.status)).toEqual(['timeout']);
    // The SDK alone would wait 60 s for the answer to initialize; the 2 s timeout is what counts.
    expect(elapsed).toBeLessThan(30_000);
    expect(processesWithEnv('BATON_TEST_MCP', marker)).toEqual([]);
  });

  it('leaves no server process when Baton is SIGKILLed while it waits', async () => {
    const marker = `m${randomBytes(4).toString('hex')}`;
    const cli = spawnCli(['run', '-m', manifest(marker), '--store', path.join(tmp, `${marker}.db`), 'answer the question'], env, tmp);
    await until(() => processesWithEnv('BATON_TEST_MCP', marker).length > 0);
    cli.proc.kill('SIGKILL');
    await cli.exited;
    // Nothing else kills it: the next Baton process does.
    expect(processesWithEnv('BATON_TEST_MCP', marker).length).toBeGreaterThan(0);
    execFileSync(process.execPath, ['--import', 'tsx', path.join(fixtures, 'sweep.ts')], { encoding: 'utf8', env: { ...process.env, ...env } });
    expect(await waitForNone('BATON_TEST_MCP', marker)).toEqual([]);
  });
});
