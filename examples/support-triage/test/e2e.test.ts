/**
 * End to end: the real CLI (`baton run`) on examples/support-triage/baton.yaml, as a
 * user runs it: module agents in process, the classifier as a Python process, every artifact
 * checked against its schema by the orchestrator and here against tickets labelled by hand.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Assignments, Digest, Labels, Replies, Ticket } from '../lib/artifacts.ts';
import type { RunResult } from '../../../packages/core/src/core/types.ts';

const ROOT = join(import.meta.dirname, '../../..');
const MANIFEST = 'examples/support-triage/baton.yaml';
const tmp = mkdtempSync(join(tmpdir(), 'baton-triage-e2e-'));
const tickets = (JSON.parse(readFileSync(join(ROOT, 'examples/support-triage/data/tickets.json'), 'utf8')) as { tickets: Ticket[] }).tickets;

interface CliRun {
  code: number | null;
  stderr: string;
  result: RunResult;
}

function runCli(goal: string, name: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const args = ['packages/core/bin/baton.js', 'run', '-m', MANIFEST, '--json', '--store', 'memory', '--out', join(tmp, name), goal];
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ code, stderr, result: JSON.parse(stdout) as RunResult });
      } catch (e) {
        reject(new Error(`baton run "${goal}" printed no RunResult (exit ${code}): ${stderr.slice(-2000)}`, { cause: e }));
      }
    });
  });
}

const GOALS = {
  today: "triage today's tickets",
  billingReplies: 'draft replies for the billing tickets, no digest',
  enterprise: 'classify the enterprise tickets',
  poem: 'write me a poem about cats',
} as const;
const runs = new Map<keyof typeof GOALS, CliRun>();
const run = (name: keyof typeof GOALS): CliRun => runs.get(name) as CliRun;

beforeAll(async () => {
  const names = Object.keys(GOALS) as (keyof typeof GOALS)[];
  for (let i = 0; i < names.length; i += 2) {
    const batch = names.slice(i, i + 2);
    const done = await Promise.all(batch.map((n) => runCli(GOALS[n], n)));
    batch.forEach((n, j) => runs.set(n, done[j] as CliRun));
  }
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Tickets labelled by a person reading them, not by the classifier's rules. */
const BY_HAND: Record<string, { category: string; priority: string }> = {
  'T-1031': { category: 'outage', priority: 'urgent' },
  'T-1035': { category: 'bug', priority: 'urgent' },
  'T-1036': { category: 'billing', priority: 'high' },
  'T-1040': { category: 'bug', priority: 'high' },
  'T-1033': { category: 'feature-request', priority: 'low' },
  'T-1037': { category: 'how-to', priority: 'normal' },
  'T-1038': { category: 'account', priority: 'normal' },
};

describe('baton run on the support triage (CLI)', () => {
  it("triages today's tickets end to end: labels, assignments, replies and digest", () => {
    const r = run('today');
    expect(r.code, r.stderr).toBe(0);
    expect(r.result.status).toBe('succeeded');
    expect(r.result.plan.tasks.map((t) => t.agent)).toEqual(['intake', 'classifier', 'router', 'responder', 'digest']);
    expect(Object.keys(r.result.deliverable.artifacts).sort()).toEqual(['assignments', 'digest', 'labels', 'replies']);
    expect(r.result.deliverable.provenance['labels']).toMatchObject({ agent: 'classifier', agentVersion: '1.0.0' });

    const today = tickets.filter((t) => t.createdAt.startsWith('2026-03-06')).map((t) => t.id);
    const labels = r.result.deliverable.artifacts['labels'] as Labels;
    expect(labels.labels.map((l) => l.ticketId).sort()).toEqual(today.sort());
    for (const [id, want] of Object.entries(BY_HAND)) expect(labels.labels.find((l) => l.ticketId === id), id).toMatchObject(want);

    const assignments = r.result.deliverable.artifacts['assignments'] as Assignments;
    const outage = assignments.assignments.find((a) => a.ticketId === 'T-1031');
    expect(outage).toMatchObject({ team: 'platform', escalated: true, dueBy: '2026-03-06T11:05:00.000Z' });
    expect(assignments.assignments.find((a) => a.ticketId === 'T-1036')?.team).toBe('billing');

    const digest = r.result.deliverable.artifacts['digest'] as Digest;
    expect(digest.total).toBe(today.length);
    expect(digest.urgent.map((u) => u.ticketId)).toEqual(['T-1031', 'T-1035']);
    expect((r.result.deliverable.artifacts['replies'] as Replies).drafts).toHaveLength(today.length);
  });

  it('drafts replies only for the billing tickets, and leaves out the excluded digest and what only it needed', () => {
    const r = run('billingReplies');
    expect(r.code, r.stderr).toBe(0);
    expect(r.result.plan.tasks.map((t) => t.agent)).toEqual(['intake', 'classifier', 'responder']);
    expect(r.result.plan.excluded).toEqual(['digest']);
    expect(Object.keys(r.result.deliverable.artifacts)).toEqual(['replies']);
    const drafts = (r.result.deliverable.artifacts['replies'] as Replies).drafts;
    expect(drafts.map((d) => d.ticketId)).toEqual(['T-1001', 'T-1009', 'T-1014', 'T-1020', 'T-1024', 'T-1029', 'T-1036']);
    expect(drafts.every((d) => d.template === 'billing')).toBe(true);
    const unhappy = drafts.find((d) => d.ticketId === 'T-1020');
    expect(unhappy?.body).toContain('I am sorry for the trouble');
    expect(unhappy?.to).toBe('ethan@clarke-accounting.example');
  });

  it('reads the customer tier from the goal', () => {
    const r = run('enterprise');
    expect(r.code, r.stderr).toBe(0);
    expect(r.result.plan.tasks.map((t) => t.agent)).toEqual(['intake', 'classifier']);
    const labels = r.result.deliverable.artifacts['labels'] as Labels;
    const enterprise = tickets.filter((t) => t.customer.tier === 'enterprise').map((t) => t.id);
    expect(labels.labels.map((l) => l.ticketId)).toEqual(enterprise);
  });

  it('refuses a goal it has nothing for: exit 1, no agent runs', () => {
    const r = run('poem');
    expect(r.code).toBe(1);
    expect(r.result.tasks).toEqual([]);
    expect(r.result.reason).toContain('can produce: labels, assignments, replies, digest and tickets');
  });
});
