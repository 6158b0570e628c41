/**
 * A prune killed while it deletes a run leaves nothing that a later prune cannot finish: the run's
 * files go before its rows, so no out folder outlives the run that names it in the journal.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineAgent } from '../../src/agents/define-agent.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { pruneRuns } from '../../src/store/retention.ts';
import { SqliteRunStore } from '../../src/store/sqlite-store.ts';
import { CORE_FIXTURES, TS_NODE_ARGS } from '../support/paths.ts';

const root = mkdtempSync(path.join(tmpdir(), 'baton-prune-kill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const adder = defineAgent({ name: 'adder', description: 'adds up', consumes: [], produces: ['sum'], run: () => ({ sum: { total: 42 } }) });
const plan = { tasks: [{ id: 'add', title: 'Add up', instructions: 'Add up', agent: 'adder', dependsOn: [], consumes: [], produces: ['sum'] }], requested: ['sum'] };

describe('a prune killed while it deletes a run', () => {
  it.each(['before', 'after'])('%s the run leaves the journal, is finished by the next prune, with no folder left behind', async (when) => {
    const file = path.join(root, `${when}.db`);
    const outRoot = path.join(root, `${when}-out`);
    const orchestrator = createOrchestrator({ name: 'prune', agents: [adder], store: new SqliteRunStore({ file }), outDir: (runId) => path.join(outRoot, runId) });
    for (let i = 0; i < 3; i++) expect((await orchestrator.start('Add up the numbers', { plan }).result).status).toBe('succeeded');
    await orchestrator.close();
    expect(readdirSync(outRoot)).toHaveLength(3);

    const child = spawn(process.execPath, [...TS_NODE_ARGS, path.join(CORE_FIXTURES, 'retention/prune-killed.ts'), file, when], { stdio: ['ignore', 'inherit', 'inherit'] });
    expect(await new Promise((resolve) => child.on('close', (_code, signal) => resolve(signal)))).toBe('SIGKILL');

    const store = new SqliteRunStore({ file });
    try {
      await pruneRuns(store, { olderThanMs: 0, now: Date.now() + 1000 });
      expect(await store.listRuns()).toEqual([]);
    } finally {
      await store.close();
    }
    expect(readdirSync(outRoot)).toEqual([]);
  });
});
