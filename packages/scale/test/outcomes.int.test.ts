/**
 * Where an agent runs must not change how its attempt is judged: the same misbehaving agents give
 * the same attempt statuses and errors in-process and on a `baton worker` process through Redis.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentInput, Manifest, RunResult } from '../../core/src/core/types.ts';
import { Queue } from 'bullmq';
import { redisOptions } from '../src/connection.ts';
import { Dispatcher } from '../src/dispatcher.ts';
import type { DispatcherOptions } from '../src/dispatcher.ts';
import { DEFAULT_PREFIX, jobIdOf, queueNameOf } from '../src/names.ts';
import { runAttempt } from '../../core/src/execution/attempt.ts';
import { loadManifest } from '../../core/src/manifest/index.ts';
import { startRedis } from '../../core/test/support/redis.ts';
import type { ThrowawayRedis } from '../../core/test/support/redis.ts';
import { ROOT, spawnCli, startWorkerOf, stopProcess, waitFor } from './helpers.ts';

const MANIFEST = join(ROOT, 'test/fixtures/outcomes/baton.yaml');
const GOAL = 'collect every artifact';
let redis: ThrowawayRedis;
const cwd = mkdtempSync(join(tmpdir(), 'baton-outcomes-'));

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  rmSync(cwd, { recursive: true, force: true });
});

async function runCli(env: Record<string, string>): Promise<RunResult> {
  const cli = spawnCli(['run', '-m', MANIFEST, '--json', '--store', join(cwd, `${Object.keys(env).length}.db`), GOAL], env, cwd);
  await cli.exited;
  return JSON.parse(cli.stdout()) as RunResult;
}

function attempts(result: RunResult): Record<string, { status: string | undefined; error: string | undefined }[]> {
  return Object.fromEntries(result.tasks.map((t) => [t.agent, t.attempts.map((a) => ({ status: a.status, error: a.error }))]));
}

describe('attempt outcomes in-process and distributed', () => {
  it('are the same for non-JSON, schema-invalid, oversized, thrown and successful outputs', async () => {
    const inProcess = await runCli({});
    const worker = await startWorkerOf(MANIFEST, { BATON_REDIS_URL: redis.url }, cwd);
    let distributed: RunResult;
    try {
      distributed = await runCli({ BATON_REDIS_URL: redis.url });
    } finally {
      await stopProcess(worker, 'SIGTERM');
    }
    const expected = {
      garbage: ['invalid'],
      bigint: ['invalid'],
      'bigint-inline': ['invalid'],
      'wrong-shape': ['invalid'],
      thrower: ['failed'],
      nothing: ['failed'],
      huge: ['invalid'],
      'huge-module': ['invalid'],
      'huge-inline': ['invalid'],
      fine: ['succeeded'],
      slow: ['succeeded'],
    };
    const statuses = (r: RunResult) => Object.fromEntries(Object.entries(attempts(r)).map(([agent, list]) => [agent, list.map((a) => a.status)]));
    expect(statuses(inProcess)).toEqual(expected);
    expect(statuses(distributed)).toEqual(expected);
    expect(attempts(distributed)).toEqual(attempts(inProcess));
    expect(attempts(inProcess)['nothing']?.[0]?.error).toBe('agent threw undefined');
  });
});

/**
 * Runs `body` with a `baton worker` process on the outcomes manifest (given `args`) and a
 * dispatcher to it (given `options`), both stopped after.
 */
async function withWorker(body: (dispatcher: Dispatcher, manifest: Manifest) => Promise<void>, args: string[] = [], options: Omit<DispatcherOptions, 'url'> = {}): Promise<void> {
  const worker = await startWorkerOf(MANIFEST, { BATON_REDIS_URL: redis.url }, cwd, args);
  const dispatcher = await Dispatcher.connect({ url: redis.url, ...options });
  try {
    await body(dispatcher, await loadManifest(MANIFEST));
  } finally {
    await dispatcher.close();
    await stopProcess(worker, 'SIGTERM');
  }
}

describe('a distributed attempt whose job finished before the deadline', () => {
  it('is taken, though the orchestrator was too busy to read its completion in time', async () => {
    await withWorker(async (dispatcher, manifest) => {
      const agent = await dispatcher.registry().create(manifest.agents['slow']!, manifest);
      const input: AgentInput = { runId: 'r_busy', goal: 'g', task: { id: 't1-slow', title: 'slow', instructions: '' }, inputs: {}, params: {}, attempt: 1 };
      const running = runAttempt({ agent, input, produces: ['slow-out'], timeoutMs: 1_500, controller: new AbortController() });
      // Once the worker has taken the job (it answers 300 ms later), this process holds its event
      // loop past the deadline, from the check phase, so the next turn runs the expired timer first.
      const queue = new Queue(queueNameOf('slow'), { connection: redisOptions(redis.url, false), prefix: DEFAULT_PREFIX });
      await waitFor('the worker to take the job', async () => (await queue.getJob(jobIdOf(input)))?.processedOn !== undefined, 10_000);
      await queue.close();
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          const until = Date.now() + 2_500;
          while (Date.now() < until) {
            // busy
          }
          resolve();
        }),
      );
      expect(await running).toEqual({ status: 'succeeded', output: { 'slow-out': { ok: true } } });
    });
  });
});

describe('a worker started with another manifest', () => {
  it("refuses a job whose run gives the agent another version, rather than run other code under it", async () => {
    await withWorker(async (dispatcher, manifest) => {
      const agent = await dispatcher.registry().create({ ...manifest.agents['fine']!, version: '9.9.9' }, manifest);
      const input: AgentInput = { runId: 'r_skew', goal: 'g', task: { id: 't1-fine', title: 'fine', instructions: '' }, inputs: {}, params: {}, attempt: 1 };
      const outcome = await runAttempt({ agent, input, produces: ['fine-out'], timeoutMs: 20_000, controller: new AbortController() });
      expect(outcome).toMatchObject({ status: 'failed', retryable: false });
      expect(outcome.status === 'succeeded' ? '' : outcome.error).toMatch(/runs agent 'fine' at version .*, but the run's manifest gives version 9\.9\.9: start the workers with the manifest the run was started with/);
      const same = await dispatcher.registry().create(manifest.agents['fine']!, manifest);
      expect(await runAttempt({ agent: same, input: { ...input, attempt: 2 }, produces: ['fine-out'], timeoutMs: 20_000, controller: new AbortController() })).toMatchObject({ status: 'succeeded' });
    });
  });
});

describe('an attempt of an agent that no live worker serves', () => {
  const input = (attempt: number): AgentInput => ({ runId: 'r_unserved', goal: 'g', task: { id: 't1-slow', title: 'slow', instructions: '' }, inputs: {}, params: {}, attempt });

  it('fails within seconds, not retryable, naming the agent and what the live workers serve, and leaves no job behind', async () => {
    await withWorker(
      async (dispatcher, manifest) => {
        const agent = await dispatcher.registry().create(manifest.agents['slow']!, manifest);
        const started = Date.now();
        const outcome = await runAttempt({ agent, input: input(1), produces: ['slow-out'], timeoutMs: 30_000, controller: new AbortController() });
        // The default grace (10 s) plus a watch pass, far from the attempt's 30 s timeout.
        expect(Date.now() - started).toBeLessThan(20_000);
        expect(outcome).toMatchObject({ status: 'failed', retryable: false });
        expect(outcome.status === 'succeeded' ? '' : outcome.error).toMatch(
          /^no live worker serves agent 'slow' \(waited 10 s; the live workers serve fine\): start a baton worker for it on redis:\/\/127\.0\.0\.1:\d+\/? with queue prefix 'baton:agent'$/,
        );
        const queue = new Queue(queueNameOf('slow'), { connection: redisOptions(redis.url, false), prefix: DEFAULT_PREFIX });
        await waitFor('the job to be taken off the queue', async () => (await queue.getJob(jobIdOf(input(1)))) === undefined, 5_000);
        await queue.close();
      },
      ['--agents', 'fine'],
    );
  });

  it('goes to a worker for it started while the job waits, within the grace', async () => {
    await withWorker(
      async (dispatcher, manifest) => {
        const agent = await dispatcher.registry().create(manifest.agents['slow']!, manifest);
        const running = runAttempt({ agent, input: input(2), produces: ['slow-out'], timeoutMs: 50_000, controller: new AbortController() });
        const late = await startWorkerOf(MANIFEST, { BATON_REDIS_URL: redis.url }, cwd, ['--agents', 'slow']);
        try {
          expect(await running).toEqual({ status: 'succeeded', output: { 'slow-out': { ok: true } } });
        } finally {
          await stopProcess(late, 'SIGTERM');
        }
      },
      ['--agents', 'fine'],
      // Wider than the default: a worker process can take more than 10 s to start on a loaded machine.
      { noWorkerGraceMs: 30_000 },
    );
  });
});
