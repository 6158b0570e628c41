import { afterEach, describe, expect, it, vi } from 'vitest';
import { PostgresOwnership } from '../../src/postgres/postgres-ownership.ts';

// Which heartbeats the PostgreSQL journal takes for recent ones, whatever order the database's
// answers come in (its statements answered by hand here, in the order a test chooses).

const owner = { id: 'host-a:4000:x', host: 'host-a', pid: 4000, startedAt: 1_700_000_000_000 };

/** An ownership whose statements wait until `answer(i)` answers the i-th one sent (or `fail(i)` fails it). */
function byHand(): { owners: PostgresOwnership; answer: (i: number) => void; fail: (i: number) => void } {
  const waiting: { resolve: () => void; reject: () => void }[] = [];
  const owners = new PostgresOwnership(
    () => new Promise((resolve, reject) => waiting.push({ resolve: () => resolve({ rows: [], rowCount: 1 }), reject: () => reject(new Error('connection lost')) })),
  );
  return { owners, answer: (i) => waiting[i]!.resolve(), fail: (i) => waiting[i]!.reject() };
}

/** Date.now() as the test sets it. */
function clockAt(start: number): (ms: number) => void {
  let now = start;
  vi.spyOn(Date, 'now').mockImplementation(() => now);
  return (ms) => (now = ms);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a PostgreSQL journal's last heartbeat", () => {
  it('is recent once its statement answered, and not before', async () => {
    const { owners, answer } = byHand();
    const beating = owners.heartbeat(owner);
    expect(owners.beatRecently(owner, 100)).toBe(false);
    answer(0);
    await beating;
    expect(owners.beatRecently(owner, 100)).toBe(true);
  });

  it('is not one sent before a retire of its owner, whether it answers before or after the retire', async () => {
    for (const retireAnswersFirst of [true, false]) {
      const { owners, answer } = byHand();
      const beating = owners.heartbeat(owner);
      const retiring = owners.retire(owner.id);
      for (const i of retireAnswersFirst ? [1, 0] : [0, 1]) answer(i);
      await Promise.all([beating, retiring]);
      expect(owners.beatRecently(owner, 100)).toBe(false);
    }
  });

  it('is reused for up to twice as long while another is on its way, and not once that one is late, failed or its owner retired', async () => {
    const setClock = clockAt(1_000);
    const { owners, answer, fail } = byHand();
    const first = owners.heartbeat(owner);
    answer(0);
    await first;
    // 100 ms on, a run would write one: it is sent, and not answered yet.
    setClock(1_100);
    expect(owners.beatRecently(owner, 100)).toBe(false);
    const second = owners.heartbeat(owner);
    expect(owners.beatRecently(owner, 100)).toBe(true);
    setClock(1_199);
    expect(owners.beatRecently(owner, 100)).toBe(true);
    // The last committed is 200 ms old.
    setClock(1_200);
    expect(owners.beatRecently(owner, 100)).toBe(false);
    answer(1);
    await second;
    // The one answered is the last committed now: sent at 1,100.
    expect(owners.beatRecently(owner, 101)).toBe(true);

    // One on its way since 1,110: 100 ms on, it may never come, though the last committed is 150 ms old.
    setClock(1_110);
    const third = owners.heartbeat(owner);
    setClock(1_209);
    expect(owners.beatRecently(owner, 100)).toBe(true);
    setClock(1_210);
    expect(owners.beatRecently(owner, 100)).toBe(false);
    answer(2);
    await third;

    // One sent when the last committed (at 1,110) is 200 ms old.
    setClock(1_310);
    const fourth = owners.heartbeat(owner);
    expect(owners.beatRecently(owner, 100)).toBe(false);
    answer(3);
    await fourth;

    // One that fails is no longer on its way.
    setClock(1_450);
    const fifth = owners.heartbeat(owner);
    expect(owners.beatRecently(owner, 100)).toBe(true);
    fail(4);
    await expect(fifth).rejects.toThrow('connection lost');
    expect(owners.beatRecently(owner, 100)).toBe(false);

    // Nor one sent before a retire of its owner (which forgets the last committed one).
    const sixth = owners.heartbeat(owner);
    const retiring = owners.retire(owner.id);
    answer(6);
    await retiring;
    expect(owners.beatRecently(owner, 100)).toBe(false);
    answer(5);
    await sixth;
    expect(owners.beatRecently(owner, 100)).toBe(false);
  });

  it('is not reused while another is on its way when the clock was set back since that one was sent', async () => {
    const setClock = clockAt(1_000);
    const { owners, answer } = byHand();
    const first = owners.heartbeat(owner);
    answer(0);
    await first;
    setClock(1_150);
    void owners.heartbeat(owner);
    expect(owners.beatRecently(owner, 100)).toBe(true);
    // Set back 30 ms: the one on its way seems sent in the future.
    setClock(1_120);
    expect(owners.beatRecently(owner, 100)).toBe(false);
  });

  it("is not reused for an owner's run while one of another owner is on its way", async () => {
    const setClock = clockAt(5_000);
    const { owners, answer } = byHand();
    const other = { ...owner, id: 'host-b:5000:y' };
    const first = owners.heartbeat(owner);
    answer(0);
    await first;
    setClock(5_150);
    void owners.heartbeat(other);
    expect(owners.beatRecently(owner, 100)).toBe(false);
    expect(owners.beatRecently(other, 100)).toBe(false);
    void owners.heartbeat(owner);
    expect(owners.beatRecently(owner, 100)).toBe(true);
  });
});
