import { describe, expect, it } from 'vitest';
import { PostgresOwnership } from '../../src/postgres/postgres-ownership.ts';

// Which heartbeats the PostgreSQL journal takes for recent ones, whatever order the database's
// answers come in (its statements answered by hand here, in the order a test chooses).

const owner = { id: 'host-a:4000:x', host: 'host-a', pid: 4000, startedAt: 1_700_000_000_000 };

/** An ownership whose statements wait until `answer(i)` answers the i-th one sent. */
function byHand(): { owners: PostgresOwnership; answer: (i: number) => void } {
  const waiting: (() => void)[] = [];
  const owners = new PostgresOwnership(() => new Promise((resolve) => waiting.push(() => resolve({ rows: [], rowCount: 1 }))));
  return { owners, answer: (i) => waiting[i]!() };
}

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
});
