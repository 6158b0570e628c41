import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunStore } from '../../../core/src/core/contracts.ts';
import { BatonError } from '../../../core/src/core/errors.ts';
import { openStore } from '../../../core/src/store/open-store.ts';
import { ownerBeatReuseMs } from '../../../core/src/store/journal-rules.ts';
import { POSTGRES_SCHEMA_VERSION } from '../../src/postgres/postgres-migrations.ts';
import { PostgresRunStore } from '../../src/postgres/postgres-store.ts';
import { startPostgres } from '../../../core/test/support/postgres.ts';
import type { ThrowawayPostgres } from '../../../core/test/support/postgres.ts';
import { runStoreConformance } from '../../../core/test/store/run-store.conformance.ts';
import { stamp } from '../../../core/test/store/sample-journal.ts';

let server: ThrowawayPostgres;
let admin: pg.Client;
let schemas = 0;
const urls = new Map<RunStore, { url: string; schema: string }>();

beforeAll(async () => {
  server = await startPostgres();
  admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

/** A fresh schema, and a URL whose connections keep the journal in it (search_path). */
async function freshSchema(): Promise<{ url: string; schema: string }> {
  const schema = `journal_${++schemas}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  return { url: `${server.url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, schema };
}

async function connect(target: { url: string; schema: string }): Promise<PostgresRunStore> {
  const store = await PostgresRunStore.connect(target.url);
  urls.set(store, target);
  return store;
}

function targetOf(store: RunStore): { url: string; schema: string } {
  const target = urls.get(store);
  if (!target) throw new Error('store was not opened by this harness');
  return target;
}

runStoreConformance('postgres', {
  create: async () => connect(await freshSchema()),
  destroy: async (store) => {
    await store.close();
    await admin.query(`DROP SCHEMA ${targetOf(store).schema} CASCADE`);
  },
  reopen: async (store) => {
    await store.close();
    return connect(targetOf(store));
  },
  openAnother: async (store) => connect(targetOf(store)),
});

describe('PostgresRunStore', () => {
  it('migrates once when several processes connect at the same time', async () => {
    const target = await freshSchema();
    const stores = await Promise.all(Array.from({ length: 5 }, () => PostgresRunStore.connect(target.url)));
    try {
      const { rows } = await admin.query<{ version: number }>(`SELECT version FROM ${target.schema}.baton_schema_version ORDER BY version`);
      expect(rows.map((r) => r.version)).toEqual(Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, i) => i + 1));
      await stores[0]?.createRun({ runId: 'r_1', goal: 'g', createdAt: '2024-01-01T00:00:00.000Z' });
      for (const store of stores) expect((await store.getRun('r_1'))?.goal).toBe('g');
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('refuses a database written by a newer schema, saying what to do', async () => {
    const target = await freshSchema();
    await (await PostgresRunStore.connect(target.url)).close();
    await admin.query(`INSERT INTO ${target.schema}.baton_schema_version (version, description) VALUES ($1, 'from the future')`, [POSTGRES_SCHEMA_VERSION + 1]);
    const error = await PostgresRunStore.connect(target.url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(BatonError.isInstance(error)).toBe(true);
    expect((error as BatonError).message).toContain(`written by a newer Baton (schema version ${POSTGRES_SCHEMA_VERSION + 1}`);
    expect((error as BatonError).retryable).toBe(false);
  });

  it('fails to connect with a clear message that hides the password', async () => {
    const port = await closedPort();
    const error = await PostgresRunStore.connect(`postgresql://baton:s3cret@127.0.0.1:${port}/baton`, { connectTimeoutMs: 2000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(BatonError.isInstance(error)).toBe(true);
    const message = (error as BatonError).message;
    expect(message).toContain(`postgresql://baton:***@127.0.0.1:${port}/baton`);
    expect(message).toContain('BATON_DATABASE_URL');
    expect(message).not.toContain('s3cret');
  });

  it('turns a primary-key clash on (run_id, seq) into the concurrent-append error', async () => {
    const target = await freshSchema();
    const store = await PostgresRunStore.connect(target.url);
    try {
      await store.createRun({ runId: 'r_1', goal: 'g', createdAt: '2024-01-01T00:00:00.000Z' });
      await store.append('r_1', stamp('r_1', [{ type: 'task.skipped', taskId: 't1', reason: 'first' }]));
      // a writer that passed the count check: only the primary key stands in its way
      await admin.query(`UPDATE ${target.schema}.runs SET event_count = 0`);
      const error = await store.append('r_1', stamp('r_1', [{ type: 'task.skipped', taskId: 't1', reason: 'second' }])).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as BatonError).message).toBe('run r_1 was appended to concurrently at seq 1: another orchestrator process is driving this run');
      expect((error as BatonError).code).toBe('INTERNAL');
    } finally {
      await store.close();
    }
  });

  describe("an owner's heartbeat", () => {
    const owner = { id: 'host-a:4000:x', host: 'host-a', pid: 4000, startedAt: 1_700_000_000_000 };
    const created = (runId: string) => ({ runId, goal: 'g', createdAt: `2024-01-01T00:00:00.${runId.slice(2).padStart(3, '0')}Z`, owner });

    /** A store on a fresh schema, and what its owner row says. */
    async function open() {
      const target = await freshSchema();
      const store = await PostgresRunStore.connect(target.url);
      const ageOf = async (runId: string) => (await store.ownership(runId))?.heartbeatAgeMs;
      /** Makes the owner's heartbeat an hour old: a create that writes one makes it fresh again. */
      const age = async () => (await admin.query(`UPDATE ${target.schema}.owners SET heartbeat_at = now() - interval '1 hour'`)).rowCount;
      return { target, store, ageOf, age };
    }

    it('is written by the statement that creates a run, unless this store wrote one in the last 100 ms (by its clock, never one set back)', async () => {
      const { target, store, ageOf, age } = await open();
      // The store's clock, moved by the test: what "the last 100 ms" is does not depend on the machine's speed.
      let clock = Date.now();
      const now = vi.spyOn(Date, 'now').mockImplementation(() => clock);
      try {
        await store.createRun(created('r_1'));
        expect(await ageOf('r_1')).toBeLessThan(5_000);
        expect(await age()).toBe(1);
        await store.createRun(created('r_2'));
        expect(await ageOf('r_1')).toBeGreaterThan(3_000_000);
        clock += 150;
        // A run that cannot be created (its id is taken) leaves the heartbeat as it was, and is not taken for one written.
        const clash = await store.createRun(created('r_1')).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((clash as BatonError).message).toMatch(/run r_1 already exists/);
        expect(await ageOf('r_1')).toBeGreaterThan(3_000_000);
        await store.createRunWithEvents(created('r_3'), stamp('r_3', [{ type: 'run.started', goal: 'g', orchestrator: 'o' }]));
        expect(await ageOf('r_1')).toBeLessThan(5_000);
        expect(await store.ownership('r_3')).toMatchObject({ fence: 1, owner });
        // A periodic heartbeat counts as one written, and so does a claim's.
        await age();
        clock += 150;
        await store.heartbeat(owner);
        expect(await ageOf('r_3')).toBeLessThan(5_000);
        await age();
        await store.createRun(created('r_4'));
        expect(await ageOf('r_4')).toBeGreaterThan(3_000_000);
        clock += 150;
        expect(await store.claim('r_4', owner, 1)).toBe(2);
        await age();
        await store.createRun(created('r_5'));
        expect(await ageOf('r_5')).toBeGreaterThan(3_000_000);
        clock += 150;
        await store.createRun(created('r_6'));
        expect(await ageOf('r_6')).toBeLessThan(5_000);
        // Retired, the owner has no row: the next run writes it again, however recent the last.
        await store.retire(owner.id);
        await store.createRun(created('r_7'));
        expect(await store.ownership('r_7')).toMatchObject({ owner });
        // A heartbeat dated by a clock since set back (an hour) is not a recent one.
        clock += 3_600_000;
        await store.createRun(created('r_8'));
        clock -= 3_600_000;
        await age();
        await store.createRun(created('r_9'));
        expect(await ageOf('r_9')).toBeLessThan(5_000);
      } finally {
        now.mockRestore();
        await store.close();
      }
      // A run created without an owner writes none.
      const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${target.schema}.owners`);
      expect(rows[0]?.n).toBe('1');
    });

    /** Until `count` of the database's sessions wait for a lock. */
    async function waitingForLocks(count: number): Promise<void> {
      await expect
        .poll(async () => Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'`)).rows[0]?.n), { timeout: 10_000 })
        .toBe(count);
    }

    /**
     * A store whose owner has created run r_1, its clock 150 ms past that heartbeat (`setClock`
     * moves it), and another session in a transaction: `scenario` orders the statements with the
     * rows that session holds.
     */
    async function withHolder(scenario: (s: { target: { schema: string }; store: PostgresRunStore; holder: pg.Client; setClock: (msAfterR1: number) => void }) => Promise<void>): Promise<void> {
      const { target, store } = await open();
      const holder = new pg.Client({ connectionString: target.url });
      await holder.connect();
      const start = Date.now();
      let clock = start;
      const now = vi.spyOn(Date, 'now').mockImplementation(() => clock);
      try {
        await store.createRun(created('r_1'));
        clock += 150;
        await holder.query('BEGIN');
        await scenario({ target, store, holder, setClock: (ms) => (clock = start + ms) });
      } finally {
        now.mockRestore();
        await holder.end();
        await store.close();
      }
    }

    /** `promise`'s answer, or 'waiting' if it has none within 5 s (a statement held by another session's lock). */
    const within5s = <T,>(promise: Promise<T>): Promise<T | 'waiting'> => Promise.race([promise, new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), 5_000))]);

    it('is not written by a create while another is on its way, up to twice the 100 ms since the last committed, and a create does not wait for it', () =>
      withHolder(async ({ target, store, holder, setClock }) => {
        // The other session holds the owner's row: a heartbeat sent 150 ms after r_1's waits for it.
        await holder.query(`SELECT 1 FROM ${target.schema}.owners WHERE owner_id = $1 FOR UPDATE`, [owner.id]);
        const beating = store.heartbeat(owner);
        await waitingForLocks(1);
        // 190 ms after the last committed, 40 after the one on its way: r_2 is created at once, without one.
        setClock(190);
        expect(await within5s(store.createRun(created('r_2')).then(() => 'created'))).toBe('created');
        // 200 ms after the last committed: r_3 writes one, so it waits for the owner's row too.
        setClock(200);
        const creating = store.createRun(created('r_3'));
        await waitingForLocks(2);
        await holder.query('COMMIT');
        await Promise.all([beating, creating]);
        expect(await store.ownership('r_3')).toMatchObject({ owner });
      }));

    it('is never moved back by a claim that waited for its run while a later heartbeat committed, but is when it is in the future', () =>
      withHolder(async ({ target, store, holder }) => {
        const heartbeatAt = async (): Promise<number> => Number((await admin.query<{ at: string }>(`SELECT extract(epoch FROM heartbeat_at) * 1000000 AS at FROM ${target.schema}.owners`)).rows[0]?.at);
        // The claim's statement begins now (its now()), and waits for the run the other session holds.
        await holder.query(`SELECT 1 FROM ${target.schema}.runs WHERE run_id = 'r_1' FOR UPDATE`);
        const claiming = store.claim('r_1', owner, 1);
        await waitingForLocks(1);
        await new Promise((resolve) => setTimeout(resolve, 20));
        await store.heartbeat(owner);
        const beaten = await heartbeatAt();
        await holder.query('COMMIT');
        expect(await claiming).toBe(2);
        expect(await heartbeatAt()).toBe(beaten);
        // Dated an hour ahead (the database's clock was set back since): the next heartbeat dates it now.
        await admin.query(`UPDATE ${target.schema}.owners SET heartbeat_at = now() + interval '1 hour'`);
        await store.heartbeat(owner);
        expect(await heartbeatAt()).toBeLessThan(beaten + 600_000_000);
      }));

    it('is written again sooner under a short lease: within an eighth of it, and at most 100 ms', async () => {
      const { store, ageOf, age } = await open();
      // Set once the store is made: it is read at each creation, as the lease is where it is used.
      vi.stubEnv('BATON_LEASE_MS', '400');
      let clock = Date.now();
      const now = vi.spyOn(Date, 'now').mockImplementation(() => clock);
      try {
        await store.createRun(created('r_1'));
        await age();
        clock += 49;
        await store.createRun(created('r_2'));
        expect(await ageOf('r_2')).toBeGreaterThan(3_000_000);
        clock += 1;
        await store.createRun(created('r_3'));
        expect(await ageOf('r_3')).toBeLessThan(5_000);
      } finally {
        now.mockRestore();
        vi.unstubAllEnvs();
        await store.close();
      }
      expect(ownerBeatReuseMs()).toBe(100);
      for (const [lease, reuse] of [['200', 25], ['800', 100], ['15000', 100]] as const) {
        vi.stubEnv('BATON_LEASE_MS', lease);
        expect(ownerBeatReuseMs()).toBe(reuse);
      }
      vi.unstubAllEnvs();
    });

    it("is written in the order a retire takes its locks: a claim beside a retire of its owner does not deadlock", () =>
      withHolder(async ({ target, store, holder }) => {
        // The other session holds the owner's row: the retire and the claim both wait for it.
        await holder.query(`SELECT 1 FROM ${target.schema}.owners WHERE owner_id = $1 FOR UPDATE`, [owner.id]);
        const retired = store.retire(owner.id).then(() => 'retired', (e: unknown) => (e as Error).message);
        await waitingForLocks(1);
        const claimed = store.claim('r_1', owner, 1).then(String, (e: unknown) => (e as Error).message);
        await waitingForLocks(2);
        await holder.query('COMMIT');
        expect(await Promise.all([retired, claimed])).toEqual(['retired', '2']);
      }));

    it('is not taken for a recent one when it was committed before a retire of its owner that answered after it', () =>
      withHolder(async ({ target, store, holder }) => {
        // A create (its heartbeat) waits for the owner's row, then the retire of its owner: the create commits first.
        await holder.query(`SELECT 1 FROM ${target.schema}.owners WHERE owner_id = $1 FOR UPDATE`, [owner.id]);
        const creating = store.createRun(created('r_2'));
        await waitingForLocks(1);
        const retiring = store.retire(owner.id);
        await waitingForLocks(2);
        await holder.query('COMMIT');
        await Promise.all([creating, retiring]);
        // The owner has no row now: the next run, at once, writes it again.
        await store.createRun(created('r_3'));
        expect(await store.ownership('r_3')).toMatchObject({ owner });
      }));

    it('is not taken for a recent one when it was sent while a retire of its owner waited, and committed first', () =>
      withHolder(async ({ target, store, holder }) => {
        // The other session holds the owner's run: the retire waits for it, a create beside it does not.
        await holder.query(`SELECT 1 FROM ${target.schema}.runs WHERE run_id = 'r_1' FOR UPDATE`);
        const retiring = store.retire(owner.id);
        await waitingForLocks(1);
        await store.createRun(created('r_2'));
        await holder.query('COMMIT');
        await retiring;
        // The retire deleted the row the create wrote: the next run, at once, writes it again.
        await store.createRun(created('r_3'));
        expect(await store.ownership('r_3')).toMatchObject({ owner });
      }));
  });

  it('is what openStore opens for postgres:// and postgresql:// URLs and BATON_DATABASE_URL', async () => {
    const target = await freshSchema();
    const specs = [target.url, target.url.replace(/^postgresql:/, 'postgres:')];
    for (const spec of specs) {
      const store = await openStore(spec);
      try {
        expect(store).toBeInstanceOf(PostgresRunStore);
        expect(await store.listRuns()).toEqual([]);
      } finally {
        await store.close();
      }
    }
    const fromEnv = await openStore(undefined, { env: { BATON_DATABASE_URL: target.url } });
    try {
      expect(fromEnv).toBeInstanceOf(PostgresRunStore);
    } finally {
      await fromEnv.close();
    }
  });
});

/** A port nothing listens on (it was free a moment ago). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}
