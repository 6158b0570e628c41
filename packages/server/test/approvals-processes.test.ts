import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/src/core/types.ts';
import { SqliteRunStore } from '../../core/src/store/index.ts';
import { calls, ownerPid, until } from '../../core/test/cli/steer-support.ts';
import { CORE_FIXTURES } from '../../core/test/support/paths.ts';
import { baton, servedUrl } from './serve-process.ts';
import type { BatonProcess } from './serve-process.ts';

const MANIFEST = path.join(CORE_FIXTURES, 'steer/plan-approval.yaml');
const dir = mkdtempSync(path.join(tmpdir(), 'baton-approve-'));
const running: BatonProcess[] = [];
afterAll(() => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

type Env = Record<string, string | undefined>;

/** A serve over journal `n`, and a run started through it that waits for its plan decision. */
async function waitingRunOnServe(n: number, city: string): Promise<{ store: string; log: string; env: Env; serve: BatonProcess; url: string; runId: string }> {
  const store = path.join(dir, `journal${n}.db`);
  const log = path.join(dir, `calls${n}.log`);
  const env = { BATON_TEST_LOG: log, BATON_API_TOKEN: undefined, BATON_LOG_LEVEL: 'warn' };
  const serve = baton(['serve', '-m', MANIFEST, '--port', '0', '--store', store, '--data-dir', path.join(dir, `data${n}`)], env);
  running.push(serve);
  const url = await servedUrl(serve);
  const res = await fetch(`${url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ goal: 'an itinerary', params: { city } }) });
  const { runId } = (await res.json()) as { runId: string };
  await until('the plan to wait', async () => ((await (await fetch(`${url}/v1/runs/${runId}`)).json()) as RunResult).status === 'awaiting-approval');
  return { store, log, env, serve, url, runId };
}

describe('a run left waiting by baton run, carried on by baton serve, decided from another process', () => {
  it('baton run exits 3; the serve takes the run over and waits; runs approve exits 0 once the serve journals it; the serve runs it to its end', async () => {
    const store = path.join(dir, 'journal.db');
    const log = path.join(dir, 'calls.log');
    const env = { BATON_TEST_LOG: log, BATON_API_TOKEN: undefined, BATON_LOG_LEVEL: 'warn' };
    const serve = baton(['serve', '-m', MANIFEST, '--port', '0', '--store', store, '--data-dir', path.join(dir, 'data')], env);
    running.push(serve);
    const url = await servedUrl(serve);

    const run = baton(['run', '--json', '-m', MANIFEST, '--store', store, '--out', path.join(dir, 'out'), '--param', 'city=Lisbon', 'an itinerary'], env);
    expect(await run.exited).toBe(3);
    const { runId } = JSON.parse(run.out()) as RunResult;
    // The serve sweeps the journal every 2 s: a run with no owner is taken over and waits there.
    await until('the serve to hold the run', async () => (await ownerPid(store, runId)) === serve.child.pid);
    const held = (await (await fetch(`${url}/v1/runs/${runId}`)).json()) as RunResult;
    expect(held.status).toBe('awaiting-approval');
    expect(calls(log)).toEqual([]);

    // An approval over HTTP and a rejection from the command line race: exactly one is taken.
    const rejecting = baton(['runs', 'reject', '--store', store, '--by', 'cli-user', runId], env);
    const approving = fetch(`${url}/v1/runs/${runId}/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: 'http-user' }) });
    const [rejected, approved] = await Promise.all([rejecting.exited, approving]);
    expect([rejected === 0, approved.status === 200].filter(Boolean)).toHaveLength(1);
    expect(rejected === 0 ? approved.status : rejected).toBe(rejected === 0 ? 409 : 64);

    await until('the run to end', async () => ((await (await fetch(`${url}/v1/runs/${runId}`)).json()) as RunResult).status !== 'awaiting-approval' && ((await (await fetch(`${url}/v1/runs/${runId}`)).json()) as RunResult).status !== 'running');
    const final = (await (await fetch(`${url}/v1/runs/${runId}`)).json()) as RunResult;
    expect(final.approvals).toHaveLength(1);
    if (rejected === 0) {
      expect(rejecting.err()).toMatch(new RegExp(`recorded by process ${serve.child.pid} on .*, which carries run ${runId} on`));
      expect(final).toMatchObject({ status: 'cancelled', approvals: [{ by: 'cli-user', decision: 'rejected' }] });
      expect(calls(log)).toEqual([]);
    } else {
      expect(final).toMatchObject({ status: 'succeeded', approvals: [{ by: 'http-user', decision: 'approved' }] });
      expect(calls(log).filter((c) => c.event === 'done')).toHaveLength(3);
    }
  });

  it('runs approve exits 0 once a live serve journals the decision, and the serve carries the run on', async () => {
    const { store, log, env, url, runId } = await waitingRunOnServe(2, 'Porto');
    const approve = baton(['runs', 'approve', '--store', store, '--by', 'alice', runId], env);
    expect(await approve.exited).toBe(0);
    expect(approve.err()).toMatch(/recorded by process \d+/);
    await until('the run to succeed', async () => ((await (await fetch(`${url}/v1/runs/${runId}`)).json()) as RunResult).status === 'succeeded');
    expect(calls(log).filter((c) => c.event === 'done').every((c) => c.params['city'] === 'Porto')).toBe(true);
  });

  it('a serve that stops lets go of a run waiting for a decision instead of cancelling it; runs approve carries it on', async () => {
    const { store, log, env, serve, runId } = await waitingRunOnServe(3, 'Faro');
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    const s = new SqliteRunStore({ file: store });
    try {
      expect((await s.getRun(runId))?.status).toBe('awaiting-approval');
      expect((await s.ownership(runId))?.owner).toBeUndefined();
    } finally {
      await s.close();
    }
    const approve = baton(['runs', 'approve', '--store', store, runId], env);
    expect(await approve.exited).toBe(0);
    expect(approve.err()).toContain(`nobody held run ${runId}, so it goes on here`);
    expect(calls(log).filter((c) => c.event === 'done')).toHaveLength(3);
  });
});
