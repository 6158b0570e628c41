import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineAgent } from '../../core/src/agents/define-agent.ts';
import { AgentRegistry } from '../../core/src/agents/registry.ts';
import { WARM_UP } from '../../core/src/agents/warm-up.ts';
import type { Planner } from '../../core/src/core/contracts.ts';
import { BatonError } from '../../core/src/core/errors.ts';
import type { RunEvent } from '../../core/src/core/events.ts';
import type { AgentInput, Manifest } from '../../core/src/core/types.ts';
import { AgentWorker } from '../src/agent-worker.ts';
import { redisOptions } from '../src/connection.ts';
import { Dispatcher } from '../src/dispatcher.ts';
import { serveHealth } from '../src/health-server.ts';
import { cancelChannel, cancelledKey, heartbeatKey, jobIdOf } from '../src/names.ts';
import { retireJob } from '../src/worker-liveness.ts';
import { loadManifest } from '../../core/src/manifest/index.ts';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { startRedis } from '../../core/test/support/redis.ts';
import type { ThrowawayRedis } from '../../core/test/support/redis.ts';
import { comparable, Control, FAN_MANIFEST, GOAL, waitFor } from './helpers.ts';

let redis: ThrowawayRedis;
let manifest: Manifest;
let prefixCount = 0;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeAll(async () => {
  redis = await startRedis();
  manifest = await loadManifest(FAN_MANIFEST);
});

afterAll(async () => {
  await redis?.stop();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  delete process.env['BATON_TEST_CONTROL'];
});

/** Each test its own key prefix, so tests sharing one Redis do not see each other's jobs. */
function freshPrefix(): string {
  return `t${++prefixCount}:agent`;
}

async function workerFor(prefix: string, extra: Partial<Parameters<typeof AgentWorker.start>[0]> = {}): Promise<AgentWorker> {
  const w = await AgentWorker.start({ manifest, url: redis.url, prefix, lockMs: 2000, ...extra });
  cleanups.push(() => w.close(0));
  return w;
}

async function dispatcherFor(prefix: string, watchIntervalMs?: number): Promise<Dispatcher> {
  const d = await Dispatcher.connect({ url: redis.url, prefix, ...(watchIntervalMs ? { watchIntervalMs } : {}) });
  cleanups.push(() => d.close());
  return d;
}

function controlled(): Control {
  const control = new Control();
  process.env['BATON_TEST_CONTROL'] = control.dir;
  cleanups.push(() => control.remove());
  return control;
}

function input(agent: string, attempt = 1): AgentInput {
  return { runId: `r_test${prefixCount}`, goal: 'g', task: { id: `t1-${agent}`, title: agent, instructions: '' }, inputs: {}, params: {}, attempt };
}

/** The id of the one pub/sub connection that is not `listener`'s: the worker's subscriber. */
async function subscriberId(client: Redis): Promise<number> {
  const lines = String(await client.call('CLIENT', 'LIST', 'TYPE', 'pubsub')).trim().split('\n');
  const others = lines.filter((l) => !/ name=test-listener /.test(l));
  expect(others).toHaveLength(1);
  return Number(/\bid=(\d+)/.exec(others[0]!)?.[1]);
}

/** An agent `slow` that runs until its attempt is aborted, and the signal of each call. */
function waitsUntilAborted(): { slow: ReturnType<typeof defineAgent>; signals: AbortSignal[]; started: () => boolean; abortReason: () => unknown } {
  const signals: AbortSignal[] = [];
  const slow = defineAgent({
    name: 'slow',
    description: 'waits until aborted',
    produces: ['x'],
    run: (_input, ctx) =>
      new Promise((_, reject) => {
        signals.push(ctx.signal);
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error));
      }),
  });
  return { slow, signals, started: () => signals.length > 0, abortReason: () => (signals[0]?.aborted ? signals[0].reason : undefined) };
}

describe('dispatching attempts through BullMQ', () => {
  it('gives the same RunResult as running the agents in-process', async () => {
    const reference = await new Orchestrator({ manifest }).run(GOAL);
    expect(reference.status).toBe('succeeded');
    const prefix = freshPrefix();
    const worker = await workerFor(prefix);
    const dispatcher = await dispatcherFor(prefix);
    const result = await new Orchestrator({ manifest, registry: dispatcher.registry() }).run(GOAL);
    expect(comparable(result)).toEqual(comparable(reference));
    expect(worker.health().completed).toBe(5);
    expect(dispatcher.inFlight()).toBe(0);
  });

  it("keeps an agent's unrecoverable failures unrecoverable and retries the others", async () => {
    const control = controlled();
    control.fail('left', 'unrecoverable');
    control.fail('middle', 'retryable');
    const prefix = freshPrefix();
    await workerFor(prefix);
    const dispatcher = await dispatcherFor(prefix);
    const result = await new Orchestrator({ manifest, registry: dispatcher.registry() }).run(GOAL);
    const left = result.tasks.find((t) => t.agent === 'left');
    const middle = result.tasks.find((t) => t.agent === 'middle');
    // retries: 2 in the manifest: three attempts for a retryable failure, one for an unrecoverable one.
    expect(left?.attempts.map((a) => a.status)).toEqual(['failed']);
    expect(left?.attempts[0]?.error).toContain('left cannot do this at all');
    expect(middle?.attempts.map((a) => a.status)).toEqual(['failed', 'failed', 'failed']);
    expect(result.tasks.find((t) => t.agent === 'combine')?.status).toBe('skipped');
  });

  it("carries the Baton error code of a worker's failure (an invalid output stays invalid)", async () => {
    const prefix = freshPrefix();
    const picky = defineAgent({
      name: 'picky',
      description: 'always rejects its own output',
      produces: ['x'],
      run: () => {
        throw new BatonError('OUTPUT_INVALID', 'the output had no rows');
      },
    });
    await workerFor(prefix, { agents: ['picky'], codeAgents: [picky] });
    const dispatcher = await dispatcherFor(prefix);
    const attempt = dispatcher.dispatch({ agent: 'picky', input: input('picky'), timeoutMs: 10_000 }, { signal: new AbortController().signal });
    await expect(attempt).rejects.toMatchObject({ code: 'OUTPUT_INVALID', retryable: true, message: 'the output had no rows' });
  });

  it('rejects an output over the limit, or one JSON cannot hold, in the worker before sending it', async () => {
    const prefix = freshPrefix();
    const big = defineAgent({ name: 'big', description: 'returns too much', produces: ['x'], run: () => ({ x: 'b'.repeat(5_000) }) });
    const odd = defineAgent({ name: 'odd', description: 'returns a BigInt', produces: ['x'], run: () => ({ x: 1n }) });
    await workerFor(prefix, { agents: ['big', 'odd'], codeAgents: [big, odd] });
    const dispatcher = await dispatcherFor(prefix);
    const signal = new AbortController().signal;
    await expect(dispatcher.dispatch({ agent: 'big', input: input('big'), timeoutMs: 10_000, maxOutputBytes: 1_000 }, { signal })).rejects.toMatchObject({
      code: 'OUTPUT_INVALID',
      message: expect.stringMatching(/^the output is at least 5008 bytes \(4\.9 KiB\) as JSON: the output limit is 1000 bytes/),
    });
    await expect(dispatcher.dispatch({ agent: 'odd', input: input('odd'), timeoutMs: 10_000 }, { signal })).rejects.toMatchObject({
      code: 'OUTPUT_INVALID',
      message: expect.stringMatching(/^output is not JSON-serialisable/),
    });
  });

  it('forwards the usage an agent reports to the orchestrator', async () => {
    const prefix = freshPrefix();
    const counting = defineAgent({
      name: 'counting',
      description: 'reports model usage',
      produces: ['x'],
      run: (_input, ctx) => {
        ctx.reportUsage?.({ llmCalls: 1, inputTokens: 10, outputTokens: 5 });
        return { x: 1 };
      },
    });
    await workerFor(prefix, { agents: ['counting'], codeAgents: [counting] });
    const dispatcher = await dispatcherFor(prefix);
    const reported: unknown[] = [];
    const output = await dispatcher.dispatch({ agent: 'counting', input: input('counting'), timeoutMs: 10_000 }, { signal: new AbortController().signal, reportUsage: (u) => reported.push(u) });
    expect(output).toEqual({ x: 1 });
    expect(reported).toEqual([{ llmCalls: 1, inputTokens: 10, outputTokens: 5 }]);
  });

  it('forwards the usage an agent reported before it failed, as in-process', async () => {
    const prefix = freshPrefix();
    const spender = defineAgent({
      name: 'spender',
      description: 'spends tokens, then fails',
      produces: ['x'],
      run: (_input, ctx) => {
        ctx.reportUsage?.({ llmCalls: 1, inputTokens: 120, outputTokens: 40 });
        throw new BatonError('OUTPUT_INVALID', 'the model answered with no JSON', { retryable: true });
      },
    });
    await workerFor(prefix, { agents: ['spender'], codeAgents: [spender] });
    const dispatcher = await dispatcherFor(prefix);
    const reported: unknown[] = [];
    const attempt = dispatcher.dispatch({ agent: 'spender', input: input('spender'), timeoutMs: 10_000 }, { signal: new AbortController().signal, reportUsage: (u) => reported.push(u) });
    await expect(attempt).rejects.toMatchObject({ code: 'OUTPUT_INVALID' });
    expect(reported).toEqual([{ llmCalls: 1, inputTokens: 120, outputTokens: 40 }]);
  });

  it('counts the usage an agent reported before its attempt timed out, as in-process', async () => {
    // The agent of `source` reports usage, then hangs: its attempt times out, and the job never returns.
    const signals: AbortSignal[] = [];
    const source = defineAgent({
      name: 'source',
      description: 'spends tokens, then hangs',
      produces: ['raw'],
      run: (_input, ctx) => {
        ctx.reportUsage?.({ llmCalls: 1, inputTokens: 100, outputTokens: 20 });
        ctx.reportUsage?.({ llmCalls: 1, inputTokens: 30, outputTokens: 5 });
        signals.push(ctx.signal);
        return new Promise(() => undefined);
      },
    });
    const once: Manifest = {
      ...manifest,
      orchestrator: { ...manifest.orchestrator, policy: { ...manifest.orchestrator.policy, retries: 0 } },
      agents: { ...manifest.agents, source: { ...manifest.agents['source']!, timeoutMs: 2_000 } },
    };
    const prefix = freshPrefix();
    await workerFor(prefix, { manifest: once, agents: ['source'], codeAgents: [source] });
    const dispatcher = await dispatcherFor(prefix);
    const result = await new Orchestrator({ manifest: once, registry: dispatcher.registry() }).run(GOAL);
    expect(result.tasks.find((t) => t.agent === 'source')?.attempts.map((a) => a.status)).toEqual(['timeout']);
    expect(result.usage).toMatchObject({ llmCalls: 2, inputTokens: 130, outputTokens: 25 });
    // The worker's cancel stopped the agent: nothing it does outlives its attempt.
    await waitFor('the agent to be aborted', () => signals[0]?.aborted);
  });

  it("carries the run's parameters in the job, as part of the agent input", async () => {
    const prefix = freshPrefix();
    const dispatcher = await dispatcherFor(prefix);
    const queue = new Queue('nobody', { connection: redisOptions(redis.url, false), prefix });
    cleanups.push(() => queue.close());
    const controller = new AbortController();
    const withParams = { ...input('nobody'), params: { city: 'Lisbon', days: 3 } };
    const attempt = dispatcher.dispatch({ agent: 'nobody', input: withParams, timeoutMs: 10_000 }, { signal: controller.signal });
    attempt.catch(() => undefined);
    await waitFor('the job to be queued', async () => (await queue.getJob(jobIdOf(withParams))) !== undefined);
    expect((await queue.getJob(jobIdOf(withParams)))?.data.input.params).toEqual({ city: 'Lisbon', days: 3 });
    controller.abort(new Error('done'));
  });

  it('removes the job of an abandoned attempt that no worker has taken yet', async () => {
    const prefix = freshPrefix();
    const dispatcher = await dispatcherFor(prefix);
    const queue = new Queue('nobody', { connection: redisOptions(redis.url, false), prefix });
    cleanups.push(() => queue.close());
    const controller = new AbortController();
    const attempt = dispatcher.dispatch({ agent: 'nobody', input: input('nobody'), timeoutMs: 10_000 }, { signal: controller.signal });
    attempt.catch(() => undefined);
    const jobId = jobIdOf(input('nobody'));
    await waitFor('the job to be queued', async () => (await queue.getJob(jobId)) !== undefined);
    controller.abort(new Error('timed out'));
    await expect(attempt).rejects.toThrow('timed out');
    await waitFor('the job to be removed', async () => (await queue.getJob(jobId)) === undefined);
  });

  it('fails at once, and does not queue, an attempt dispatched as the dispatcher closes; the jobs of the attempts it fails are removed', async () => {
    const prefix = freshPrefix();
    const dispatcher = await dispatcherFor(prefix);
    const queue = new Queue('nobody', { connection: redisOptions(redis.url, false), prefix });
    cleanups.push(() => queue.close());
    // The queue's reader is started by a first attempt, so the second waits for it one microtask only.
    const first = dispatcher.dispatch({ agent: 'nobody', input: input('nobody'), timeoutMs: 10_000 }, { signal: new AbortController().signal });
    first.catch(() => undefined);
    await waitFor('the first job to be queued', async () => (await queue.getJob(jobIdOf(input('nobody')))) !== undefined);
    const second = dispatcher.dispatch({ agent: 'nobody', input: input('nobody', 2), timeoutMs: 10_000 }, { signal: new AbortController().signal });
    const closed = dispatcher.close();
    const outcome = await Promise.race([
      second.then(() => 'resolved', (e: unknown) => (e as Error).message),
      new Promise((r) => setTimeout(() => r('still waiting after 2 s'), 2_000)),
    ]);
    await closed;
    expect(outcome).toContain('the dispatcher was closed while the attempt ran');
    await expect(first).rejects.toThrow('the dispatcher was closed while the attempt ran');
    expect(dispatcher.inFlight()).toBe(0);
    expect(await queue.getJob(jobIdOf(input('nobody', 2)))).toBeUndefined();
    // The attempt close() failed is not left queued for a worker to run with nobody waiting for it.
    expect(await queue.getJob(jobIdOf(input('nobody')))).toBeUndefined();
  });

  it('aborts the agent of an abandoned attempt that a worker is running', async () => {
    const prefix = freshPrefix();
    const { slow, started, abortReason } = waitsUntilAborted();
    const worker = await workerFor(prefix, { agents: ['slow'], codeAgents: [slow] });
    const dispatcher = await dispatcherFor(prefix);
    const controller = new AbortController();
    const attempt = dispatcher.dispatch({ agent: 'slow', input: input('slow'), timeoutMs: 60_000 }, { signal: controller.signal });
    attempt.catch(() => undefined);
    await waitFor('the agent to start', started);
    controller.abort(new Error('run cancelled'));
    await expect(attempt).rejects.toThrow('run cancelled');
    await waitFor('the agent to be aborted', () => abortReason() !== undefined);
    expect(String(abortReason())).toContain('cancelled');
    await waitFor('the job to be failed', () => worker.health().failed === 1);
  });

  it("aborts the agent of an attempt cancelled while the worker's subscriber was disconnected, once it is back", async () => {
    const prefix = freshPrefix();
    const { slow, started, abortReason } = waitsUntilAborted();
    // No beat of its own during the test (a long lock keeps the job held without one): only the
    // re-read made as the subscriber comes back can deliver the cancel within the test's wait.
    const worker = await workerFor(prefix, { agents: ['slow'], codeAgents: [slow], lockMs: 120_000, heartbeat: { intervalMs: 60_000, ttlMs: 120_000 } });
    const dispatcher = await dispatcherFor(prefix);
    const client = new Redis(redisOptions(redis.url, false));
    cleanups.push(() => client.quit());
    // A listener of the test's own, to see the cancel go by.
    const listener = new Redis({ ...redisOptions(redis.url, false), connectionName: 'test-listener' });
    cleanups.push(() => listener.quit());
    const heard: string[] = [];
    listener.on('message', (_channel: string, message: string) => heard.push(message));
    await listener.subscribe(cancelChannel(prefix));
    const subscribers = async (): Promise<number> => Number(((await client.call('PUBSUB', 'NUMSUB', cancelChannel(prefix))) as [string, number])[1]);
    const controller = new AbortController();
    const attempt = dispatcher.dispatch({ agent: 'slow', input: input('slow'), timeoutMs: 60_000 }, { signal: controller.signal });
    attempt.catch(() => undefined);
    await waitFor('the agent to start', started);
    expect(await subscribers()).toBe(2);

    // The subscriber's connection is cut, and it stays away for 1.5 s (it reconnects within 100 ms
    // otherwise): the cancel is published while no worker listens, and pub/sub keeps nothing.
    const subscriber = (worker as unknown as { subscriber: Redis }).subscriber;
    const retryStrategy = subscriber.options.retryStrategy;
    subscriber.options.retryStrategy = () => 1_500;
    cleanups.push(() => (subscriber.options.retryStrategy = retryStrategy));
    await client.call('CLIENT', 'KILL', 'ID', String(await subscriberId(client)));
    await waitFor('the subscriber to be disconnected', () => worker.health().redis !== 'ready');
    controller.abort(new Error('run cancelled'));
    await expect(attempt).rejects.toThrow('run cancelled');
    const jobId = jobIdOf(input('slow'));
    await waitFor('the cancel to be published', () => heard.includes(jobId));
    expect(await subscribers()).toBe(1);
    expect(abortReason()).toBeUndefined();

    subscriber.options.retryStrategy = retryStrategy;
    await waitFor('the subscriber to be back', async () => (await subscribers()) === 2);
    await waitFor('the agent to be aborted', () => abortReason() !== undefined, 3_000);
    expect(String(abortReason())).toContain('cancelled');
    await waitFor('the job to be failed', () => worker.health().failed === 1);
    // Recorded for as long as the attempt could still run on a worker: its timeout, and a margin.
    expect(await client.pttl(cancelledKey(prefix, jobId))).toBeGreaterThan(60_000);
  });

  it.each(['a cancel', 'shutting down', 'a lost lock', 'Redis not answering'])('stops the earlier run of a job the worker takes again, and %s reaches the new run', async (ending) => {
    // A job whose lock lapsed while its run went on (the worker frozen, Redis out of reach) is put
    // back by BullMQ and may be fetched again by the same worker: one job id, two runs. BullMQ's
    // own lock renewal is kept out of the way (a long lock): the heartbeat extends locks by token.
    const prefix = freshPrefix();
    const { slow, signals } = waitsUntilAborted();
    const worker = await workerFor(prefix, { agents: ['slow'], codeAgents: [slow], lockMs: 60_000 });
    const dispatcher = await dispatcherFor(prefix);
    const client = new Redis(redisOptions(redis.url, false));
    cleanups.push(() => client.quit());
    const queue = new Queue('slow', { connection: redisOptions(redis.url, false), prefix });
    cleanups.push(() => queue.close());
    const controller = new AbortController();
    const attempt = dispatcher.dispatch({ agent: 'slow', input: input('slow'), timeoutMs: 60_000 }, { signal: controller.signal });
    attempt.catch(() => undefined);
    const jobId = jobIdOf(input('slow'));
    const lockKey = `${prefix}:slow:${jobId}:lock`;
    await waitFor('the first run to start', () => signals.length === 1);

    // What BullMQ does with a job whose lock lapsed: back to waiting, for any worker to take.
    const token = await client.get(lockKey);
    expect(token).toBeTruthy();
    await (await queue.getJob(jobId))!.moveToWait(token!);
    await waitFor('the job to be taken again', () => signals.length === 2);
    await waitFor('the earlier run to be stopped', () => signals[0]!.aborted, 10_000);
    expect(String(signals[0]!.reason)).toContain('taken again');
    expect(signals[1]!.aborted).toBe(false);
    await waitFor("the earlier run's end", () => worker.health().failed === 1);
    expect(worker.health().activeJobs).toEqual([jobId]);

    // BullMQ reports a failed renewal by job id alone: one of the earlier run's token, answered
    // late, must not stop the new run, whose token Redis holds.
    const bullWorker = (worker as unknown as { workers: Map<string, Worker> }).workers.get('slow')!;
    bullWorker.emit('lockRenewalFailed', [jobId]);
    // The worker asks Redis on BullMQ's connection: a command sent there after it is answered after it.
    await (await bullWorker.client).get(lockKey);
    // Both answers may come in one read: the worker's has a few more reactions to run than this one.
    await new Promise((resolve) => setImmediate(resolve));
    expect(signals[1]!.aborted).toBe(false);

    if (ending === 'a lost lock' || ending === 'Redis not answering') {
      // Now the new run's own lock is gone (another worker holds the job), or Redis does not say
      // whose it is: every client's commands wait 5 s, longer than the worker waits to know.
      if (ending === 'a lost lock') await client.set(lockKey, 'another-workers-token');
      else await client.call('CLIENT', 'PAUSE', '5000', 'ALL');
      bullWorker.emit('lockRenewalFailed', [jobId]);
      await waitFor('the new run to be stopped', () => signals[1]!.aborted, 4_500);
      expect(String(signals[1]!.reason)).toContain('no longer holds the job');
      // Answered once the pause ends (this client is paused too): the tests after this one meet a Redis that answers.
      if (ending === 'Redis not answering') await client.call('CLIENT', 'UNPAUSE');
      controller.abort(new Error('run cancelled'));
      await expect(attempt).rejects.toThrow('run cancelled');
    } else if (ending === 'a cancel') {
      controller.abort(new Error('run cancelled'));
      await expect(attempt).rejects.toThrow('run cancelled');
      await waitFor('the new run to be cancelled', () => signals[1]!.aborted, 10_000);
      expect(String(signals[1]!.reason)).toContain('cancelled');
    } else {
      // BullMQ, which tracks its jobs by id, forgot the new run when the earlier one ended.
      const closing = worker.close(0);
      await waitFor('the new run to be stopped', () => signals[1]!.aborted, 10_000);
      expect(String(signals[1]!.reason)).toContain('shutting down');
      await closing;
      // (A fetch already under way as it closed may take the job once more, and hand it back again.)
      expect(worker.health().handedBack).toBeGreaterThanOrEqual(1);
      expect(await (await queue.getJob(jobId))!.getState()).toBe('waiting');
    }
  });

  it("sends the cancellations of a resumed run's interrupted attempts before it closes", async () => {
    // `baton runs cancel` on a run whose process died: it resumes the run, cancels the attempts
    // the dead process left on workers, ends the run and closes at once.
    const prefix = freshPrefix();
    const { slow, started, abortReason } = waitsUntilAborted();
    await workerFor(prefix, { agents: ['slow'], codeAgents: [slow] });
    const dead = await dispatcherFor(prefix);
    dead.dispatch({ agent: 'slow', input: input('slow'), timeoutMs: 60_000 }, { signal: new AbortController().signal }).catch(() => undefined);
    await waitFor('the agent to start', started);

    const taking = await Dispatcher.connect({ url: redis.url, prefix });
    const run = input('slow');
    void taking.cancelAttempts([`${run.runId}:${run.task.id}:${run.attempt}:x`], Object.keys(manifest.agents).concat('slow'));
    await taking.close();
    await waitFor('the agent to be aborted', () => abortReason() !== undefined, 5_000);
    expect(String(abortReason())).toContain('abandoned');
  });

  it('ignores the late result of an attempt the orchestrator gave up on', async () => {
    const prefix = freshPrefix();
    const events: RunEvent[] = [];
    // A worker that does not listen to cancellations: its result for attempt 1 arrives late.
    const onlySource: Manifest = structuredClone(manifest);
    onlySource.agents['source'] = { ...onlySource.agents['source']!, timeoutMs: 1_000 };
    const completedJobs: string[] = [];
    const watcher = new QueueEvents('source', { connection: redisOptions(redis.url, true), prefix });
    watcher.on('completed', ({ jobId }) => completedJobs.push(jobId));
    await watcher.waitUntilReady();
    cleanups.push(() => watcher.close());
    const late = new Worker(
      'source',
      async (job) => {
        const data = job.data as { input: AgentInput };
        if (data.input.attempt === 1) {
          await waitFor('attempt 1 to time out', () => events.some((e) => e.type === 'task.attempt.failed' && e.attempt === 1));
          return { output: { raw: { by: 'late', value: -1 } } };
        }
        await waitFor('the late result to be published', () => completedJobs.includes(jobIdOf({ ...data.input, attempt: 1 })));
        return { output: { raw: { by: 'source', value: 7 } } };
      },
      { connection: redisOptions(redis.url, true), prefix, concurrency: 2 },
    );
    cleanups.push(() => late.close(true));
    const dispatcher = await dispatcherFor(prefix);
    const planner: Planner = {
      name: 'builtin',
      plan: async () => ({ planner: 'builtin', plan: { tasks: [{ id: 't1-raw', title: 'raw', instructions: '', agent: 'source', dependsOn: [], consumes: [], produces: ['raw'] }] } }),
    };
    const result = await new Orchestrator({ manifest: onlySource, planner, registry: dispatcher.registry() }).run(GOAL, { onEvent: (e) => events.push(e) });

    expect(completedJobs).toContain(`${result.runId}.t1-raw.1`);
    expect(result.status).toBe('succeeded');
    expect(result.tasks[0]?.attempts.map((a) => a.status)).toEqual(['timeout', 'succeeded']);
    expect(result.tasks[0]?.output).toEqual({ raw: { by: 'source', value: 7 } });
    expect(events.filter((e) => e.type === 'task.succeeded')).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain('"late"');
  });

  it("fails at once the attempt of a worker whose heartbeat expired, and refuses that worker's late result", async () => {
    const prefix = freshPrefix();
    const workerId = 'ghost-host:4242:beef';
    const client = new Redis(redisOptions(redis.url, false));
    cleanups.push(() => client.quit());
    // A worker that heartbeat once (1.5 s TTL), then went silent while running its job.
    await client.set(heartbeatKey(prefix, workerId), JSON.stringify({ host: 'ghost-host', pid: 4242, ttlMs: 1500 }), 'PX', 1500);
    const completed: string[] = [];
    const watcher = new QueueEvents('ghostly', { connection: redisOptions(redis.url, true), prefix });
    watcher.on('completed', ({ jobId }) => completed.push(jobId));
    await watcher.waitUntilReady();
    cleanups.push(() => watcher.close());
    let release: () => void = () => undefined;
    const lateErrors: string[] = [];
    const silent = new Worker(
      'ghostly',
      async () => {
        await new Promise<void>((r) => (release = r));
        return { output: { x: 'late' } };
      },
      { connection: redisOptions(redis.url, true), prefix, name: workerId, lockDuration: 30_000 },
    );
    silent.on('error', (e) => lateErrors.push(e.message));
    cleanups.push(() => silent.close(true));
    const dispatcher = await dispatcherFor(prefix, 200);
    const queue = new Queue('ghostly', { connection: redisOptions(redis.url, false), prefix });
    cleanups.push(() => queue.close());

    const attempt = dispatcher.dispatch({ agent: 'ghostly', input: input('ghostly'), timeoutMs: 60_000 }, { signal: new AbortController().signal });
    await expect(attempt).rejects.toMatchObject({
      code: 'AGENT_FAILED',
      retryable: true,
      message: 'worker ghost-host:4242:beef on ghost-host was lost (no heartbeat for 1.5 s) while running this attempt',
    });
    const jobId = jobIdOf(input('ghostly'));
    expect(await (await queue.getJob(jobId))?.getState()).toBe('failed');

    release();
    await waitFor('the late result to be refused', () => lateErrors.some((m) => m.includes(jobId)));
    expect(await (await queue.getJob(jobId))?.getState()).toBe('failed');
    expect(completed).not.toContain(jobId);
    expect(dispatcher.inFlight()).toBe(0);
  });

  it('hands running jobs back to the queue when closed, and another worker finishes them', async () => {
    const control = controlled();
    control.hold('combine');
    const prefix = freshPrefix();
    const first = await workerFor(prefix);
    const dispatcher = await dispatcherFor(prefix);
    const run = new Orchestrator({ manifest, registry: dispatcher.registry() }).run(GOAL);
    await waitFor('combine to be held', () => control.markers('held', 'combine').length > 0);
    const second = await workerFor(prefix);
    await first.close(0);
    expect(first.health().status).toBe('closed');
    // At least the held job; a fetch already under way when closing began may bring one more back.
    expect(first.health().handedBack).toBeGreaterThanOrEqual(1);
    control.release('combine');
    const result = await run;
    expect(result.status).toBe('succeeded');
    expect(result.tasks.find((t) => t.agent === 'combine')?.attempts).toHaveLength(1);
    expect(second.health().completed).toBe(1);
  });

  it('refuses to serve an agent the manifest does not have, naming the ones it has', async () => {
    await expect(AgentWorker.start({ manifest, url: redis.url, prefix: freshPrefix(), agents: ['source', 'nope'] })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/no agent named 'nope' in .*baton\.yaml \(its agents: source, left, middle, right, combine\)/),
    });
  });

  it('closes its agents when it cannot reach Redis, so their threads do not keep the process alive', async () => {
    let closed = 0;
    const agent = { ...defineAgent({ name: 'slow', description: 'd', produces: ['x'], run: () => ({ x: 1 }) }), close: async () => void closed++ };
    await expect(AgentWorker.start({ manifest, url: 'redis://127.0.0.1:1', prefix: freshPrefix(), agents: ['slow'], codeAgents: [agent] })).rejects.toThrow(/cannot reach Redis/);
    expect(closed).toBe(1);
  });

  it('closes the agents it built when a later one cannot be built', async () => {
    const closed: string[] = [];
    const registry = new AgentRegistry();
    registry.register('module', (spec) => {
      if (spec.name === 'middle') throw new BatonError('AGENT_FAILED', 'middle cannot be built', { retryable: false });
      return { spec, run: async () => ({}), close: async () => void closed.push(spec.name) };
    });
    await expect(AgentWorker.start({ manifest, url: 'redis://127.0.0.1:1', prefix: freshPrefix(), agents: ['left', 'middle', 'right'], registry })).rejects.toThrow('middle cannot be built');
    expect(closed).toEqual(['left']);
  });

  it("starts what its agents need ahead of their first job (a command agent's launcher) as it builds them", async () => {
    const warmed: string[] = [];
    const registry = new AgentRegistry();
    registry.register('module', (spec) => Object.assign({ spec, run: async () => ({}) }, { [WARM_UP]: () => void warmed.push(spec.name) }));
    await workerFor(freshPrefix(), { agents: ['left', 'right'], registry });
    expect(warmed).toEqual(['left', 'right']);
  });

  it('reports its health on /healthz', async () => {
    const prefix = freshPrefix();
    const worker = await workerFor(prefix, { agents: ['source', 'combine'], concurrency: { default: 3, perAgent: { combine: 1 } } });
    const server = await serveHealth(() => worker.health(), { port: 0 });
    cleanups.push(() => server.close());
    const res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: 'ready',
      redis: 'ready',
      pid: process.pid,
      activeJobs: [],
      queues: [
        { agent: 'source', concurrency: 3, active: 0 },
        { agent: 'combine', concurrency: 1, active: 0 },
      ],
    });
    await worker.close();
    const after = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    expect(after.status).toBe(503);
    expect(await after.json()).toMatchObject({ status: 'closed' });
  });
});

describe('retiring the job of a lost worker', () => {
  it('leaves alone a job its worker finished just before, so its result is still taken', async () => {
    const prefix = freshPrefix();
    const queue = new Queue('late', { connection: redisOptions(redis.url, false), prefix });
    const taker = new Worker('late', null, { connection: redisOptions(redis.url, true), prefix, name: 'slow-host:1:abcd' });
    cleanups.push(() => queue.close(), () => taker.close(true));
    await queue.add('late', { n: 1 }, { jobId: 'r.t.1' });
    const token = 'slow-host:1:abcd:0';
    const job = await taker.getNextJob(token);
    expect(job?.id).toBe('r.t.1');
    // The watch read the job as held by a worker without a heartbeat; the worker completes it before the retirement.
    await job!.moveToCompleted({ output: { x: 1 } }, token, false);

    expect(await retireJob(queue, 'r.t.1', token, 'worker slow-host:1:abcd was lost')).toBe(false);
    const stored = await queue.getJob('r.t.1');
    expect(await stored?.getState()).toBe('completed');
    expect(stored?.returnvalue).toEqual({ output: { x: 1 } });
  });
});
