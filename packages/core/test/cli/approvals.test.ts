import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/core/types.ts';
import { baton, batonInTerminal, calls, ownerPid, scratch, STEER, steerVariant, until } from './steer-support.ts';

const PLAN_APPROVAL = path.join(STEER, 'plan-approval.yaml');
const city = ['--param', 'city=Lisbon'];

/** The run ids in a journal, newest first. */
async function runIds(store: string): Promise<string[]> {
  const list = await baton(['runs', 'list', '--json', '--store', store]).done;
  return (JSON.parse(list.stdout) as { runId: string }[]).map((r) => r.runId);
}

async function shown(store: string, runId: string): Promise<RunResult> {
  return JSON.parse((await baton(['runs', 'show', '--json', '--store', store, runId]).done).stdout) as RunResult;
}

const killed: number[] = [];
afterEach(() => {
  for (const pid of killed.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

describe('approval through the real CLI', () => {
  it('without a terminal: exit 3 with the result so far, nothing ran; runs approve carries the run on to its end', async () => {
    const s = scratch();
    const run = await baton(['run', '--json', '-m', PLAN_APPROVAL, '--store', s.store, '--out', s.out, ...city, 'an itinerary'], { BATON_TEST_LOG: s.log }).done;
    expect(run.code).toBe(3);
    const waiting = JSON.parse(run.stdout) as RunResult;
    expect(waiting.status).toBe('awaiting-approval');
    expect(waiting.awaiting?.map((p) => p.kind)).toEqual(['plan']);
    expect(run.stderr).toMatch(new RegExp(`run ${waiting.runId} waits for a decision on its plan: it is left in the journal`));
    expect(calls(s.log)).toEqual([]);
    const listed = await baton(['runs', 'list', '--json', '--store', s.store, '--status', 'awaiting-approval']).done;
    expect((JSON.parse(listed.stdout) as { runId: string }[]).map((r) => r.runId)).toEqual([waiting.runId]);

    const approved = await baton(['runs', 'approve', '--json', '--store', s.store, '--by', 'alice', '--note', 'ok for Lisbon', waiting.runId], { BATON_TEST_LOG: s.log }).done;
    expect(approved.code).toBe(0);
    const result = JSON.parse(approved.stdout) as RunResult;
    expect(result.status).toBe('succeeded');
    expect(result.approvals).toEqual([{ kind: 'plan', decision: 'approved', by: 'alice', at: expect.any(String) as unknown, planEdited: false, note: 'ok for Lisbon' }]);
    const started = calls(s.log).filter((c) => c.event === 'start');
    expect(started.map((c) => c.artifact).sort()).toEqual(['flights', 'hotels', 'itinerary']);
    expect(Math.min(...started.map((c) => c.at))).toBeGreaterThanOrEqual(Date.parse(result.approvals[0]!.at));
    expect((await baton(['runs', 'show', '--store', s.store, waiting.runId]).done).stdout).toContain('approved: the plan by alice at');
  });

  it('runs show of a run that waits names what it waits for, and delivers nothing yet rather than "no artifacts"', async () => {
    const s = scratch();
    const run = await baton(['run', '--json', '-m', PLAN_APPROVAL, '--store', s.store, '--out', s.out, ...city, 'an itinerary']).done;
    expect(run.code).toBe(3);
    const { runId } = JSON.parse(run.stdout) as RunResult;
    const show = await baton(['runs', 'show', '--store', s.store, runId]).done;
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('waits for a decision: the plan since');
    expect(show.stdout.endsWith('\n\n(awaiting-approval: the deliverable comes at the end)\n')).toBe(true);
    expect(show.stdout).not.toContain('delivered no artifacts');
  });

  it('--yes approves every decision of the run up front, journaled as baton run --yes', async () => {
    const s = scratch();
    const r = await baton(['run', '--json', '--yes', '-m', PLAN_APPROVAL, '--store', s.store, '--out', s.out, ...city, 'an itinerary, then mail it']).done;
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as RunResult;
    expect(result.approvals.map((a) => [a.kind, a.by])).toEqual([
      ['plan', 'baton run --yes'],
      ['task', 'baton run --yes'],
    ]);
  });

  it('without a terminal and with a journal in memory: exit 3, saying nobody can decide once the process exits', async () => {
    const s = scratch();
    const run = await baton(['run', '-m', PLAN_APPROVAL, '--store', 'memory', '--out', s.out, ...city, 'an itinerary'], { BATON_TEST_LOG: s.log }).done;
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('the journal of this run is in memory: nobody can decide on it once this process exits');
    expect(calls(s.log)).toEqual([]);
  });

  it('a task approval holds only that task: the rest runs, exit 3; runs reject fails it (exit 0) and its agent never runs', async () => {
    const s = scratch();
    const run = await baton(['run', '--json', '--store', s.store, '--out', s.out, ...city, 'an itinerary, then mail it'], { BATON_TEST_LOG: s.log }).done;
    expect(run.code).toBe(3);
    const waiting = JSON.parse(run.stdout) as RunResult;
    const mail = waiting.awaiting?.[0];
    expect(mail).toMatchObject({ kind: 'task', agent: 'mailer', input: { params: { city: 'Lisbon', days: 3 } } });
    expect(Object.keys(mail?.input?.inputs ?? {})).toEqual(['itinerary']);
    expect(calls(s.log).filter((c) => c.event === 'done').map((c) => c.artifact).sort()).toEqual(['flights', 'hotels', 'itinerary']);

    const wrong = await baton(['runs', 'reject', '--store', s.store, '--task', 't1-find-flights', waiting.runId]).done;
    expect(wrong.code).toBe(64);
    expect(wrong.stderr).toContain(`run ${waiting.runId} (awaiting-approval): task t1-find-flights does not wait for a decision (what waits: task ${mail?.taskId ?? ''})`);

    const rejected = await baton(['runs', 'reject', '--json', '--store', s.store, '--task', mail!.taskId!, '--reason', 'not before Friday', waiting.runId], { BATON_TEST_LOG: s.log }).done;
    expect(rejected.code).toBe(0);
    const result = JSON.parse(rejected.stdout) as RunResult;
    expect(result.tasks.find((t) => t.id === mail!.taskId)).toMatchObject({ status: 'failed', reason: expect.stringContaining('not before Friday') as unknown, attempts: [] });
    expect(calls(s.log).some((c) => c.artifact === 'mail-receipt')).toBe(false);
    const again = await baton(['runs', 'approve', '--store', s.store, waiting.runId]).done;
    expect(again.code).toBe(64);
    expect(again.stderr).toMatch(new RegExp(`run ${waiting.runId} \\((partial|failed)\\): it ended (partial|failed): nothing waits for a decision`));
  });

  it('refuses an approval given after policy.approvalTimeoutMs (exit 64) and ends the run failed, as the deadline does', async () => {
    const s = scratch();
    const manifest = steerVariant(s.dir, 'deadline.yaml', (yaml) => yaml.replace('approval: plan,', 'approval: plan, approvalTimeoutMs: 1000,'), 'plan-approval.yaml');
    const run = await baton(['run', '--json', '-m', manifest, '--store', s.store, '--out', s.out, ...city, 'an itinerary'], { BATON_TEST_LOG: s.log }).done;
    expect(run.code).toBe(3);
    const waiting = JSON.parse(run.stdout) as RunResult;
    const expiresAt = Date.parse(waiting.awaiting![0]!.expiresAt!);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 200));
    const late = await baton(['runs', 'approve', '--json', '--store', s.store, waiting.runId], { BATON_TEST_LOG: s.log }).done;
    expect(late.code).toBe(64);
    expect(late.stderr).toContain(`run ${waiting.runId} (failed): the decision came too late: the plan waited for one until ${waiting.awaiting![0]!.expiresAt!}`);
    const result = await shown(s.store, waiting.runId);
    expect(result).toMatchObject({ status: 'failed', reason: 'no decision on the plan within 1000 ms (policy.approvalTimeoutMs)', approvals: [] });
    expect(calls(s.log)).toEqual([]);
  });

  it('refuses an edited plan that fails validation (exit 64, the run keeps waiting), then runs the edited plan approved', async () => {
    const s = scratch();
    await baton(['run', '-m', PLAN_APPROVAL, '--store', s.store, '--out', s.out, ...city, 'an itinerary'], { BATON_TEST_LOG: s.log }).done;
    const [runId] = await runIds(s.store);
    const bad = path.join(s.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ tasks: [{ id: 'it', agent: 'itinerary' }] }));
    const refused = await baton(['runs', 'approve', '--store', s.store, '--plan', bad, runId!]).done;
    expect(refused.code).toBe(64);
    expect(refused.stderr).toMatch(/the edited plan is not a valid plan \(2 problems\):\n\s+plan\.tasks\[0\]: task "it" consumes "flights", but no task it depends on/);
    expect((await shown(s.store, runId!)).status).toBe('awaiting-approval');
    // An empty stdin is no plan: said as baton run --plan says it, not as "expected object, received null".
    const empty = await baton(['runs', 'approve', '--store', s.store, '--plan', '-', runId!], {}, '').done;
    expect(empty.code).toBe(64);
    expect(empty.stderr).toContain('--plan -: expected the output of baton plan --json, or its plan member ({ "tasks": [...] })');
    expect((await shown(s.store, runId!)).status).toBe('awaiting-approval');
    const good = path.join(s.dir, 'good.json');
    writeFileSync(good, JSON.stringify({ tasks: [{ id: 'f', agent: 'flights' }] }));
    const approved = await baton(['runs', 'approve', '--json', '--store', s.store, '--plan', good, runId!], { BATON_TEST_LOG: s.log }).done;
    expect(approved.code).toBe(0);
    const result = JSON.parse(approved.stdout) as RunResult;
    expect(result.plan.tasks.map((t) => t.id)).toEqual(['f']);
    expect(result.approvals[0]?.planEdited).toBe(true);
    expect(calls(s.log).map((c) => `${c.event} ${c.artifact}`)).toEqual(['start flights', 'done flights']);
  });

  it('of two approvals racing for a run nobody holds, exactly one wins; the other exits 64', async () => {
    const s = scratch();
    await baton(['run', '-m', PLAN_APPROVAL, '--store', s.store, '--out', s.out, ...city, 'an itinerary']).done;
    const [runId] = await runIds(s.store);
    const [a, b] = await Promise.all([
      baton(['runs', 'approve', '--store', s.store, '--by', 'first', runId!]).done,
      baton(['runs', 'reject', '--store', s.store, '--by', 'second', runId!]).done,
    ]);
    expect([a.code, b.code].sort()).toEqual([0, 64]);
    const loser = a.code === 64 ? a : b;
    expect(loser.stderr).toMatch(/NOT_AWAITING|nothing waits for a decision|another decision on the plan|no longer waits/);
    const result = await shown(s.store, runId!);
    expect(result.approvals).toHaveLength(1);
  });

  it('in a terminal, asks: the plan is shown and y approves it', async () => {
    const s = scratch();
    const p = batonInTerminal(['run', '-m', PLAN_APPROVAL, '--store', s.store, '--out', s.out, ...city, 'an itinerary'], { BATON_TEST_LOG: s.log });
    await until('the question', () => p.output().includes('Approve this plan? [y]es / [n]o:'));
    expect(p.output()).toContain('t3-write-itinerary  (agent itinerary)');
    expect(calls(s.log)).toEqual([]);
    p.type('y\n');
    const r = await p.done;
    expect(r.code).toBe(0);
    expect(p.output()).toMatch(/the plan approved by cli:/);
    expect(calls(s.log).filter((c) => c.event === 'done')).toHaveLength(3);
  });

  it('in a terminal whose input ends at the prompt (Ctrl-D): lets the run go and exits 3, as without a terminal, instead of dying with Node\'s exit 13', async () => {
    const s = scratch();
    const p = batonInTerminal(['run', '-m', PLAN_APPROVAL, '--store', s.store, '--out', s.out, ...city, 'an itinerary'], { BATON_TEST_LOG: s.log });
    await until('the question', () => p.output().includes('Approve this plan? [y]es / [n]o:'));
    p.type('\x04');
    const r = await p.done;
    expect(r.code).toBe(3);
    expect(p.output()).toContain("the terminal's input ended: nobody can decide here");
    const [runId] = await runIds(s.store);
    expect(p.output()).toContain(`run ${runId!} waits for a decision on its plan: it is left in the journal`);
    // Let go, not held by a process that is gone: a decision carries it on at once.
    expect(await ownerPid(s.store, runId!)).toBeUndefined();
    const approved = await baton(['runs', 'approve', '--json', '--store', s.store, runId!], { BATON_TEST_LOG: s.log }).done;
    expect(approved.code).toBe(0);
    expect(approved.stderr).toContain(`nobody held run ${runId!}, so it goes on here`);
    expect((JSON.parse(approved.stdout) as RunResult).status).toBe('succeeded');
  });

  it('in a terminal whose input ends at the reason of a rejection (n, then Ctrl-D): takes the rejection, without a reason', async () => {
    const s = scratch();
    const p = batonInTerminal(['run', '-m', PLAN_APPROVAL, '--store', s.store, '--out', s.out, ...city, 'an itinerary'], { BATON_TEST_LOG: s.log });
    await until('the question', () => p.output().includes('Approve this plan? [y]es / [n]o:'));
    p.type('n\r');
    await until('the reason', () => p.output().includes('Reason (optional):'));
    p.type('\x04');
    const r = await p.done;
    const [runId] = await runIds(s.store);
    const shown = await baton(['runs', 'show', '--json', '--store', s.store, runId!]).done;
    const result = JSON.parse(shown.stdout) as RunResult;
    expect(result.status, p.output()).toBe('cancelled');
    expect(result.approvals).toEqual([expect.objectContaining({ kind: 'plan', decision: 'rejected' })]);
    expect(result.approvals?.[0]?.reason).toBeUndefined();
    expect(r.code).not.toBe(3);
  });

  it('carries on a run whose baton run was SIGKILLed while it waited at the prompt: runs approve takes it over', async () => {
    const s = scratch();
    const p = batonInTerminal(['run', '-m', PLAN_APPROVAL, '--store', s.store, '--out', s.out, ...city, 'an itinerary'], { BATON_TEST_LOG: s.log });
    await until('the question', () => p.output().includes('Approve this plan?'));
    const [runId] = await runIds(s.store);
    const pid = await ownerPid(s.store, runId!);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    await p.done;
    const approved = await baton(['runs', 'approve', '--json', '--store', s.store, runId!], { BATON_TEST_LOG: s.log }).done;
    expect(approved.code).toBe(0);
    expect(approved.stderr).toContain(`nobody held run ${runId!}, so it goes on here`);
    const result = JSON.parse(approved.stdout) as RunResult;
    expect(result.status).toBe('succeeded');
    expect(calls(s.log).filter((c) => c.event === 'start')).toHaveLength(3);
  });

  it('loses no decision: the owner journals one left for it and is killed right after; the run goes on with it', async () => {
    const s = scratch();
    // flights takes long enough for the owner to be killed while it runs.
    const env = { BATON_TEST_LOG: s.log, BEHAVE: '{"flights":"sleep:30000"}' };
    const p = batonInTerminal(['run', '-m', PLAN_APPROVAL, '--store', s.store, '--out', s.out, ...city, 'an itinerary'], env);
    await until('the question', () => p.output().includes('Approve this plan?'));
    const [runId] = await runIds(s.store);
    const pid = (await ownerPid(s.store, runId!))!;
    killed.push(pid);
    const approved = await baton(['runs', 'approve', '--store', s.store, '--by', 'remote', runId!]).done;
    expect(approved.code).toBe(0);
    expect(approved.stderr).toMatch(/recorded by process \d+ on .*, which carries run/);
    await until('flights to start', () => calls(s.log).some((c) => c.artifact === 'flights'));
    process.kill(pid, 'SIGKILL');
    await p.done;
    const resumed = await baton(['runs', 'resume', '--json', '--store', s.store, runId!], { BATON_TEST_LOG: s.log }).done;
    expect(resumed.code).toBe(0);
    const result = JSON.parse(resumed.stdout) as RunResult;
    expect(result.status).toBe('succeeded');
    expect(result.approvals).toEqual([expect.objectContaining({ decision: 'approved', by: 'remote' })]);
    // Attempts cut short by the kill are redone; the decision is not asked for again.
    expect([...new Set(calls(s.log).filter((c) => c.event === 'done').map((c) => c.artifact))].sort()).toEqual(['flights', 'hotels', 'itinerary']);
    expect(resumed.stderr).not.toContain('waits for a decision');
  });
});
