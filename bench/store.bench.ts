/**
 * Journal append throughput per backend: 100,000 events in batches of 3 (a task's started,
 * succeeded and usage events, as the scheduler batches them per tick), awaited one by one.
 *
 *   node --import tsx bench/store.bench.ts
 *   BATON_BENCH_DIR=/dev/shm node --import tsx bench/store.bench.ts   # SQLite file on another disk
 *   BATON_BENCH_PG=1 node --import tsx bench/store.bench.ts    # also PostgreSQL: BATON_BENCH_PG_URL,
 *                                                              # else a throwaway local cluster (fsync off)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunStore } from '../packages/core/src/core/contracts.ts';
import type { RunEvent } from '../packages/core/src/core/events.ts';
import { MemoryRunStore } from '../packages/core/src/store/memory-store.ts';
import { PostgresRunStore } from '../packages/scale/src/postgres/postgres-store.ts';
import { SqliteRunStore } from '../packages/core/src/store/sqlite-store.ts';

const EVENTS = 100_000;
const BATCH = 3;

function taskBatch(runId: string, firstSeq: number): RunEvent[] {
  const n = (firstSeq - 1) / BATCH;
  const taskId = `t${n}-analyze-sales`;
  const attemptId = `${runId}:${taskId}:1:abcdef`;
  const at = new Date(Date.UTC(2024, 0, 1) + firstSeq).toISOString();
  const usage = { llmCalls: 1, inputTokens: 812, outputTokens: 95 };
  return [
    { type: 'task.started', taskId, agent: 'analytics', agentVersion: '1.0.0', attempt: 1, attemptId, runId, seq: firstSeq, at },
    {
      type: 'task.succeeded',
      taskId,
      agent: 'analytics',
      attempt: 1,
      attemptId,
      output: { metrics: { region: 'EMEA', revenue: 125_000.5, growth: 0.042, top: ['a', 'b', 'c'] } },
      usage,
      runId,
      seq: firstSeq + 1,
      at,
    },
    { type: 'usage', usage, taskId, runId, seq: firstSeq + 2, at },
  ];
}

async function measure(name: string, store: RunStore): Promise<void> {
  const runId = `r_bench_${name}`;
  await store.createRun({ runId, goal: 'benchmark', createdAt: new Date().toISOString() });
  // Build the events first: the benchmark measures the store, not object construction.
  const batches: RunEvent[][] = [];
  for (let seq = 1; seq <= EVENTS; seq += BATCH) batches.push(taskBatch(runId, seq).slice(0, Math.min(BATCH, EVENTS - seq + 1)));
  const started = process.hrtime.bigint();
  for (const batch of batches) await store.append(runId, batch);
  const appendNs = Number(process.hrtime.bigint() - started);
  const readStarted = process.hrtime.bigint();
  const read = await store.readEvents(runId);
  const readNs = Number(process.hrtime.bigint() - readStarted);
  if (read.length !== EVENTS) throw new Error(`${name}: read ${read.length} events, expected ${EVENTS}`);
  console.log(
    `${name.padEnd(10)} append ${(appendNs / 1000 / EVENTS).toFixed(2).padStart(7)} µs/event ` +
      `${(appendNs / 1000 / batches.length).toFixed(2).padStart(8)} µs/batch of ${BATCH} (task)  ` +
      `readEvents ${(readNs / 1000 / EVENTS).toFixed(2).padStart(6)} µs/event`,
  );
}

const dir = mkdtempSync(join(process.env['BATON_BENCH_DIR'] ?? tmpdir(), 'baton-bench-'));
try {
  console.log(`${EVENTS} events in batches of ${BATCH}, node ${process.version}`);
  const memory = new MemoryRunStore();
  await measure('memory', memory);
  await memory.close();

  const sqlite = new SqliteRunStore({ file: join(dir, 'baton.db') });
  await measure('sqlite', sqlite);
  await sqlite.close();

  if (process.env['BATON_BENCH_PG'] === '1') {
    const url = process.env['BATON_BENCH_PG_URL'];
    const { startPostgres } = await import('../packages/core/test/support/postgres.ts');
    const server = url ? undefined : await startPostgres();
    const postgres = await PostgresRunStore.connect(url ?? server?.url ?? '');
    try {
      await measure(url ? 'postgres' : 'postgres*', postgres);
      if (!url) console.log('* throwaway local cluster with fsync and synchronous_commit off');
    } finally {
      await postgres.close();
      await server?.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
