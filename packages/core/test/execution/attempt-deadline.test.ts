/**
 * The timeout of an attempt is a verdict on the agent, not on the event loop: an answer that was
 * complete while the loop was busy is taken; an in-process agent that answers after its deadline
 * (it held the loop itself) is a timeout.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCommandAgent } from '../../src/agents/command-agent.ts';
import { defineAgent } from '../../src/agents/define-agent.ts';
import { createModuleAgent } from '../../src/agents/module-agent.ts';
import type { AgentInput, AgentSpec } from '../../src/core/types.ts';
import { runAttempt } from '../../src/execution/attempt.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'baton-deadline-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const input: AgentInput = { runId: 'r_deadline', goal: 'g', task: { id: 't1', title: 't', instructions: '' }, inputs: {}, params: {}, attempt: 1 };

/** Holds this thread's event loop, as a burst of work in the orchestrator would. */
function blockLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

/**
 * Holds the event loop from the check phase, so that the next turn runs the expired timer before
 * it reads the I/O that arrived meanwhile: the order that turned finished attempts into timeouts.
 */
function blockLoopFromCheckPhase(ms: number): Promise<void> {
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      blockLoop(ms);
      resolve();
    }),
  );
}

const moduleFile = path.resolve(import.meta.dirname, '../fixtures/agents/modules/tricky.ts');
const threads: ReturnType<typeof createModuleAgent>[] = [];
afterAll(async () => {
  await Promise.all(threads.map((t) => t.close?.()));
});

/** A module agent in a worker thread, warm (its module loaded). */
async function warmThreadAgent(): Promise<ReturnType<typeof createModuleAgent>> {
  const agent = createModuleAgent({ name: 'tricky', description: 'd', version: '1', capabilities: [], consumes: [], produces: ['report'], kind: 'module', module: moduleFile, output: {}, fallback: [] });
  threads.push(agent);
  await agent.version?.();
  return agent;
}

function command(name: string, script: string): AgentSpec {
  return { name, description: 'd', version: '1', capabilities: [], consumes: [], produces: ['report'], kind: 'command', command: ['sh', '-c', script], output: {}, fallback: [], baseDir: tmp };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

describe('the timeout verdict', () => {
  it('takes the answer of a command that exited while the event loop was blocked past the deadline', async () => {
    const started = path.join(tmp, 'started');
    const answered = path.join(tmp, 'answered');
    const spec: AgentSpec = {
      name: 'quick', description: 'd', version: '1', capabilities: [], consumes: [], produces: ['report'], kind: 'command',
      command: ['sh', '-c', `touch ${started}; sleep 0.2; echo '{"report":{"ok":true}}'; touch ${answered}`], output: {}, fallback: [], baseDir: tmp,
    };
    // 5 s leave the command time to exit on a loaded machine (it needs 200 ms; with two test files
    // at a time on 2 cores, starting it once took close to the 2 s this test used to give).
    const deadline = Date.now() + 5_000;
    const running = runAttempt({ agent: createCommandAgent(spec), input, produces: ['report'], timeoutMs: 5_000, controller: new AbortController() });
    await until(() => existsSync(started));
    // The command answers 200 ms later; the loop is held until it has, and until well after the deadline.
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        // Bounded: a command that never answers fails the assertion below instead of hanging the file.
        while ((!existsSync(answered) && Date.now() < deadline + 10_000) || Date.now() < deadline + 1_000) blockLoop(10);
        resolve();
      }),
    );
    expect(await running).toEqual({ status: 'succeeded', output: { report: { ok: true } } });
  });

  it('times out a command that exited after the deadline, though it is read in the same turn as the timer', async () => {
    const started = path.join(tmp, 'started-late');
    const running = runAttempt({ agent: createCommandAgent(command('late', `touch ${started}; sleep 1.3; echo '{"report":{"ok":true}}'`)), input, produces: ['report'], timeoutMs: 1_000, controller: new AbortController() });
    await until(() => existsSync(started));
    await blockLoopFromCheckPhase(2_500);
    expect((await running).status).toBe('timeout');
  });

  it('takes the answer a module thread made in time while the event loop was blocked past the deadline', async () => {
    const agent = await warmThreadAgent();
    const running = runAttempt({ agent, input: { ...input, task: { ...input.task, instructions: 'sleep:200' } }, produces: ['report'], timeoutMs: 1_000, controller: new AbortController() });
    await new Promise((r) => setTimeout(r, 50));
    await blockLoopFromCheckPhase(2_500);
    expect(await running).toEqual({ status: 'succeeded', output: { report: { slept: 200 } } });
  });

  it('times out the answer a module thread made after the deadline, though it is read in the same turn as the timer', async () => {
    const agent = await warmThreadAgent();
    const running = runAttempt({ agent, input: { ...input, task: { ...input.task, instructions: 'sleep:1300' } }, produces: ['report'], timeoutMs: 1_000, controller: new AbortController() });
    await new Promise((r) => setTimeout(r, 50));
    await blockLoopFromCheckPhase(2_500);
    expect((await running).status).toBe('timeout');
  });

  it('records an in-process agent that blocks past its timeout as a timeout, not a success', async () => {
    const agent = defineAgent({
      name: 'spinner',
      description: 'computes synchronously for too long',
      produces: ['report'],
      run: () => {
        blockLoop(1_500);
        return { report: { ok: true } };
      },
    });
    const outcome = await runAttempt({ agent, input, produces: ['report'], timeoutMs: 500, controller: new AbortController() });
    expect(outcome.status).toBe('timeout');
    expect(outcome.status !== 'succeeded' && outcome.error).toMatch(/past its deadline/);
  });

  it('still times out a command that had not answered by the deadline', async () => {
    const outcome = await runAttempt({ agent: createCommandAgent(command('slow', `sleep 5; echo '{"report":{"ok":true}}'`)), input, produces: ['report'], timeoutMs: 300, controller: new AbortController() });
    expect(outcome.status).toBe('timeout');
  });
});
