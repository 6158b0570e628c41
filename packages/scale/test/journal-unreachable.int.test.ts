/**
 * A server whose PostgreSQL journal goes away (stopped) or stops answering (frozen with SIGSTOP,
 * its connections left open): requests that need the journal answer 503 with Retry-After, within
 * the store's bounds; a run in flight ends in this process, its end not journaled; all answers
 * again once it is back, and the server carries that run on by itself to its end in the journal.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pgDriver from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { defineAgent } from '../../core/src/agents/define-agent.ts';
import type { Agent } from '../../core/src/core/contracts.ts';
import type { Policy } from '../../core/src/core/types.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import { startPostgres } from '../../core/test/support/postgres.ts';
import type { ThrowawayPostgres } from '../../core/test/support/postgres.ts';
import { baton } from '../../core/test/cli/run-cli.ts';
import { defaultAgents, postJson, startTestServer } from '../../server/test/support.ts';
import type { TestServer } from '../../server/test/support.ts';
import { PostgresRunStore } from '../src/postgres/postgres-store.ts';
import { waitFor } from './helpers.ts';

const { Client } = pgDriver;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Bounds far below the defaults, so that a frozen database fails a call within seconds. */
const BOUNDS = { queryTimeoutMs: 1_500, connectTimeoutMs: 1_500 };

/** Longer than a call may take against a frozen database (a connect and a query, each bounded): past it the request hangs. */
const HANG_MS = 20_000;

async function startPostgresFor(): Promise<ThrowawayPostgres> {
  const pg = await startPostgres();
  cleanups.push(() => pg.stop());
  return pg;
}

/** A run started, carried to its end and journaled by another process's orchestrator: this server holds nothing of it. */
async function runElsewhere(url: string): Promise<string> {
  const orchestrator = createOrchestrator({ name: 'elsewhere', agents: defaultAgents(), store: await PostgresRunStore.connect(url) });
  try {
    const result = await orchestrator.start('extract and report').result;
    expect(result.status).toBe('succeeded');
    return result.runId;
  } finally {
    await orchestrator.close();
  }
}

/** A store of its own, to read what the journal holds (not what the server remembers). */
async function observerOn(url: string): Promise<PostgresRunStore> {
  const store = await PostgresRunStore.connect(url, BOUNDS);
  cleanups.push(() => store.close());
  return store;
}

/** Waits until the journal holds the run ended; a read that fails while the database comes back is tried again. */
function journaledEnd(store: PostgresRunStore, runId: string): Promise<string> {
  return waitFor(
    `run ${runId} to be journaled as ended`,
    async () => {
      const status = (await store.getRun(runId).catch(() => undefined))?.status;
      return status !== undefined && status !== 'running' && status !== 'awaiting-approval' && status;
    },
    CARRIED_ON_MS,
  );
}

/** Well past a sweep (2 s), the run carried on and the reconnections: a run left for a person never gets there. */
const CARRIED_ON_MS = 45_000;

async function serverOn(url: string, agents?: Agent[], policy?: Partial<Policy>): Promise<TestServer> {
  const store = await PostgresRunStore.connect(url, BOUNDS);
  const server = await startTestServer({ orchestratorOptions: { store }, ...(agents ? { agents } : {}), ...(policy ? { policy, maxConcurrentTasks: policy.maxParallel } : {}) });
  cleanups.push(() => server.close());
  return server;
}

function get(url: string): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(HANG_MS) });
}

async function expectJournalUnavailable(res: Response): Promise<void> {
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toBe('5');
  expect(await res.json()).toEqual({ error: { code: 'JOURNAL_UNAVAILABLE', message: expect.stringMatching(/run journal cannot be reached.*try again in 5 s/) as unknown } });
}

/** Two agents: `quick` ends at once; `gated` ends when the test opens its gate, or when its attempt is aborted. */
function quickAndGated() {
  const runs = { quick: 0, gated: 0 };
  let gatedStarted!: () => void;
  const gatedRunning = new Promise<void>((resolve) => (gatedStarted = resolve));
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const quick = defineAgent({
    name: 'quick',
    description: 'ends at once',
    capabilities: ['quick'],
    produces: ['quick'],
    run() {
      runs.quick++;
      return Promise.resolve({ quick: 'done' });
    },
  });
  const gated = defineAgent({
    name: 'gated',
    description: 'ends once the test opens its gate',
    capabilities: ['gated'],
    produces: ['gated'],
    async run(_input, ctx) {
      runs.gated++;
      gatedStarted();
      await Promise.race([gate, new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true }))]);
      return { gated: 'done' };
    },
  });
  return { agents: [quick, gated], runs, gatedRunning, openGate };
}

/**
 * A server on a fresh PostgreSQL journal, with a run of `quick` then `gated` started over HTTP, once
 * its `quick` task's success is in the journal and `gated` runs; `observer` reads the journal.
 */
async function runMidwayOnServer() {
  const pg = await startPostgresFor();
  const observer = await observerOn(pg.url);
  const team = quickAndGated();
  const server = await serverOn(pg.url, team.agents);
  const posted = await postJson(`${server.url}/v1/runs`, { plan: { tasks: [{ id: 'q', agent: 'quick' }, { id: 'g', agent: 'gated' }] } });
  expect(posted.status).toBe(202);
  const { runId } = (await posted.json()) as { runId: string };
  await team.gatedRunning;
  await waitFor('the quick task to be journaled', async () => (await observer.readEvents(runId)).some((e) => e.type === 'task.succeeded' && e.taskId === 'q'));
  return { pg, observer, team, server, runId };
}

describe('a server whose PostgreSQL journal is down', () => {
  it('answers 503 with Retry-After while it is stopped, and 200 once it is back', { timeout: 120_000 }, async () => {
    const pg = await startPostgresFor();
    const runId = await runElsewhere(pg.url);
    const { url } = await serverOn(pg.url);
    expect((await get(`${url}/v1/runs/${runId}`)).status).toBe(200);
    expect((await get(`${url}/readyz`)).status).toBe(200);

    await pg.halt();
    await expectJournalUnavailable(await get(`${url}/v1/runs/${runId}`));
    await expectJournalUnavailable(await get(`${url}/v1/runs`));
    await expectJournalUnavailable(await get(`${url}/readyz`));
    // Liveness stays: the process itself is fine.
    expect((await get(`${url}/healthz`)).status).toBe(200);

    await pg.restart();
    const back = await get(`${url}/v1/runs/${runId}`);
    expect(back.status).toBe(200);
    expect(((await back.json()) as { status: string }).status).toBe('succeeded');
    expect((await get(`${url}/readyz`)).status).toBe(200);
  });

  it('carries on by itself a run whose end it could not journal, once the journal is back', { timeout: 180_000 }, async () => {
    const { pg, observer, team, server, runId } = await runMidwayOnServer();

    await pg.halt();
    team.openGate();
    // Its journal gone, the run ends in this process: its end is not journaled.
    await waitFor('the run to end here', () => !server.server.orchestrator.isActive(runId), HANG_MS);
    expect(server.server.orchestrator.endedUnjournaled()).toEqual([runId]);

    await pg.restart();
    // Nobody acts: this live process, still the run's owner in the journal, carries it on itself.
    expect(await journaledEnd(observer, runId)).toBe('succeeded');
    const events = await observer.readEvents(runId);
    expect(events.filter((e) => e.type === 'run.resumed')).toEqual([expect.objectContaining({ reason: expect.stringMatching(/its end could not be journaled by this process/) as unknown })]);
    // Carried on from what was journaled: the task whose success was stored is not run again.
    expect(team.runs).toEqual({ quick: 1, gated: 2 });
    expect(server.server.orchestrator.endedUnjournaled()).toEqual([]);
  });

  it('ends a run cancelled while its journal was down as cancelled once it is back, without running its work again', { timeout: 180_000 }, async () => {
    const { pg, observer, team, server, runId } = await runMidwayOnServer();

    await pg.halt();
    expect(server.server.orchestrator.cancel(runId, 'not needed any more')).toBe(true);
    await waitFor('the run to end here', () => !server.server.orchestrator.isActive(runId), HANG_MS);

    await pg.restart();
    expect(await journaledEnd(observer, runId)).toBe('cancelled');
    expect(JSON.stringify((await observer.readEvents(runId)).at(-1))).toContain('not needed any more');
    expect(team.runs).toEqual({ quick: 1, gated: 1 });
  });

  it('answers 503 within its bounds while it is frozen, and a run in flight ends here', { timeout: 180_000 }, async () => {
    const pg = await startPostgresFor();
    const past = await runElsewhere(pg.url);
    // Many tasks that end one after another once the journal is frozen: each end is a batch of its
    // own for the journal, and every one of them meets the frozen database.
    const TASKS = 30;
    let startedAll!: () => void;
    const allStarted = new Promise<void>((resolve) => (startedAll = resolve));
    let letThemFinish!: () => void;
    const mayFinish = new Promise<void>((resolve) => (letThemFinish = resolve));
    let started = 0;
    const tick = defineAgent({
      name: 'tick',
      description: 'waits for the test, then for a moment of its own',
      capabilities: ['tick'],
      produces: ['tick'],
      async run(input) {
        if (++started === TASKS) startedAll();
        await mayFinish;
        await new Promise((r) => setTimeout(r, 100 * Number(input.task.id.slice(1))));
        return { tick: input.task.id };
      },
    });
    const server = await serverOn(pg.url, [tick], { maxParallel: TASKS });
    const { url } = server;
    const posted = await postJson(`${url}/v1/runs`, { plan: { tasks: Array.from({ length: TASKS }, (_, i) => ({ id: `t${i}`, agent: 'tick' })) } });
    expect(posted.status).toBe(202);
    const { runId } = (await posted.json()) as { runId: string };
    await allStarted;

    pg.signalAll('SIGSTOP');
    cleanups.push(() => pg.signalAll('SIGCONT'));
    letThemFinish();

    await expectJournalUnavailable(await get(`${url}/v1/runs/${past}`));
    await expectJournalUnavailable(await get(`${url}/readyz`));
    // Its journal unwritable, the run ends in this process; it is left to be carried on from what was stored.
    await waitFor('the run in flight to end here', () => !server.server.orchestrator.isActive(runId), HANG_MS);

    pg.signalAll('SIGCONT');
    const back = await get(`${url}/v1/runs/${past}`);
    expect(back.status).toBe(200);
    expect((await get(`${url}/readyz`)).status).toBe(200);
    // The run in flight is carried on here, from what was stored, to its end in the journal.
    expect(await journaledEnd(await observerOn(pg.url), runId)).toBe('succeeded');
  });

  it("opens the journal while another process's migration holds it for longer than a query may take", { timeout: 60_000 }, async () => {
    const pg = await startPostgresFor();
    // What a process migrating a fresh journal holds, as long as it migrates.
    const migrating = new Client({ connectionString: pg.url });
    await migrating.connect();
    cleanups.push(() => migrating.end());
    await migrating.query('BEGIN');
    await migrating.query("SELECT pg_advisory_xact_lock(hashtext('baton.journal.migrations'))");
    const opening = PostgresRunStore.connect(pg.url, BOUNDS);
    opening.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, BOUNDS.queryTimeoutMs * 2));
    await migrating.query('COMMIT');
    const store = await opening;
    cleanups.push(() => store.close());
    expect(await store.listRuns()).toEqual([]);
  });
});

describe('baton run whose PostgreSQL journal stops during the run', () => {
  /** `writer` waits for the file `go` in the project, then `mailer` mails the draft it wrote. */
  const MANIFEST = [
    'version: 1',
    'orchestrator:',
    '  name: notes',
    '  description: Writes a note and mails it',
    '  subagents: [writer, mailer]',
    '  deliverable: [receipt]',
    'agents:',
    '  writer:',
    '    description: Writes the draft',
    '    produces: [draft]',
    '    kind: command',
    `    command: [sh, -c, 'while [ ! -e go ]; do sleep 0.05; done; echo "{\\"draft\\": \\"hi\\"}"']`,
    '  mailer:',
    '    description: Mails the draft',
    '    consumes: [draft]',
    '    produces: [receipt]',
    '    kind: command',
    `    command: [sh, -c, 'echo "{\\"receipt\\": true}"']`,
  ].join('\n');

  it('exits 1 saying how to carry the run on', { timeout: 120_000 }, async () => {
    const pg = await startPostgresFor();
    const observer = await observerOn(pg.url);
    const project = mkdtempSync(path.join(tmpdir(), 'baton-journal-lost-'));
    cleanups.push(() => rmSync(project, { recursive: true, force: true }));
    writeFileSync(path.join(project, 'baton.yaml'), MANIFEST);

    const running = baton(['run', 'mail a receipt', '--store', pg.url], { cwd: project });
    const runId = await waitFor('the run to be journaled', async () => (await observer.listRuns({ limit: 1 }))[0]?.runId, 60_000);
    await waitFor('the writer to start', async () => (await observer.readEvents(runId)).some((e) => e.type === 'task.started'), 60_000);
    await pg.halt();
    writeFileSync(path.join(project, 'go'), '');
    const ended = await running;

    expect(ended.code, ended.stderr).toBe(1);
    expect(ended.stderr).toContain(`run ${runId} stopped here, and the journal keeps it as far as it was written: carry it on with \`baton runs resume ${runId}\``);
  });
});
