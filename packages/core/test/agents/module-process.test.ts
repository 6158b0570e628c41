/**
 * Module agents with `isolation: process`: each attempt runs the module in a Node process of its
 * own, so what the module does to its process (a heap past its bound, an exit, an error nobody
 * handled, a timer left open, writes to stdout) fails at most its attempt; signal, usage, errors
 * and the module's version cross the process boundary as they cross a thread's.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/core/contracts.ts';
import type { AgentSpec, Usage } from '../../src/core/types.ts';
import { AttemptAbort, runAttempt } from '../../src/execution/attempt.ts';
import { waitForNone } from '../support/agent-processes.ts';
import { thrown } from '../support/thrown.ts';
import { runTricky, stopOnceAllReported, stopWhileWaiting, TRICKY_MODULE, trickyAgent, trickyInput } from './tricky-agent.ts';

const agents: Agent[] = [];
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close?.()));
});

const agent = (extra: Partial<AgentSpec> = {}): Agent => trickyAgent(agents, { isolation: 'process', ...extra });
// A process starts at every attempt: slower than a warm thread, on a loaded machine most of all.
const run = (a: Agent, instructions: string, timeoutMs = 20_000, controller = new AbortController()) => runTricky(a, instructions, timeoutMs, controller);

describe('module agents in a process of their own (isolation: process)', () => {
  it('run each attempt in another process, with the input given', async () => {
    const a = agent();
    const where = await run(a, 'where');
    expect(where).toMatchObject({ status: 'succeeded', output: { report: { mainThread: true } } });
    const pid = (where as unknown as { output: { report: { pid: number } } }).output.report.pid;
    expect(pid).not.toBe(process.pid);
    expect(await run(a, 'where')).not.toEqual(where);
    expect(await run(a, 'echo')).toEqual({ status: 'succeeded', output: { report: { echo: { rows: [1] }, attempt: 1 } } });
  });

  it("fail only the attempt whose module filled its process's heap, and tell why", async () => {
    const a = agent({ maxMemoryMb: 64 });
    const outcome = await run(a, 'grow');
    expect(outcome).toEqual({ status: 'failed', error: "agent 'tricky': its process ran out of memory: its JavaScript heap reached maxMemoryMb, 64 MB", retryable: true });
    expect(await run(a, 'echo')).toMatchObject({ status: 'succeeded' });
  });

  it("fail the attempt whose module ends its process or leaves an error nobody handled; what it leaves running does not hold the answer", async () => {
    const a = agent();
    expect(await run(a, 'exit')).toMatchObject({ status: 'failed', error: expect.stringMatching(/its process exited \(code 0\) before the module answered/) });
    expect(await run(a, 'leave-rejection')).toMatchObject({ status: 'failed', error: expect.stringMatching(/its process exited with code 1: [\s\S]*left behind/) });
    const started = Date.now();
    expect(await run(a, 'leave-timer')).toEqual({ status: 'succeeded', output: { report: { left: true } } });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('stop the processes the module started when its attempt ends, as a command agent\'s', async () => {
    const mark = `process-${process.pid}-${Date.now()}`;
    expect(await run(agent(), `spawn:${mark}`)).toMatchObject({ status: 'succeeded', output: { report: { spawned: expect.any(Number) } } });
    const left = await waitForNone('BATON_TEST_MARK', mark);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    expect(left).toEqual([]);
  });

  it("take what the module writes to stdout as a log, not as its answer", async () => {
    const a = agent();
    expect(await run(a, 'log')).toEqual({ status: 'succeeded', output: { report: { logged: true } } });
    // Written past Node's stdout, on the file descriptor itself: not an answer, whatever it holds.
    for (const text of ['1', 'null', '[]', '{"output"']) {
      expect(await run(a, `write-fd1:${text}`)).toMatchObject({ status: 'failed', error: expect.stringMatching(/its process printed something other than its answer on stdout/) });
    }
  });

  it('pass the attempt signal into the process', async () => {
    const stopped = await stopWhileWaiting(agent(), 20_000);
    expect(stopped.status).toBe('cancelled');
    expect(stopped.written).toMatch(/its attempt was stopped/);
  });

  it('leave the module its grace period to wind down once stopped, however many SIGTERMs its process is sent', async () => {
    const a = agent();
    // Baton's own stop: one SIGTERM to the process (its group's), not one more from the pass over its token.
    expect(await stopWhileWaiting(a, 20_000, { late: true })).toMatchObject({ status: 'cancelled', written: expect.stringMatching(/its attempt was stopped/) });
    // Others may send more (a supervisor, a user): they do not end the process before the module has wound down.
    expect(await stopWhileWaiting(a, 20_000, { late: true, moreTerms: 3 })).toMatchObject({ status: 'cancelled', written: expect.stringMatching(/its attempt was stopped/) });
  });

  it('count usage as it is reported, before the attempt ends, so that a budget holds mid-attempt', async () => {
    const controller = new AbortController();
    const seen: Usage[] = [];
    const onUsage = (usage: Usage): void => {
      seen.push(usage);
      controller.abort(new AttemptAbort('cancelled', 'over its budget'));
    };
    const outcome = await runAttempt({ agent: agent(), input: trickyInput('usage-wait'), produces: ['report'], timeoutMs: 10_000, controller, onUsage });
    expect(seen).toEqual([{ llmCalls: 1, inputTokens: 5, outputTokens: 2 }]);
    expect(outcome).toMatchObject({ status: 'cancelled', usage: { llmCalls: 1, inputTokens: 5, outputTokens: 2 } });
  });

  it('pass on, before the attempt ends, the reports held back at the end of a turn', async () => {
    expect(await stopOnceAllReported(agent(), 1_000)).toEqual({ status: 'cancelled', calls: 1_000 });
  });

  it('count every report of a module that reports in a tight loop, sent as it runs or with its answer', async () => {
    expect(await run(agent(), 'usage-spam:100000')).toEqual({ status: 'succeeded', output: { report: { reported: 100_000 } }, usage: { llmCalls: 100_000, inputTokens: 200_000, outputTokens: 300_000 } });
  });

  it('count the usage it reports, and classify its errors as in a thread', async () => {
    const a = agent();
    expect(await run(a, 'usage')).toEqual({ status: 'succeeded', output: { report: { ok: true } }, usage: { llmCalls: 2, inputTokens: 30, outputTokens: 7 } });
    expect(await run(a, 'throw-undefined')).toEqual({ status: 'failed', error: 'agent threw undefined', retryable: true });
    expect(await run(a, 'unrecoverable')).toEqual({ status: 'failed', error: 'the credentials are wrong', retryable: false });
    expect(await run(a, 'bigint')).toMatchObject({ status: 'invalid', error: expect.stringMatching(/not JSON-serialisable/) });
  });

  it("report the module's own version, and a module that cannot load", async () => {
    expect(await agent().version?.()).toBe('1.2.0');
    const missing = agent({ module: path.join(path.dirname(TRICKY_MODULE), 'no-such-module.mjs') });
    expect(await run(missing, 'echo')).toMatchObject({ status: 'failed', error: expect.stringMatching(/^agent 'tricky': cannot load .*no-such-module\.mjs/), retryable: false });
  });

  it('refuse a memory bound outside a process of its own, or under 32 MB', () => {
    expect(thrown(() => agent({ isolation: 'thread', maxMemoryMb: 64 })).message).toMatch(/maxMemoryMb: needs isolation: process/);
    expect(thrown(() => agent({ maxMemoryMb: 8 })).message).toMatch(/maxMemoryMb: expected a whole number of MB, at least 32, got/);
  });
});
