/**
 * Module agents run in a worker thread by default (`isolation: thread`): a synchronous loop ends
 * at its timeout and does not hold the orchestrator's event loop; signal, usage, errors and the
 * module's version cross the thread boundary.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/core/contracts.ts';
import { runTricky as run, stopOnceAllReported, stopWhileWaiting, trickyAgent } from './tricky-agent.ts';

const agents: Agent[] = [];
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close?.()));
});

const agent = (isolation?: 'thread' | 'none'): Agent => trickyAgent(agents, isolation ? { isolation } : {});

describe('module agents in a worker thread (the default)', () => {
  it('run in a worker thread; with isolation: none, in this one', async () => {
    expect(await run(agent(), 'thread')).toEqual({ status: 'succeeded', output: { report: { mainThread: false } } });
    expect(await run(agent('none'), 'thread')).toEqual({ status: 'succeeded', output: { report: { mainThread: true } } });
  });

  it('end a synchronous loop at its timeout, without holding the event loop, and the next attempt runs', async () => {
    const a = agent();
    await run(a, 'echo'); // a warm worker, as after the first attempt of a run
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = Date.now();
    const outcome = await run(a, 'spin:6000', 1_000);
    const elapsed = Date.now() - started;
    delay.disable();
    expect(outcome.status).toBe('timeout');
    // Stopped at its timeout, not when the 6 s loop ended; and this thread went on meanwhile.
    expect(elapsed).toBeLessThan(4_000);
    expect(delay.max / 1e6).toBeLessThan(500);
    expect(await run(a, 'echo')).toEqual({ status: 'succeeded', output: { report: { echo: { rows: [1] }, attempt: 1 } } });
  });

  it('pass the attempt signal into the thread', async () => {
    const stopped = await stopWhileWaiting(agent(), 10_000);
    expect(stopped.status).toBe('cancelled');
    expect(stopped.written).toMatch(/stopped by the test/);
  });

  it('forward usage reports', async () => {
    expect(await run(agent(), 'usage')).toEqual({ status: 'succeeded', output: { report: { ok: true } }, usage: { llmCalls: 2, inputTokens: 30, outputTokens: 7 } });
  });

  it('forward many usage reports made in one go as few messages, all counted, without holding this thread', async () => {
    const a = agent();
    await run(a, 'echo');
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const outcome = await run(a, 'usage-spam:1000000');
    delay.disable();
    expect(outcome).toEqual({ status: 'succeeded', output: { report: { reported: 1_000_000 } }, usage: { llmCalls: 1_000_000, inputTokens: 2_000_000, outputTokens: 3_000_000 } });
    // A message per report held it ~800 ms.
    expect(delay.max / 1e6).toBeLessThan(300);
  });

  it('pass on, before the attempt ends, the reports held back at the end of a turn', async () => {
    expect(await stopOnceAllReported(agent(), 1_000)).toEqual({ status: 'cancelled', calls: 1_000 });
  });

  it('fail only the attempt whose thrown value cannot be read, not the others in its thread', async () => {
    const a = agent();
    const beside = run(a, 'sleep:300');
    expect(await run(a, 'throw-odd-baton-error')).toMatchObject({ status: 'failed', error: expect.stringMatching(/agent threw/) });
    expect(await beside).toEqual({ status: 'succeeded', output: { report: { slept: 300 } } });
  });

  it('classify errors as in this thread', async () => {
    const a = agent();
    expect(await run(a, 'throw-undefined')).toEqual({ status: 'failed', error: 'agent threw undefined', retryable: true });
    expect(await run(a, 'unrecoverable')).toEqual({ status: 'failed', error: 'the credentials are wrong', retryable: false });
    expect(await run(a, 'bigint')).toMatchObject({ status: 'invalid', error: expect.stringMatching(/not JSON-serialisable/) });
  });

  it('fail the attempt of a module that filled its thread\'s heap, with why, and run the next in a new thread', () => {
    // A process with a small heap, which its threads' heaps follow: arrays fill it in a second, not at Node's 4 GB.
    const fixture = path.resolve(import.meta.dirname, '../fixtures/agents/thread-out-of-memory.ts');
    const printed = execFileSync(process.execPath, ['--max-old-space-size=128', '--import', 'tsx', fixture], { encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(printed)).toEqual({
      filled: {
        status: 'failed',
        error: "agent 'tricky': its worker thread stopped (it ran out of memory: its JavaScript heap reached Node's limit; isolation: process with maxMemoryMb bounds an agent's memory without risk to Baton's process)",
        retryable: true,
      },
      next: { status: 'succeeded', output: { report: { echo: { rows: [1] }, attempt: 1 } } },
    });
  });

  it("report the module's own version", async () => {
    expect(await agent().version?.()).toBe('1.2.0');
    expect(await agent('none').version?.()).toBe('1.2.0');
  });
});
