/**
 * policy.maxOutputBytes: an output past it makes the attempt `invalid`, with a message naming its
 * size, the limit and the policy key, for every kind of agent, checked as early as each kind can.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCommandAgent } from '../../src/agents/command-agent.ts';
import { defineAgent } from '../../src/agents/define-agent.ts';
import { createModuleAgent } from '../../src/agents/module-agent.ts';
import type { Agent } from '../../src/core/contracts.ts';
import type { AgentInput, AgentSpec } from '../../src/core/types.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { runAttempt } from '../../src/execution/attempt.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'baton-limit-'));
const moduleFile = path.resolve(import.meta.dirname, '../fixtures/agents/modules/tricky.ts');
const closing: Agent[] = [];
afterAll(async () => {
  await Promise.all(closing.map((a) => a.close?.()));
  rmSync(tmp, { recursive: true, force: true });
});

const input = (instructions = ''): AgentInput => ({ runId: 'r_limit', goal: 'g', task: { id: 't1', title: 't', instructions }, inputs: {}, attempt: 1 });
const LIMIT_MESSAGE = /the output limit is \d+ bytes .*\(policy\.maxOutputBytes in the manifest\)/;

describe('policy.maxOutputBytes', () => {
  it('stops a command printing 100 MB at the default limit of 16 MiB', async () => {
    const spec: AgentSpec = {
      name: 'flood', description: 'd', version: '1', capabilities: [], consumes: [], produces: ['report'], kind: 'command',
      command: ['sh', '-c', `printf '{"report":"'; head -c 100000000 /dev/zero | tr '\\0' a; printf '"}'`], output: {}, fallback: [], baseDir: tmp,
    };
    const outcome = await runAttempt({ agent: createCommandAgent(spec), input: input(), produces: ['report'], timeoutMs: 30_000, controller: new AbortController() });
    expect(outcome.status).toBe('invalid');
    const error = outcome.status === 'succeeded' ? '' : outcome.error;
    expect(error).toMatch(/printed more than 16777216 bytes on stdout and was stopped/);
    expect(error).toMatch(/the output limit is 16777216 bytes \(16 MiB\) \(policy\.maxOutputBytes in the manifest\)/);
  });

  it.each(['thread', 'none'] as const)('rejects a module agent output over the limit (isolation %s)', async (isolation) => {
    const agent = createModuleAgent({
      name: 'tricky', description: 'd', version: '1', capabilities: [], consumes: [], produces: ['report'], kind: 'module', module: moduleFile, output: {}, fallback: [], isolation,
    });
    closing.push(agent);
    const outcome = await runAttempt({ agent, input: input('big:2000000'), produces: ['report'], timeoutMs: 30_000, maxOutputBytes: 1_000_000, controller: new AbortController() });
    expect(outcome.status).toBe('invalid');
    expect(outcome.status !== 'succeeded' && outcome.error).toMatch(/the output is at least 20000\d\d bytes \(1\.9 MiB\) as JSON/);
    expect(outcome.status !== 'succeeded' && outcome.error).toMatch(LIMIT_MESSAGE);
  });

  it("takes the limit from the orchestrator's policy", async () => {
    const wordy = defineAgent({ name: 'wordy', description: 'writes a long report', produces: ['report'], run: () => ({ report: 'w'.repeat(5_000) }) });
    const result = await createOrchestrator({ name: 'o', agents: [wordy], policy: { maxOutputBytes: 1_000, retries: 0 } }).run('write a long report');
    const attempt = result.tasks[0]?.attempts[0];
    expect(attempt?.status).toBe('invalid');
    expect(attempt?.error).toMatch(/the output is at least 5013 bytes \(4\.9 KiB\) as JSON: the output limit is 1000 bytes/);
  });
});
