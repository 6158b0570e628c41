import { describe, expect, it } from 'vitest';
import { TURN_BUDGET_MS, inNextTurn, turnSpent } from '../../src/execution/turn-budget.ts';

const spin = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};
const nextMacrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Starts a turn and runs it past the budget. */
async function spendATurn(): Promise<void> {
  await nextMacrotask();
  turnSpent();
  spin(TURN_BUDGET_MS + 2);
}

describe('turn budget', () => {
  it('is not spent at the first ask of a turn, and is once the turn ran past the budget', async () => {
    await nextMacrotask();
    expect(turnSpent()).toBe(false);
    expect(turnSpent()).toBe(false);
    spin(TURN_BUDGET_MS + 2);
    expect(turnSpent()).toBe(true);
    // Microtasks belong to the same turn.
    await Promise.resolve();
    expect(turnSpent()).toBe(true);
  });

  it('starts counting again in the next turn', async () => {
    await spendATurn();
    expect(turnSpent()).toBe(true);
    await nextMacrotask();
    expect(turnSpent()).toBe(false);
  });

  it('runs put-off launches in a later turn, oldest first', async () => {
    await spendATurn();
    expect(turnSpent()).toBe(true);
    const order: string[] = [];
    inNextTurn(() => order.push('first'));
    inNextTurn(() => order.push('second'));
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual([]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(order).toEqual(['first', 'second']);
  });

  it('counts the put-off launches as a turn of their own', async () => {
    await spendATurn();
    const seen: boolean[] = [];
    inNextTurn(() => {
      seen.push(turnSpent());
      spin(TURN_BUDGET_MS + 2);
      seen.push(turnSpent());
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(seen).toEqual([false, true]);
  });

  it('runs the launches behind one that throws, and warns of it', async () => {
    await spendATurn();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    const ran: string[] = [];
    inNextTurn(() => {
      throw new Error('a bug');
    });
    inNextTurn(() => ran.push('after'));
    await new Promise<void>((resolve) => setImmediate(resolve));
    await nextMacrotask();
    process.off('warning', onWarning);
    expect(ran).toEqual(['after']);
    expect(warnings).toEqual(['a launch put off to the next turn threw: Error: a bug']);
  });
});
