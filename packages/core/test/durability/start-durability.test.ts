/**
 * A run is in the journal with its start, or not at all: a process that dies while its run's first
 * tick runs leaves a run that another process carries on to its end, and a run an earlier Baton left
 * registered without its start is ended `failed`, saying why, rather than showing as running for ever.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/define-agent.ts';
import type { RunStore } from '../../src/core/contracts.ts';
import type { RunEvent } from '../../src/core/events.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { TakeoverSweeper } from '../../src/execution/takeover.ts';
import { MemoryRunStore } from '../../src/store/memory-store.ts';
import { SqliteRunStore } from '../../src/store/sqlite-store.ts';
import { BUSY_GOAL, busyPlan } from '../fixtures/first-tick/busy-plan.ts';
import { CORE_FIXTURES, TS_NODE_ARGS } from '../support/paths.ts';
import { until } from './processes.ts';

const root = mkdtempSync(path.join(tmpdir(), 'baton-start-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const adder = defineAgent({ name: 'busy', description: 'adds up', consumes: [], produces: ['sum'], run: async () => ({ sum: { total: 42 } }) });

/** A pid of this host that no process has any more. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
}

describe('the start of a run', () => {
  it('is journaled before its agents run: a process killed in its run\'s first tick leaves a run another process finishes', async () => {
    const file = path.join(root, 'first-tick.db');
    const child = spawn(process.execPath, [...TS_NODE_ARGS, path.join(CORE_FIXTURES, 'first-tick/start-busy-run.ts'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((resolve) => child.on('close', resolve));
    await until('the agent to be computing', () => out.includes('computing'), 60_000);
    child.kill('SIGKILL');
    await exited;
    const runId = /run (\S+)/.exec(out)?.[1];
    expect(runId).toBeDefined();

    const store = new SqliteRunStore({ file });
    try {
      const journaled = await store.readEvents(runId!);
      expect(journaled.map((e) => e.type)).toEqual(['run.started', 'plan.created']);
      const taken = await new TakeoverSweeper(createOrchestrator({ name: 'first-tick', agents: [adder], store })).sweep();
      expect(taken.map((h) => h.runId)).toEqual([runId]);
      const result = await taken[0]!.result;
      expect(result.status).toBe('succeeded');
      expect(result.goal).toBe(BUSY_GOAL);
      expect(result.deliverable.artifacts['sum']).toEqual({ total: 42 });
    } finally {
      await store.close();
    }
  });

  it('ends `failed`, saying why, a run an earlier process registered without its start, which can then be deleted', async () => {
    const store = new SqliteRunStore({ file: path.join(root, 'registered-only.db') });
    try {
      const owner = { id: `${hostname()}:gone`, host: hostname(), pid: deadPid(), startedAt: Date.now() - 60_000 };
      await store.createRun({ runId: 'r_unstarted', goal: 'Summarise the quarter', createdAt: new Date().toISOString(), owner });
      const o = createOrchestrator({ name: 'first-tick', agents: [adder], store });
      const taken = await new TakeoverSweeper(o).sweep();
      expect(taken.map((h) => h.runId)).toEqual(['r_unstarted']);
      const result = await taken[0]!.result;
      expect(result.status).toBe('failed');
      expect(result.goal).toBe('Summarise the quarter');
      expect(result.reason).toContain("stopped before it journaled the run's start");
      expect(result.tasks).toEqual([]);
      const events = await store.readEvents('r_unstarted');
      expect(events.map((e) => e.type)).toEqual(['run.started', 'run.resumed', 'run.ended']);
      expect(events[0]).toMatchObject({ options: { pid: owner.pid, host: owner.host, owner: owner.id } });
      expect((await store.getRun('r_unstarted'))?.status).toBe('failed');
      expect(await new TakeoverSweeper(o).sweep()).toEqual([]);
      expect(await store.deleteRun('r_unstarted')).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('is written by createRun, then append, to a store without createRunWithEvents', async () => {
    const inner = new MemoryRunStore();
    const calls: string[] = [];
    const store: RunStore = {
      createRun: (record) => (calls.push('createRun'), inner.createRun(record)),
      append: (runId, events, options) => (calls.push(`append ${events.map((e) => e.type).join(',')}`), inner.append(runId, events, options)),
      readEvents: (runId, after) => inner.readEvents(runId, after),
      getRun: (runId) => inner.getRun(runId),
      listRuns: (options) => inner.listRuns(options),
      close: () => inner.close(),
    };
    const result = await createOrchestrator({ name: 'first-tick', agents: [adder], store }).run(BUSY_GOAL, { plan: busyPlan });
    expect(result.status).toBe('succeeded');
    expect(calls.slice(0, 2)).toEqual(['createRun', 'append run.started,plan.created']);
    expect((await inner.readEvents(result.runId)).at(-1)?.type).toBe('run.ended');
  });

  it('is told to listeners only once it is journaled: a run the journal refuses is never heard of', async () => {
    const store = new MemoryRunStore();
    const o = createOrchestrator({ name: 'first-tick', agents: [adder], store });
    const first = await o.run(BUSY_GOAL, { plan: busyPlan, runId: 'r_same' });
    expect(first.status).toBe('succeeded');
    const heard: RunEvent[] = [];
    const again = o.run(BUSY_GOAL, { plan: busyPlan, runId: 'r_same', onEvent: (e) => heard.push(e) });
    await expect(again).rejects.toThrow('r_same already exists');
    expect(heard).toEqual([]);
    expect((await store.readEvents('r_same')).filter((e) => e.type === 'run.started')).toHaveLength(1);
  });
});
