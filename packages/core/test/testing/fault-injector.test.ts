import { describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../src/core/types.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { FaultInjector, roll, seededRandom, withFaults } from '../../src/testing/fault-injector.ts';
import type { InProcessFault } from '../../src/testing/fault-injector.ts';
import { scriptedAgent } from '../../src/testing/index.ts';

const keys = Array.from({ length: 10_000 }, (_, i) => `r${i}/t1/1/agent`);

describe('FaultInjector', () => {
  it('decides from the seed and the key alone', () => {
    const a = new FaultInjector({ seed: 7, rate: 0.3, weights: { throw: 1, hang: 1 } });
    const b = new FaultInjector({ seed: 7, rate: 0.3, weights: { throw: 1, hang: 1 } });
    const other = new FaultInjector({ seed: 8, rate: 0.3, weights: { throw: 1, hang: 1 } });
    const forward = keys.map((k) => a.decide(k));
    const backward = [...keys].reverse().map((k) => b.decide(k)).reverse();
    expect(backward).toEqual(forward);
    expect(keys.map((k) => other.peek(k))).not.toEqual(forward);
    expect(roll(7, 'x')).toBe(roll(7, 'x'));
  });

  it('injects at the given rate, split by weight, never a kind left out', () => {
    const f = new FaultInjector<'throw' | 'hang' | 'crash'>({ seed: 1, rate: 0.2, weights: { throw: 3, hang: 1 } });
    for (const k of keys) f.decide(k);
    const faulty = keys.length - (f.counts.get('none') ?? 0);
    expect(faulty / keys.length).toBeGreaterThan(0.18);
    expect(faulty / keys.length).toBeLessThan(0.22);
    const ratio = (f.counts.get('throw') ?? 0) / (f.counts.get('hang') ?? 1);
    expect(ratio).toBeGreaterThan(2.5);
    expect(ratio).toBeLessThan(3.5);
    expect(f.counts.get('crash')).toBeUndefined();
    expect(() => new FaultInjector({ seed: 1, rate: 1.5, weights: {} })).toThrow(RangeError);
  });

  it('gives a repeatable sequence from seededRandom', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe('withFaults in a real run', () => {
  async function attemptsWith(fault: InProcessFault): Promise<{ attempts: AttemptRecord[]; late: boolean[] }> {
    const late: boolean[] = [];
    const injector = new FaultInjector<InProcessFault>({ seed: 1, rate: 1, weights: { [fault]: 1 } });
    const agent = withFaults(scriptedAgent({ name: 'maker', produces: ['thing'], schemas: { thing: { type: 'object' } }, timeoutMs: 50, retries: 1 }), injector, {
      lateMs: 150,
      onLate: ({ aborted }) => late.push(aborted),
    });
    const o = createOrchestrator({ name: 'faults', agents: [agent], policy: { backoff: { initialDelayMs: 1, factor: 1, maxDelayMs: 1, jitter: 0 } } });
    const result = await o.run('make the thing');
    await o.close();
    if (fault === 'late') await new Promise((r) => setTimeout(r, 400));
    expect(result.status).toBe('failed');
    return { attempts: result.tasks[0]!.attempts, late };
  }

  it.each([
    ['throw', 'failed', /injected fault: maker threw/],
    ['hang', 'timeout', /no result within 50 ms/],
    ['non-json', 'invalid', /not JSON-serialisable/],
    ['invalid', 'invalid', /must be object/],
    ['late', 'timeout', /no result within 50 ms/],
  ] as const)('%s makes attempts end %s', async (fault, status, error) => {
    const { attempts, late } = await attemptsWith(fault);
    expect(attempts.map((a) => a.status)).toEqual([status, status]);
    expect(attempts[0]!.error).toMatch(error);
    if (fault === 'late') expect(late).toEqual([true, true]);
  });

  it('lets attempts it does not choose run unchanged', async () => {
    const injector = new FaultInjector<InProcessFault>({ seed: 1, rate: 0, weights: { throw: 1 } });
    const o = createOrchestrator({ name: 'faults', agents: [withFaults(scriptedAgent({ name: 'maker', produces: ['thing'] }), injector)] });
    const result = await o.run('make the thing');
    await o.close();
    expect(result.status).toBe('succeeded');
    expect(injector.counts.get('none')).toBe(1);
  });
});
