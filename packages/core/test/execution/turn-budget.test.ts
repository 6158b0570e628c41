import { describe, expect, it } from 'vitest';
import { RUN_STARTS_PER_TURN, TURN_BUDGET_MS, inNextTurn, runAdmission, turnSpent } from '../../src/execution/turn-budget.ts';

const spin = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};
/**
 * A macrotask after the check phase in which the budget ends its turn: a timer alone may fire
 * before that phase, still inside the turn a test before it left going (seen under CI load).
 */
const nextMacrotask = async (): Promise<void> => {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
};

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

  it('lets a turn begin so many runs, and the rest in the turns after, in the order asked', async () => {
    await nextMacrotask();
    const asked = RUN_STARTS_PER_TURN * 2 + 5;
    const turn: number[] = new Array<number>(asked);
    let current = 0;
    // A check-phase callback of its own, once per turn of the event loop (before the budget's own).
    let ticking = true;
    const tick = (): void => {
      current++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const waits: Promise<void>[] = [];
    for (let i = 0; i < asked; i++) {
      const admission = runAdmission();
      if (!admission) turn[i] = current;
      else waits.push(admission.then(() => void (turn[i] = current)));
    }
    expect(waits).toHaveLength(asked - RUN_STARTS_PER_TURN);
    await Promise.all(waits);
    ticking = false;
    const perTurn = new Map<number, number>();
    for (const t of turn) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    expect([...perTurn.values()].every((n) => n <= RUN_STARTS_PER_TURN)).toBe(true);
    expect(perTurn.size).toBeGreaterThanOrEqual(3);
    // Admitted in the order asked: the turns never go back.
    expect(turn.every((t, i) => i === 0 || t >= turn[i - 1]!)).toBe(true);
  });

  it('queues a run behind those already waiting, even in a turn with starts to spare', async () => {
    await nextMacrotask();
    const waits: Promise<void>[] = [];
    for (let i = 0; i < RUN_STARTS_PER_TURN + 1; i++) {
      const admission = runAdmission();
      if (admission) waits.push(admission);
    }
    expect(waits).toHaveLength(1);
    const order: string[] = [];
    void waits[0]!.then(() => order.push('waited'));
    await new Promise<void>((resolve) => setImmediate(resolve));
    // A new turn has starts to spare, but the run asked for first goes first.
    const late = runAdmission();
    if (late) void late.then(() => order.push('late'));
    else order.push('late');
    await new Promise<void>((resolve) => setImmediate(resolve));
    await nextMacrotask();
    expect(order).toEqual(['waited', 'late']);
  });
});
