import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { RunEvent } from '../../core/src/core/events.ts';
import { agentLog } from '../../core/test/durability/processes.ts';
import { CORE_FIXTURES } from '../../core/test/support/paths.ts';
import { spawnCli, stopProcess, waitFor } from './helpers.ts';
import type { CliProcess } from './helpers.ts';

/** The three slow steps the durability tests use (see core's test/fixtures/durable). */
export const DURABLE_MANIFEST = join(CORE_FIXTURES, 'durable/baton.yaml');

/** A `baton serve` replica on the shared journal. */
export interface Replica extends CliProcess {
  url: string;
  pid: number;
}

/** Starts `baton serve` on a free port over `store` (and `redis`, when given), with `args` added; resolves once it listens. */
export async function startReplica(store: string, env: Record<string, string>, cwd: string, args: string[] = []): Promise<Replica> {
  const dataDir = mkdtempSync(join(tmpdir(), 'baton-replica-'));
  const cli = spawnCli(['serve', '-m', DURABLE_MANIFEST, '--port', '0', '--store', store, '--data-dir', dataDir, ...args], { BATON_LOG_LEVEL: 'warn', ...env }, cwd);
  const url = await Promise.race([
    waitFor('the replica to listen', () => /http:\/\/127\.0\.0\.1:\d+/.exec(cli.stdout())?.[0], 60_000),
    cli.exited.then((code) => {
      throw new Error(`baton serve exited (${code}) before it listened:\n${cli.stderr()}`);
    }),
  ]);
  return Object.assign(cli, { url, pid: cli.proc.pid! });
}

/** Waits until each run of `runs` has a task under way in the journal. */
export async function untilEachHasATaskUnderWay(store: { readEvents(runId: string): Promise<RunEvent[]> }, runs: readonly string[]): Promise<void> {
  await waitFor('every run to have a task under way', async () => {
    for (const id of runs) if (!(await store.readEvents(id)).some((e) => e.type === 'task.started')) return false;
    return true;
  });
}

/** Waits until each run of `runs` has journaled its end; each run's events, by id. */
export async function journalsOnceEnded(store: { readEvents(runId: string): Promise<RunEvent[]> }, runs: readonly string[], timeoutMs = 90_000): Promise<Map<string, RunEvent[]>> {
  const journals = new Map<string, RunEvent[]>();
  await waitFor('every run to end', async () => {
    for (const id of runs) {
      if (journals.has(id)) continue;
      const events = await store.readEvents(id);
      if (events.at(-1)?.type !== 'run.ended') return false;
      journals.set(id, events);
    }
    return true;
  }, timeoutMs);
  return journals;
}

/** Expects each run to have succeeded after `replica` took it over (its run.resumed says why, matching `why`). */
export function expectTakenOverAndSucceeded(journals: Map<string, RunEvent[]>, replica: Replica, why: string): void {
  for (const [id, events] of journals) {
    const end = events.at(-1);
    expect(end?.type === 'run.ended' && end.status, `run ${id}`).toBe('succeeded');
    const resumed = events.find((e): e is Extract<RunEvent, { type: 'run.resumed' }> => e.type === 'run.resumed');
    expect(resumed?.owner?.pid, `run ${id}`).toBe(replica.pid);
    expect(resumed?.reason, `run ${id}`).toContain(why);
  }
}

/** POST /v1/runs; the new run's id. */
export async function postRun(replica: Replica, goal: string): Promise<string> {
  const res = await fetch(`${replica.url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ goal }) });
  if (res.status !== 202) throw new Error(`POST /v1/runs answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { runId: string }).runId;
}

/** Follows a run's Server-Sent Events from a replica, collecting them until `run.ended` or the stream closes. */
export function followEvents(replica: Replica, runId: string): { events: RunEvent[]; done: Promise<void> } {
  const events: RunEvent[] = [];
  const done = (async () => {
    const res = await fetch(`${replica.url}/v1/runs/${runId}/events`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done: finished } = await reader.read();
      if (finished) return;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (!data) continue;
        const event = JSON.parse(data.slice('data: '.length)) as RunEvent;
        events.push(event);
        if (event.type === 'run.ended') {
          await reader.cancel();
          return;
        }
      }
    }
  })();
  return { events, done };
}

/**
 * Tasks executed again although their success was journaled before: an agent `started` line of a
 * (run, task) later than that task's `task.succeeded` event (the agents log on this machine's clock).
 */
export function reExecutedAfterSuccess(log: string, journals: Map<string, RunEvent[]>): string[] {
  const found: string[] = [];
  const lines = agentLog(log);
  for (const [runId, events] of journals) {
    for (const e of events) {
      if (e.type !== 'task.succeeded') continue;
      const at = Date.parse(e.at);
      const again = lines.filter((l) => l.kind === 'started' && l.runId === runId && l.task === e.taskId && l.at > at);
      if (again.length > 0) found.push(`${runId} ${e.taskId} (${again.length} more start(s) after its success at ${e.at})`);
    }
  }
  return found;
}

export async function stopAll(processes: CliProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => stopProcess(p, 'SIGTERM').catch(() => undefined)));
}
