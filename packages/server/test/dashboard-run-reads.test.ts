/** What a run's page holds after each read (packages/server/src/dashboard/run-reads.js, plain browser JS with no DOM). */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: the dashboard's scripts are plain JavaScript, with no types.
import { HeldRun, heldAfter, READ_WHOLE } from '../src/dashboard/run-reads.js';

interface Task {
  id: string;
  status: string;
  attempts?: { n: number; status?: string }[];
  attemptsFrom?: number;
}
interface Run {
  status: string;
  startedAt?: string;
  plan?: { tasks: { id: string }[] };
  previousPlans?: unknown[];
  tasks: Task[];
}
type Held = { run: Run; seq: number | undefined } | undefined;
const after = heldAfter as (run: Run | undefined, seq: number | undefined, read: { body: Run; seq: number | undefined; delta: boolean }) => Held;
type Answer = { body: Run; seq: number; delta: boolean };
interface HeldRunOfPage {
  run: Run | undefined;
  seq: number | undefined;
  read(readRun: (since: number | undefined) => Promise<Answer>): Promise<boolean>;
}
const newHeldRun = (): HeldRunOfPage => new (HeldRun as new () => HeldRunOfPage)();

/** A readRun that gives `answers` in turn, and the `since` of each read asked for. */
function answering(answers: Answer[]): { readRun: (since: number | undefined) => Promise<Answer>; asked: (number | undefined)[] } {
  const asked: (number | undefined)[] = [];
  return {
    asked,
    readRun: async (since) => {
      asked.push(since);
      return answers.shift()!;
    },
  };
}

const plan = { tasks: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] };
const whole: Run = { status: 'running', plan, previousPlans: [{ tasks: [] }], tasks: [{ id: 'a', status: 'running' }, { id: 'b', status: 'pending' }, { id: 'c', status: 'pending' }] };

describe('what a run’s page holds after a read', () => {
  it('takes a whole read as it is, and folds what changed into what it holds: changed tasks in place, new ones at the end', () => {
    expect(after(undefined, undefined, { body: whole, seq: 5, delta: false })).toEqual({ run: whole, seq: 5 });
    const next = after(whole, 5, { body: { status: 'running', tasks: [{ id: 'b', status: 'succeeded' }, { id: 'x', status: 'running' }] }, seq: 9, delta: true });
    expect(next).toEqual({
      run: { status: 'running', plan, previousPlans: whole.previousPlans, tasks: [{ id: 'a', status: 'running' }, { id: 'b', status: 'succeeded' }, { id: 'c', status: 'pending' }, { id: 'x', status: 'running' }] },
      seq: 9,
    });
    // What it held is not changed: the views compare what they drew with what they are given.
    expect(whole.tasks[1]).toEqual({ id: 'b', status: 'pending' });
    // A field the run no longer has (a reason, a wait) is gone with it.
    const ended = after({ ...whole, reason: 'x' } as Run, 5, { body: { status: 'succeeded', tasks: [] }, seq: 12, delta: true });
    expect(ended?.run).not.toHaveProperty('reason');
  });

  it('keeps the attempts held before a changed task’s attemptsFrom, and reads the run whole when they do not follow on', async () => {
    const tries = (n: number, last?: string): { n: number; status?: string }[] => Array.from({ length: n }, (_, i) => (i === n - 1 && last === undefined ? { n: i + 1 } : { n: i + 1, status: i === n - 1 ? last! : 'failed' }));
    const polling: Run = { status: 'running', plan, tasks: [{ id: 'a', status: 'running', attempts: tries(4) }, { id: 'b', status: 'pending', attempts: [] }] };
    // The running 4th attempt has failed, a 5th runs; b has started.
    const read = { status: 'running', tasks: [{ id: 'a', status: 'running', attempts: [{ n: 4, status: 'failed' }, { n: 5 }], attemptsFrom: 3 }, { id: 'b', status: 'running', attempts: [{ n: 1 }] }] };
    const next = after(polling, 7, { body: read, seq: 9, delta: true });
    expect(next?.run.tasks).toEqual([{ id: 'a', status: 'running', attempts: tries(5) }, { id: 'b', status: 'running', attempts: [{ n: 1 }] }]);
    expect(polling.tasks[0]!.attempts).toEqual(tries(4));
    // Changed with no attempt changed (a status, usage): from its end, none sent.
    const still = after(next!.run, 9, { body: { status: 'running', tasks: [{ id: 'a', status: 'pending', attempts: [], attemptsFrom: 5 }] }, seq: 10, delta: true });
    expect(still?.run.tasks[0]).toEqual({ id: 'a', status: 'pending', attempts: tries(5) });

    // Attempts from past those held: the run is read whole, once.
    const gap = { status: 'running', tasks: [{ id: 'a', status: 'running', attempts: [{ n: 9 }], attemptsFrom: 8 }] };
    expect(after(polling, 7, { body: gap, seq: 12, delta: true })).toBe(READ_WHOLE);
    const held = newHeldRun();
    const wholeNow: Run = { status: 'running', plan, tasks: [{ id: 'a', status: 'running', attempts: tries(9) }, { id: 'b', status: 'pending', attempts: [] }] };
    const { readRun, asked } = answering([{ body: polling, seq: 7, delta: false }, { body: gap, seq: 12, delta: true }, { body: wholeNow, seq: 12, delta: false }]);
    expect(await held.read(readRun)).toBe(true);
    expect(await held.read(readRun)).toBe(true);
    expect(asked).toEqual([undefined, 7, undefined]);
    expect(held.run).toEqual(wholeNow);
    expect(held.seq).toBe(12);
  });

  it('does not draw a read older than what it holds (two reads that crossed), and takes one as new or newer', () => {
    expect(after(whole, 9, { body: { ...whole, status: 'awaiting-approval' }, seq: 7, delta: false })).toBeUndefined();
    expect(after(whole, 9, { body: { status: 'running', tasks: [{ id: 'a', status: 'failed' }] }, seq: 8, delta: true })).toBeUndefined();
    expect(after(whole, 9, { body: { status: 'running', tasks: [] }, seq: 9, delta: true })?.seq).toBe(9);
    // A server that says no seq: the read is taken as it comes.
    expect(after(whole, 9, { body: { ...whole, status: 'succeeded' }, seq: undefined, delta: false })).toEqual({ run: { ...whole, status: 'succeeded' }, seq: undefined });
  });

  it('tells a run deleted and made again under its id from the run it held: the new one is read whole, the old one not drawn again', async () => {
    const old: Run & { startedAt: string } = { ...whole, startedAt: '2026-12-05T10:00:00.000Z' };
    const made: Run & { startedAt: string } = { status: 'running', startedAt: '2026-12-05T11:00:00.000Z', plan: { tasks: [{ id: 'n' }] }, tasks: [{ id: 'n', status: 'running' }] };
    // The new run's seqs are lower: its whole read is held all the same, and its changes are not the old run's.
    expect(after(old, 40, { body: made, seq: 3, delta: false })).toEqual({ run: made, seq: 3 });
    expect(after(old, 40, { body: { status: 'running', startedAt: made.startedAt, tasks: [{ id: 'n', status: 'succeeded' }] }, seq: 41, delta: true })).toBeUndefined();
    // A read of the old run that crossed one of the new: not drawn, whatever its seq.
    expect(after(made, 3, { body: { ...old, status: 'succeeded' }, seq: 60, delta: false })).toBeUndefined();
    // A result without a start is taken for the same run.
    expect(after(made, 3, { body: { status: 'running', tasks: [] }, seq: 4, delta: true })?.seq).toBe(4);

    const held = newHeldRun();
    const { readRun, asked } = answering([
      { body: old, seq: 40, delta: false },
      // Asked for what changed since 40, of the run under the id now: the new run's.
      { body: { status: 'running', startedAt: made.startedAt, tasks: [{ id: 'n', status: 'succeeded' }] }, seq: 44, delta: true },
      { body: made, seq: 44, delta: false },
    ]);
    expect(await held.read(readRun)).toBe(true);
    expect(await held.read(readRun)).toBe(true);
    expect(asked).toEqual([undefined, 40, undefined]);
    expect(held.run).toEqual(made);
    expect(held.seq).toBe(44);
  });

  it('weighs an answer against what it holds when the answer comes: of two reads that crossed, the later answer of an older state is not drawn', async () => {
    const held = newHeldRun();
    const asked: (number | undefined)[] = [];
    const answer = (): { read: (since: number | undefined) => Promise<Answer>; give(a: Answer): void } => {
      let give!: (a: Answer) => void;
      const given = new Promise<Answer>((resolve) => (give = resolve));
      return {
        read: (since) => {
          asked.push(since);
          return given;
        },
        give,
      };
    };
    const first = answer();
    const reading = held.read(first.read);
    first.give({ body: whole, seq: 9, delta: false });
    expect(await reading).toBe(true);

    // The page's own read asks first, a decision's read second; the second is answered first.
    const own = answer();
    const decision = answer();
    const ownRead = held.read(own.read);
    const decisionRead = held.read(decision.read);
    expect(asked).toEqual([undefined, 9, 9]);
    decision.give({ body: { status: 'running', tasks: [{ id: 'a', status: 'succeeded' }] }, seq: 14, delta: true });
    expect(await decisionRead).toBe(true);
    own.give({ body: { status: 'awaiting-approval', tasks: [] }, seq: 12, delta: true });
    expect(await ownRead).toBe(false);
    expect(held.seq).toBe(14);
    expect(held.run).toMatchObject({ status: 'running', tasks: [{ id: 'a', status: 'succeeded' }, { id: 'b' }, { id: 'c' }] });
  });
});
