import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunStore } from '../../../core/src/core/contracts.ts';
import { BatonError } from '../../../core/src/core/errors.ts';
import { openStore } from '../../../core/src/store/open-store.ts';
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

  it("writes the owner's heartbeat with a run it creates, in the same statement, unless it wrote one in the last 100 ms", async () => {
    const target = await freshSchema();
    const store = await PostgresRunStore.connect(target.url);
    const owner = { id: 'host-a:4000:x', host: 'host-a', pid: 4000, startedAt: 1_700_000_000_000 };
    const ageOf = async (runId: string) => (await store.ownership(runId))?.heartbeatAgeMs;
    const age = async () => (await admin.query(`UPDATE ${target.schema}.owners SET heartbeat_at = now() - interval '1 hour'`)).rowCount;
    const past100ms = () => new Promise((resolve) => setTimeout(resolve, 150));
    try {
      const created = Date.now();
      await store.createRun({ runId: 'r_1', goal: 'g', createdAt: '2024-01-01T00:00:00.000Z', owner });
      expect(await ageOf('r_1')).toBeLessThan(5_000);
      expect(await age()).toBe(1);
      // Within 100 ms of the last (the clock is read first: a slow machine may be past them).
      await store.createRun({ runId: 'r_2', goal: 'g', createdAt: '2024-01-01T00:00:01.000Z', owner });
      if (Date.now() - created < 100) expect(await ageOf('r_1')).toBeGreaterThan(3_000_000);
      await past100ms();
      await age();
      // A run that cannot be created (its id is taken) leaves the heartbeat as it was.
      const clash = await store.createRun({ runId: 'r_1', goal: 'g', createdAt: '2024-01-01T00:00:00.000Z', owner }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((clash as BatonError).message).toMatch(/run r_1 already exists/);
      expect(await ageOf('r_1')).toBeGreaterThan(3_000_000);
      // ... and is not taken for a heartbeat written.
      await store.createRunWithEvents({ runId: 'r_3', goal: 'g', createdAt: '2024-01-01T00:00:02.000Z', owner }, stamp('r_3', [{ type: 'run.started', goal: 'g', orchestrator: 'o' }]));
      expect(await ageOf('r_1')).toBeLessThan(5_000);
      expect(await store.ownership('r_3')).toMatchObject({ fence: 1, owner });
      // A periodic heartbeat counts as one written, as a claim does.
      await past100ms();
      const beatAt = Date.now();
      await store.heartbeat(owner);
      await age();
      await store.createRun({ runId: 'r_4', goal: 'g', createdAt: '2024-01-01T00:00:03.000Z', owner });
      if (Date.now() - beatAt < 100) expect(await ageOf('r_4')).toBeGreaterThan(3_000_000);
      await past100ms();
      await store.createRun({ runId: 'r_5', goal: 'g', createdAt: '2024-01-01T00:00:04.000Z', owner });
      expect(Date.now() - beatAt).toBeGreaterThanOrEqual(100);
      expect(await ageOf('r_5')).toBeLessThan(5_000);
      // A run created without an owner writes none.
      await store.createRun({ runId: 'r_6', goal: 'g', createdAt: '2024-01-01T00:00:05.000Z' });
      const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${target.schema}.owners`);
      expect(rows[0]?.n).toBe('1');
    } finally {
      await store.close();
    }
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
