/**
 * `baton serve` SIGKILLed with runs in flight and started again on the same SQLite journal carries
 * every run on to its end by itself: nobody types `baton runs resume`, no task that succeeded runs
 * again, and a client following a run on the new process sees it end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteRunStore } from '../../core/src/store/sqlite-store.ts';
import { stopProcess } from '../../scale/test/helpers.ts';
import type { CliProcess } from '../../scale/test/helpers.ts';
import { expectTakenOverAndSucceeded, followEvents, journalsOnceEnded, postRun, reExecutedAfterSuccess, startReplica, untilEachHasATaskUnderWay } from '../../scale/test/replicas.ts';

const dir = mkdtempSync(join(tmpdir(), 'baton-restart-'));
const journal = join(dir, 'baton.db');
const log = join(dir, 'agents.log');
const processes: CliProcess[] = [];
afterAll(async () => {
  await Promise.all(processes.map((p) => stopProcess(p, 'SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

const env = { BATON_TEST_LOG: log, BATON_TEST_DELAY_MS: '800' };

describe('baton serve restarted after a SIGKILL', () => {
  it('carries on every run that was in flight, by itself', { timeout: 120_000 }, async () => {
    const first = await startReplica(journal, env, dir);
    processes.push(first);
    const runs: string[] = [];
    for (let i = 0; i < 8; i++) runs.push(await postRun(first, 'carry the numbers'));
    const store = new SqliteRunStore({ file: journal });
    try {
      await untilEachHasATaskUnderWay(store, runs);
      await stopProcess(first, 'SIGKILL');
      expect((await store.listRuns({ status: 'running' })).length).toBe(runs.length);

      const second = await startReplica(journal, env, dir);
      processes.push(second);
      const followed = followEvents(second, runs[0]!);
      const journals = await journalsOnceEnded(store, runs);
      expectTakenOverAndSucceeded(journals, second, `its process ${first.pid} on`);
      expect(reExecutedAfterSuccess(log, journals)).toEqual([]);
      await followed.done;
      expect(followed.events.at(-1)?.type).toBe('run.ended');
    } finally {
      await store.close();
    }
  });
});
