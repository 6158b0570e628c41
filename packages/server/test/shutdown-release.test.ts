/**
 * `baton serve --on-shutdown release` stopped with runs in flight hands them over instead of
 * cancelling them (a rolling deploy): nothing of the stop is journaled, the runs are left with no
 * owner, and the next replica on the journal carries each on to its end by itself, redoing only
 * the attempts that were cut short.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteRunStore } from '../../core/src/store/sqlite-store.ts';
import { spawnCli, stopProcess } from '../../scale/test/helpers.ts';
import type { CliProcess } from '../../scale/test/helpers.ts';
import { DURABLE_MANIFEST, expectTakenOverAndSucceeded, journalsOnceEnded, postRun, reExecutedAfterSuccess, startReplica, untilEachHasATaskUnderWay } from '../../scale/test/replicas.ts';

const dir = mkdtempSync(join(tmpdir(), 'baton-release-'));
const journal = join(dir, 'baton.db');
const log = join(dir, 'agents.log');
const processes: CliProcess[] = [];
afterAll(async () => {
  await Promise.all(processes.map((p) => stopProcess(p, 'SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

// A long lease: a run handed over is marked so in the journal and taken at the next sweep (every
// 2 s), where an ownerless run without the mark would wait the lease since its last write.
const LEASE_MS = 60_000;
const env = { BATON_TEST_LOG: log, BATON_TEST_DELAY_MS: '800', BATON_LEASE_MS: String(LEASE_MS) };

describe('baton serve --on-shutdown release', () => {
  it('hands its runs in flight to the next replica on SIGTERM instead of cancelling them', { timeout: 120_000 }, async () => {
    const first = await startReplica(journal, env, dir, ['--on-shutdown', 'release']);
    processes.push(first);
    const runs: string[] = [];
    for (let i = 0; i < 4; i++) runs.push(await postRun(first, 'carry the numbers'));
    const store = new SqliteRunStore({ file: journal });
    try {
      await untilEachHasATaskUnderWay(store, runs);
      await stopProcess(first, 'SIGTERM');
      expect(first.proc.exitCode, first.stderr()).toBe(0);
      for (const id of runs) {
        const types = (await store.readEvents(id)).map((e) => e.type);
        expect(types, `run ${id}`).not.toContain('task.cancelled');
        expect(types, `run ${id}`).not.toContain('run.ended');
        expect((await store.getRun(id))?.status).toBe('running');
        const ownership = await store.ownership(id);
        expect(ownership?.owner, `run ${id}`).toBeUndefined();
        expect(ownership?.handedOverBy, `run ${id}`).toContain(`:${first.pid}:`);
      }

      const second = await startReplica(journal, env, dir);
      processes.push(second);
      const journals = await journalsOnceEnded(store, runs, LEASE_MS / 2);
      expectTakenOverAndSucceeded(journals, second, 'it was handed over by');
      expect(reExecutedAfterSuccess(log, journals)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('refuses to start over a memory journal, which would die with it (exit 64)', { timeout: 60_000 }, async () => {
    const cli = spawnCli(['serve', '-m', DURABLE_MANIFEST, '--port', '0', '--store', 'memory', '--on-shutdown', 'release'], { BATON_LOG_LEVEL: 'warn' }, dir);
    processes.push(cli);
    expect(await cli.exited).toBe(64);
    expect(cli.stderr()).toContain('--on-shutdown release');
    expect(cli.stderr()).toContain('--store memory');
  });
});
