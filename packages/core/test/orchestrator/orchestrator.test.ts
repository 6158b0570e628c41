import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/core/events.ts';
import { reduceEvents } from '../../src/core/reduce.ts';
import type { RunResult } from '../../src/core/types.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { MemoryRunStore } from '../../src/store/index.ts';
import { scriptedAgent } from '../../src/testing/index.ts';

const fast = { backoff: { initialDelayMs: 1, factor: 1, maxDelayMs: 1, jitter: 0 } };

function attemptsOf(result: RunResult, taskAgent: string) {
  return result.tasks.find((t) => t.agent === taskAgent || t.attempts.some((a) => a.agent === taskAgent))?.attempts ?? [];
}

describe('Orchestrator', () => {
  it('runs independent tasks in parallel and flows artifacts from producers to consumers', async () => {
    const source = scriptedAgent({ name: 'source', description: 'Collects the source numbers', produces: ['numbers'], script: [{ output: { numbers: [1, 2, 3] } }] });
    const sum = scriptedAgent({
      name: 'summer',
      description: 'Computes the sum of the numbers',
      consumes: ['numbers'],
      produces: ['sum'],
      script: [{ delayMs: 150, output: (i) => ({ sum: (i.inputs.numbers as number[]).reduce((a, b) => a + b, 0) }) }],
    });
    const max = scriptedAgent({
      name: 'maxer',
      description: 'Finds the maximum of the numbers',
      consumes: ['numbers'],
      produces: ['maximum'],
      script: [{ delayMs: 150, output: (i) => ({ maximum: Math.max(...(i.inputs.numbers as number[])) }) }],
    });
    const report = scriptedAgent({
      name: 'reporter',
      description: 'Writes the report from sum and maximum',
      consumes: ['sum', 'maximum'],
      produces: ['report'],
      script: [{ output: (i) => ({ report: `sum ${String(i.inputs.sum)}, max ${String(i.inputs.maximum)}` }) }],
    });
    const orch = createOrchestrator({ name: 'stats', agents: [source, sum, max, report], deliverable: ['report'] });
    const result = await orch.run('make the report');

    expect(result.status).toBe('succeeded');
    expect(result.deliverable.artifacts).toEqual({ report: 'sum 6, max 3' });
    expect(result.deliverable.provenance.report).toMatchObject({ agent: 'reporter', attempt: 1 });
    expect(sum.calls[0]?.inputs).toEqual({ numbers: [1, 2, 3] });
    const [s] = attemptsOf(result, 'summer');
    const [m] = attemptsOf(result, 'maxer');
    expect(s && m).toBeTruthy();
    // The two branches overlap in time: each started before the other ended.
    expect(Date.parse(s!.startedAt)).toBeLessThan(Date.parse(m!.endedAt!));
    expect(Date.parse(m!.startedAt)).toBeLessThan(Date.parse(s!.endedAt!));
  });

  it('retries a transient failure and records every attempt', async () => {
    const flaky = scriptedAgent({ name: 'flaky', description: 'Fetches rows', produces: ['rows'], script: [{ throw: 'connection reset' }, { output: { rows: [1] } }] });
    const orch = createOrchestrator({ name: 'o', agents: [flaky], policy: fast });
    const result = await orch.run('fetch rows');
    expect(result.status).toBe('succeeded');
    const attempts = result.tasks[0]!.attempts;
    expect(attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(attempts[0]!.error).toBe('connection reset');
    expect(flaky.calls[1]?.feedback).toMatch(/connection reset/);
  });

  it('rejects schema-invalid output and retries with feedback naming the field', async () => {
    const schema = { type: 'array', items: { type: 'object', required: ['name', 'price'], properties: { price: { type: 'number' } } } };
    const hotels = scriptedAgent({
      name: 'hotels',
      description: 'Finds hotels',
      produces: ['hotels'],
      schemas: { hotels: schema },
      script: [{ output: { hotels: [{ name: 'Ritz' }] } }, { output: { hotels: [{ name: 'Ritz', price: 300 }] } }],
    });
    const result = await createOrchestrator({ name: 'o', agents: [hotels], policy: fast }).run('find hotels');
    expect(result.status).toBe('succeeded');
    expect(result.tasks[0]!.attempts[0]).toMatchObject({ status: 'invalid' });
    expect(result.tasks[0]!.attempts[0]!.error).toContain('/0/price is required');
    expect(hotels.calls[1]?.feedback).toContain('/0/price is required');
    expect(result.tasks[0]!.attempts[1]!.feedback).toContain('/0/price is required');
  });

  it('reassigns to the fallback agent once retries run out', async () => {
    const primary = scriptedAgent({ name: 'primary', description: 'Fetches rows', produces: ['rows'], retries: 1, fallback: ['replica'], script: [{ throw: 'primary down' }] });
    const replica = scriptedAgent({ name: 'replica', description: 'Replica of the row fetcher', produces: ['rows'], script: [{ output: { rows: ['from replica'] } }] });
    const result = await createOrchestrator({ name: 'o', agents: [primary, replica], deliverable: ['rows'], policy: fast }).run('fetch rows');
    expect(result.status).toBe('succeeded');
    const task = result.tasks[0]!;
    expect(task.attempts.map((a) => `${a.agent}:${a.status}`)).toEqual(['primary:failed', 'primary:failed', 'replica:succeeded']);
    expect(task.attempts.map((a) => a.n)).toEqual([1, 2, 3]);
    expect(result.deliverable.provenance.rows).toMatchObject({ agent: 'replica', attempt: 3 });
  });

  it('cuts off a hung agent at its timeout', async () => {
    const hung = scriptedAgent({ name: 'hung', description: 'Never answers', produces: ['x'], timeoutMs: 100, retries: 0, script: [{ hang: true }] });
    const result = await createOrchestrator({ name: 'o', agents: [hung], policy: fast }).run('x');
    expect(result.status).toBe('failed');
    expect(result.tasks[0]!.attempts[0]).toMatchObject({ status: 'timeout', error: 'no result within 100 ms' });
  });

  it('skips the dependents of a failed task, finishes independent branches and ends partial', async () => {
    const a = scriptedAgent({ name: 'a', description: 'Makes alpha', produces: ['alpha'], retries: 0, script: [{ throw: 'boom', unrecoverable: true }] });
    const b = scriptedAgent({ name: 'b', description: 'Makes beta from alpha', consumes: ['alpha'], produces: ['beta'] });
    const c = scriptedAgent({ name: 'c', description: 'Makes gamma', produces: ['gamma'] });
    const result = await createOrchestrator({ name: 'o', agents: [a, b, c], deliverable: ['beta', 'gamma'], policy: fast }).run('deliver');
    expect(result.status).toBe('partial');
    expect(Object.fromEntries(result.tasks.map((t) => [t.agent, t.status]))).toEqual({ a: 'failed', b: 'skipped', c: 'succeeded' });
    expect(result.deliverable.missing).toEqual(['beta']);
    expect(result.reason).toMatch(/failed: .*boom/);
    expect(b.calls).toHaveLength(0);
  });

  it('ends failed when nothing useful is delivered', async () => {
    const a = scriptedAgent({ name: 'a', description: 'Makes alpha', produces: ['alpha'], retries: 0, script: [{ throw: 'nope' }] });
    const result = await createOrchestrator({ name: 'o', agents: [a], policy: fast }).run('alpha');
    expect(result.status).toBe('failed');
  });

  it('cancels in-flight attempts and ends cancelled', async () => {
    const slow = scriptedAgent({ name: 'slow', description: 'Slow', produces: ['x'], script: [{ hang: true }] });
    const orch = createOrchestrator({ name: 'o', agents: [slow] });
    const seen: RunEvent[] = [];
    const handle = orch.start('x', { onEvent: (e) => seen.push(e) });
    await waitFor(() => seen.some((e) => e.type === 'task.started'));
    handle.cancel('user pressed stop');
    const result = await handle.result;
    expect(result.status).toBe('cancelled');
    expect(result.reason).toBe('user pressed stop');
    expect(result.tasks[0]!.status).toBe('cancelled');
  });

  it('stops a run at its run timeout', async () => {
    const slow = scriptedAgent({ name: 'slow', description: 'Slow', produces: ['x'], script: [{ hang: true }] });
    const result = await createOrchestrator({ name: 'o', agents: [slow], policy: { runTimeoutMs: 150 } }).run('x');
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/run timed out after 150 ms/);
  });

  it('journals events that replay to the returned RunResult', async () => {
    const store = new MemoryRunStore();
    const a = scriptedAgent({ name: 'a', description: 'Makes alpha', produces: ['alpha'], script: [{ throw: 'once' }, { output: { alpha: 1 } }] });
    const result = await createOrchestrator({ name: 'o', agents: [a], store, policy: fast }).run('alpha');
    const replayed = reduceEvents(await store.readEvents(result.runId));
    expect(replayed).toEqual(result);
    expect((await store.getRun(result.runId))?.status).toBe('succeeded');
  });

  it('fails a run with a clear reason when the goal cannot be planned', async () => {
    const a = scriptedAgent({ name: 'a', description: 'Makes alpha', consumes: ['ghost'], produces: ['alpha'] });
    const result = await createOrchestrator({ name: 'o', agents: [a] }).run('alpha');
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(/planning failed: .*ghost/);
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
