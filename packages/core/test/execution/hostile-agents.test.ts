import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentContext } from '../../src/core/contracts.ts';
import { BatonError } from '../../src/core/errors.ts';
import type { AgentDefinition } from '../../src/agents/define-agent.ts';
import { defineAgent } from '../../src/agents/define-agent.ts';
import type { Policy, RunResult } from '../../src/core/types.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { attemptDeadlines } from '../../src/execution/deadlines.ts';
import { MemoryRunStore } from '../../src/store/index.ts';
import { CORE_FIXTURES } from '../support/paths.ts';

type Run = AgentDefinition['run'];

function maker(name: string, artifact: string, run: Run, more: Partial<AgentDefinition> = {}) {
  return defineAgent({ name, description: `makes ${artifact}`, produces: [artifact], retries: 0, run, ...more });
}

async function runOne(run: Run, options: { policy?: Partial<Policy>; more?: Partial<AgentDefinition> } = {}): Promise<RunResult> {
  const orchestrator = createOrchestrator({ name: 'o', agents: [maker('a', 'x', run, options.more)], store: new MemoryRunStore(), ...(options.policy ? { policy: options.policy } : {}) });
  return orchestrator.run('make x');
}

const firstAttempt = (r: RunResult) => r.tasks[0]!.attempts[0]!;

describe('what an agent throws cannot take the process down', () => {
  it('fails the attempt of an agent that throws a revoked proxy', async () => {
    const r = await runOne(() => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      throw proxy;
    });
    expect(r.status).toBe('failed');
    expect(firstAttempt(r)).toMatchObject({ status: 'failed', error: 'agent threw a value that cannot be read' });
  });

  it('fails the attempt of an agent whose Error has a message getter that throws', async () => {
    const r = await runOne(() => {
      const e = new Error('hidden');
      Object.defineProperty(e, 'message', {
        get() {
          throw new Error('no message for you');
        },
      });
      throw e;
    });
    expect(firstAttempt(r)).toMatchObject({ status: 'failed', error: 'agent threw a value that cannot be read' });
  });

  it("fails the attempt of an answer whose prototype trap throws, and releases the attempt's deadline", async () => {
    const r = await runOne(
      () =>
        new Proxy(
          { x: 1 },
          {
            getPrototypeOf() {
              throw new Error('trap proto');
            },
          },
        ),
      { more: { timeoutMs: 60_000 } },
    );
    expect(firstAttempt(r)).toMatchObject({ status: 'failed', error: 'trap proto' });
    // Nothing else of this file runs meanwhile: no deadline is left holding the process for 60 s.
    expect((attemptDeadlines as unknown as { live: number }).live).toBe(0);
  });

  it('keeps at most 8 KiB of an error text, saying how much was left out', async () => {
    const r = await runOne(() => {
      throw new Error('E'.repeat(100_000));
    });
    const { error } = firstAttempt(r);
    expect(error!.length).toBeLessThan(8_300);
    expect(error).toMatch(/^E{8192}… \(91808 more characters\)$/);
    expect(r.reason!.length).toBeLessThan(9_000);
  });

  it('says "got undefined" of an agent that answers nothing', async () => {
    const r = await runOne(() => undefined as never);
    expect(firstAttempt(r).error).toContain("expected a JSON object with key 'x', got undefined");
  });

  it('goes on when an async listener of the events rejects', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const orchestrator = createOrchestrator({ name: 'o', agents: [maker('a', 'x', () => ({ x: 1 }))], store: new MemoryRunStore() });
      // An async listener is what this test is about: users write them, though the type says void.
      // eslint-disable-next-line @typescript-eslint/no-misused-promises
      orchestrator.on(async () => {
        await Promise.resolve();
        throw new Error('listener boom');
      });
      const r = await orchestrator.run('make x');
      await sleep(20);
      expect(r.status).toBe('succeeded');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('an agent that asks to be retried later (BatonError retryAfterMs)', () => {
  const busyFor = (retryAfterMs: number): Run => async () => {
    throw new BatonError('AGENT_FAILED', 'busy', { retryAfterMs });
  };

  it.each([[10 * 60_000], [Infinity]])('is not retried when it asks for more than the minute a retry waits (%s ms): its fallback gets the task at once', async (wait) => {
    const busy = maker('a', 'x', busyFor(wait), { retries: 3, fallback: ['b'] });
    const spare = maker('b', 'x', async () => ({ x: 1 }));
    const orchestrator = createOrchestrator({ name: 'o', agents: [busy, spare], store: new MemoryRunStore() });
    const started = Date.now();
    const r = await orchestrator.run('make x');
    expect(r.status).toBe('succeeded');
    expect(r.tasks[0]!.attempts.map((a) => [a.agent, a.status])).toEqual([
      ['a', 'failed'],
      ['b', 'succeeded'],
    ]);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('is retried after what it asked for when that is within the minute', async () => {
    let calls = 0;
    const r = await runOne(
      async () => {
        if (++calls === 1) throw new BatonError('AGENT_FAILED', 'busy', { retryAfterMs: 300 });
        return { x: 1 };
      },
      { more: { retries: 1 } },
    );
    expect(r.status).toBe('succeeded');
    const [first, second] = r.tasks[0]!.attempts;
    expect(Date.parse(second!.startedAt) - Date.parse(first!.endedAt!)).toBeGreaterThanOrEqual(290);
  });
});

describe('usage an agent reports', () => {
  function pair(reportA: (ctx: AgentContext) => void, policy: Partial<Policy>, bRunsMs = 0) {
    const a = maker('a', 'x', (_input, ctx) => {
      reportA(ctx);
      return { x: 1 };
    });
    const b = maker(
      'b',
      'y',
      async () => {
        await sleep(bRunsMs);
        return { y: 2 };
      },
      { consumes: ['x'] },
    );
    return createOrchestrator({ name: 'o', agents: [a, b], store: new MemoryRunStore(), policy });
  }

  it('counts a count left out as 0, so the budget holds', async () => {
    const r = await pair((ctx) => ctx.reportUsage!({ inputTokens: 5_000 } as never), { maxTokens: 100 }).run('make y');
    expect(r.usage).toEqual({ llmCalls: 0, inputTokens: 5_000, outputTokens: 0 });
    expect(r.status).not.toBe('succeeded');
    expect(r.reason).toContain('token budget exhausted: 5000 tokens used, policy.maxTokens is 100');
  });

  it('refuses counts that are not numbers, failing the attempt that reported them', async () => {
    const r = await pair((ctx) => ctx.reportUsage!({ llmCalls: '1', inputTokens: 2, outputTokens: 3 } as never), {}).run('make y');
    expect(r.tasks[0]!.attempts[0]).toMatchObject({ status: 'failed', error: 'reportUsage: llmCalls must be a finite number of 0 or more, got the string "1"' });
    expect(r.usage).toEqual({ llmCalls: 0, inputTokens: 0, outputTokens: 0 });
  });

  it('does not count usage reported after the attempt ended', async () => {
    const store = new MemoryRunStore();
    const a = maker('a', 'x', (_input, ctx) => {
      setTimeout(() => ctx.reportUsage!({ llmCalls: 1, inputTokens: 1_000, outputTokens: 0 }), 5);
      return { x: 1 };
    });
    const b = maker(
      'b',
      'y',
      async () => {
        await sleep(60);
        return { y: 2 };
      },
      { consumes: ['x'] },
    );
    const r = await createOrchestrator({ name: 'o', agents: [a, b], store, policy: { maxTokens: 100 } }).run('make y');
    expect(r.status).toBe('succeeded');
    expect(r.usage).toEqual({ llmCalls: 0, inputTokens: 0, outputTokens: 0 });
    expect((await store.readEvents(r.runId)).filter((e) => e.type === 'usage')).toEqual([]);
  });
});

describe("an attempt's work does not outlive it", () => {
  it('aborts the signal of an attempt that answered, and of one that failed, once each has ended', async () => {
    const signals: AbortSignal[] = [];
    const r = await runOne(
      (input, ctx) => {
        signals.push(ctx.signal);
        if (input.attempt === 1) throw new Error('first try fails');
        return { x: 1 };
      },
      { more: { retries: 1 }, policy: { backoff: { initialDelayMs: 0, factor: 1, maxDelayMs: 0, jitter: 0 } } },
    );
    expect(r.status).toBe('succeeded');
    expect(signals).toHaveLength(2);
    for (const signal of signals) {
      expect(signal.aborted).toBe(true);
      expect((signal.reason as Error).message).toContain('the attempt has ended');
    }
  });

  it('gives an agent that reads its signal only after answering an aborted one', async () => {
    let late: AbortSignal | undefined;
    const r = await runOne((_input, ctx) => {
      setTimeout(() => (late = ctx.signal), 5);
      return { x: 1 };
    });
    await sleep(30);
    expect(r.status).toBe('succeeded');
    expect(late?.aborted).toBe(true);
  });
});

describe('timeouts past what a timer holds', () => {
  it('waits an attempt timeout of 3e9 ms on timers Node can hold, not on one re-armed every millisecond', async () => {
    const delays: number[] = [];
    const original = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return original(fn, ms);
    }) as typeof setTimeout);
    try {
      const r = await runOne(
        async () => {
          await sleep(40);
          return { x: 1 };
        },
        { more: { timeoutMs: 3e9 }, policy: { runTimeoutMs: 3e9 } },
      );
      expect(r.status).toBe('succeeded');
    } finally {
      spy.mockRestore();
    }
    // Past 2^31 - 1 ms Node fires a timer after 1 ms (with a warning), and the deadline re-armed it for 40 ms.
    expect(Math.max(...delays)).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(delays.length).toBeLessThan(10);
  });

  it('gives an integrator the time of a policy.taskTimeoutMs of 3e9 ms, not 1 ms', async () => {
    const orchestrator = createOrchestrator({
      name: 'o',
      agents: [maker('a', 'x', () => ({ x: 1 }))],
      store: new MemoryRunStore(),
      policy: { taskTimeoutMs: 3e9 },
      integrator: async ({ artifacts }) => {
        await sleep(30);
        return { artifacts, files: [], provenance: {} };
      },
    });
    const r = await orchestrator.run('make x');
    expect(r.integration).toMatchObject({ ok: true });
    expect(r.status).toBe('succeeded');
  });
});

describe("what an agent is given is its own", () => {
  it('keeps the journaled output and the siblings\' inputs as made when an agent sorts its input in place', async () => {
    const store = new MemoryRunStore();
    const seenByC: unknown[] = [];
    const a = maker('a', 'rows', () => ({ rows: [3, 1, 2] }));
    const b = maker('b', 'sorted', (input) => ({ sorted: (input.inputs['rows'] as number[]).sort() }), { consumes: ['rows'] });
    const c = maker(
      'c',
      'first',
      async (input) => {
        await sleep(10);
        seenByC.push(structuredClone(input.inputs['rows']));
        return { first: (input.inputs['rows'] as number[])[0] };
      },
      { consumes: ['rows'] },
    );
    const params = { city: 'Lisbon' };
    const d = maker(
      'd',
      'note',
      (input) => {
        input.params['city'] = 'changed';
        return { note: 'n' };
      },
      { consumes: ['rows'] },
    );
    const orchestrator = createOrchestrator({
      name: 'o',
      agents: [a, b, c, d],
      store,
      deliverable: ['sorted', 'first', 'note'],
      params: { type: 'object', properties: { city: { type: 'string' } } },
    });
    const r = await orchestrator.run('make sorted, first and note', { params });
    expect(r.status).toBe('succeeded');
    expect(r.tasks.find((t) => t.agent === 'a')!.output).toEqual({ rows: [3, 1, 2] });
    expect(seenByC).toEqual([[3, 1, 2]]);
    expect(r.params).toEqual({ city: 'Lisbon' });
    const made = (await store.readEvents(r.runId)).find((e) => e.type === 'task.succeeded' && e.agent === 'a');
    expect(made).toMatchObject({ output: { rows: [3, 1, 2] } });
  });
});

describe('a run always ends, with every task ended', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('ends a run whose deliverable folder cannot be made, partial, saying why, with no file written', async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-outdir-'));
    const blocker = join(dir, 'afile');
    writeFileSync(blocker, 'in the way');
    const store = new MemoryRunStore();
    const orchestrator = createOrchestrator({ name: 'o', agents: [maker('a', 'x', () => ({ x: 1 }))], store, outDir: join(blocker, 'run') });
    const r = await orchestrator.run('make x');
    expect(r.status).toBe('partial');
    expect(r.reason).toMatch(/the deliverable's folder .*afile.run could not be made \(.*\): no file was written/);
    expect(r.deliverable.artifacts).toEqual({ x: 1 });
    expect(r.deliverable.files).toEqual([]);
    expect((await store.getRun(r.runId))?.status).toBe('partial');
  });

  it('ends a run whose planner never answers and ignores its signal: cancelled, or failed at the run timeout', async () => {
    const deaf = { name: 'llm' as const, plan: () => new Promise<never>(() => undefined) };
    const orchestrator = createOrchestrator({ name: 'o', agents: [maker('a', 'x', () => ({ x: 1 }))], planner: deaf, policy: { runTimeoutMs: 200 } });
    const cancelled = orchestrator.start('make x');
    setTimeout(() => cancelled.cancel('enough'), 20);
    expect(await cancelled.result).toMatchObject({ status: 'cancelled', reason: 'planning stopped: enough' });
    const timedOut = await orchestrator.run('make x');
    expect(timedOut.status).toBe('failed');
    expect(timedOut.reason).toMatch(/run timeout|200 ms/);
  });

  it('ends a run whose planner never answers a re-plan and ignores its signal, as its cancel says', async () => {
    const plan = { tasks: [{ id: 't', title: 't', instructions: '', agent: 'a', dependsOn: [], consumes: [], produces: ['x'] }], requested: ['x'] };
    const asked: string[] = [];
    const deaf = {
      name: 'llm' as const,
      plan: () => Promise.resolve({ plan, planner: 'llm' as const }),
      replan: () => {
        asked.push('replan');
        return new Promise<never>(() => undefined);
      },
    };
    const orchestrator = createOrchestrator({ name: 'o', agents: [maker('a', 'x', () => Promise.reject(new Error('no x today')))], planner: deaf, policy: { retries: 0 } });
    const handle = orchestrator.start('make x');
    await vi.waitFor(() => expect(asked).toEqual(['replan']));
    handle.cancel('enough');
    const result = await handle.result;
    expect(result.status).toBe('cancelled');
    expect(result.reason).not.toMatch(/re-planning failed/);
  });

  it('keeps the usage a re-planner reports as it answers its aborted signal', async () => {
    const plan = { tasks: [{ id: 't', title: 't', instructions: '', agent: 'a', dependsOn: [], consumes: [], produces: ['x'] }], requested: ['x'] };
    let asked = false;
    const cooperative = {
      name: 'llm' as const,
      plan: () => Promise.resolve({ plan, planner: 'llm' as const }),
      replan: (_: unknown, { signal }: { signal?: AbortSignal }) => {
        asked = true;
        return new Promise<never>((_, reject) =>
          signal!.addEventListener('abort', () => reject(new BatonError('RUN_CANCELLED', 'aborted', { retryable: false, details: { usage: { llmCalls: 1, inputTokens: 1000, outputTokens: 500 } } }))),
        );
      },
    };
    const orchestrator = createOrchestrator({ name: 'o', agents: [maker('a', 'x', () => Promise.reject(new Error('no x today')))], planner: cooperative, policy: { retries: 0 } });
    const handle = orchestrator.start('make x');
    await vi.waitFor(() => expect(asked).toBe(true));
    handle.cancel('enough');
    const result = await handle.result;
    expect(result).toMatchObject({ status: 'cancelled', reason: 'enough', usage: { llmCalls: 1, inputTokens: 1000, outputTokens: 500 } });
  });

  it('cancels the tasks of a run whose plan is rejected, or which is cancelled while it waits', async () => {
    for (const how of ['reject', 'cancel'] as const) {
      const orchestrator = createOrchestrator({ name: 'o', agents: [maker('a', 'x', () => ({ x: 1 }))], store: new MemoryRunStore(), policy: { approval: 'plan' } });
      const handle = orchestrator.start('make x');
      const stop = orchestrator.on((e) => {
        if (e.type !== 'approval.requested') return;
        if (how === 'reject') void orchestrator.decide(handle.runId, { decision: 'rejected', by: 'me', reason: 'no' });
        else handle.cancel('bye');
      });
      const r = await handle.result;
      stop();
      expect(r.status).toBe('cancelled');
      expect(r.tasks).toHaveLength(1);
      expect(r.tasks[0]).toMatchObject({ status: 'cancelled', attempts: [] });
      expect(r.tasks[0]!.reason).toContain(how === 'reject' ? 'the run ended cancelled before this task ran: the plan was rejected by me: no' : 'the run ended cancelled before this task ran: bye');
    }
  });
});

describe('a program that awaits a run waiting for a decision', () => {
  it('gets the run ended by policy.approvalTimeoutMs, the process held until then', async () => {
    // Without the timer holding the process, Node exits at once with 13 ("unsettled top-level await").
    const { stdout } = await promisify(execFile)(process.execPath, [join(CORE_FIXTURES, 'awaited', 'approval-timeout.mjs')], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ status: 'failed', reason: 'no decision on the plan within 200 ms (policy.approvalTimeoutMs)' });
  });
});
