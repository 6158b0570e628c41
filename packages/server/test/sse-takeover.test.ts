/**
 * Clients follow a run on the server that started it (process A) while another process (B) takes
 * the run over: SQLite journal, one store handle each on the same file. A's next write is refused
 * and A stops the run; B carries it on under the same seqs. What A's clients get must be the
 * journal's history, never an event the journal refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { Role, TaskState } from '@a2a-js/sdk';
import type { Part } from '@a2a-js/sdk';
import { ClientFactory } from '@a2a-js/sdk/client';
import { describe, expect, it } from 'vitest';
import { defineAgent } from '../../core/src/agents/define-agent.ts';
import type { Agent } from '../../core/src/core/contracts.ts';
import type { RunEvent } from '../../core/src/core/events.ts';
import { reduceEvents } from '../../core/src/core/reduce.ts';
import type { RunResult } from '../../core/src/core/types.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import type { Orchestrator } from '../../core/src/orchestrator.ts';
import { SqliteRunStore } from '../../core/src/store/index.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { dataOf, dataPart, textOf, textPart } from '../src/a2a/a2a-agent.ts';
import { createServer } from '../src/index.ts';
import type { BatonServer } from '../src/index.ts';
import { eventsOf, postJson, readSse } from './support.ts';
import type { SseMessage } from './support.ts';

const extract = { id: 'extract', title: 'extract', instructions: '', agent: 'extract', dependsOn: [], consumes: [], produces: ['rows'] };
const report = { id: 'report', title: 'report', instructions: '', agent: 'report', dependsOn: ['extract'], consumes: ['rows'], produces: ['report'] };

/** A run owner whose process is gone (no such pid on this host): a run it holds may be taken over. */
const GONE = { id: `${hostname()}:4194303:gone`, host: hostname(), pid: 4_194_303, startedAt: 0 };

/** `extract` (answering once `gate` resolves, when given) and `report`, each naming the process that ran it in its output. */
function agents(processName: string, gate?: { working(runId: string): void; open: Promise<void> }): Agent[] {
  return [
    defineAgent({
      name: 'extract',
      description: 'extracts rows',
      produces: ['rows'],
      run: async (input) => {
        gate?.working(input.runId);
        await gate?.open;
        return { rows: `by ${processName}` };
      },
    }),
    scriptedAgent({ name: 'report', consumes: ['rows'], produces: ['report'], script: [{ output: { report: `by ${processName}` } }] }),
  ];
}

interface TwoProcesses {
  /** Process A's server, whose `extract` waits to be let through. */
  server: BatonServer;
  /** Process B's handle on the journal. */
  storeB: SqliteRunStore;
  /** The id of the run once A's `extract` works on it. */
  working: Promise<string>;
  /** Every event A emitted (told at once), refused ones included. */
  toldByA: RunEvent[];
  /**
   * B claims the run, A's `extract` answers and A's write of that answer is refused (with
   * `slowStoreUntil`, A's store answers once A has emitted that event: a journal a round trip
   * away); once A has stopped the run, B carries it on to its end.
   */
  takeOver(runId: string, slowStoreUntil?: RunEvent['type']): Promise<RunResult>;
}

async function withTwoProcesses(body: (p: TwoProcesses) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'baton-sse-takeover-'));
  const file = path.join(dataDir, 'baton.db');
  const storeA = new SqliteRunStore({ file });
  let slowStore: Promise<void> | undefined;
  const append = storeA.append.bind(storeA);
  storeA.append = async (...args) => {
    await slowStore;
    return append(...args);
  };
  const storeB = new SqliteRunStore({ file });
  let open!: () => void;
  let working!: (runId: string) => void;
  const gate = { open: new Promise<void>((resolve) => (open = resolve)), working: (runId: string) => working(runId) };
  const startedWork = new Promise<string>((resolve) => (working = resolve));
  const server = await createServer({
    orchestrator: ({ limiter }) => createOrchestrator({ name: 'reports', agents: agents('A', gate), store: storeA, limiter }),
    host: '127.0.0.1',
    port: 0,
    dataDir,
    telemetry: false,
    takeover: false,
    limits: { pollMs: 50 },
  });
  const toldByA: RunEvent[] = [];
  server.orchestrator.on((e) => toldByA.push(e));
  const processB: Orchestrator = createOrchestrator({ name: 'reports', agents: agents('B'), store: storeB });
  const takeOver = async (runId: string, slowStoreUntil?: RunEvent['type']): Promise<RunResult> => {
    const held = (await storeB.ownership(runId))!;
    expect(await storeB.claim(runId, GONE, held.fence)).toBe(held.fence + 1);
    let answer: (() => void) | undefined;
    if (slowStoreUntil) slowStore = new Promise<void>((resolve) => (answer = resolve));
    open();
    if (slowStoreUntil) await waitUntil(`A to emit ${slowStoreUntil}`, () => toldByA.some((e) => e.runId === runId && e.type === slowStoreUntil));
    answer?.();
    await waitUntil('A to stop the run it lost', () => !server.orchestrator.isActive(runId));
    return (await processB.resume(runId)).result;
  };
  try {
    await body({ server, storeB, working: startedWork, toldByA, takeOver });
  } finally {
    await server.close();
    await server.orchestrator.close(false);
    await processB.close(false);
    await storeA.close();
    await storeB.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Opens the run's event stream; resolves `subscribed` once the stream has sent `task.started` (it listens by then). */
async function follow(url: string, runId: string, headers: Record<string, string> = {}): Promise<{ subscribed: Promise<void>; done: Promise<SseMessage[]> }> {
  let sawTaskStart!: () => void;
  const subscribed = new Promise<void>((resolve) => (sawTaskStart = resolve));
  const res = await fetch(`${url}/v1/runs/${runId}/events`, { headers: { accept: 'text/event-stream', ...headers } });
  const done = readSse(
    res,
    (m) => {
      if (m.event === 'task.started') sawTaskStart();
      return false;
    },
    10_000,
  );
  return { subscribed, done };
}

describe('clients of a run another process takes over', () => {
  it('get over SSE only events the journal holds, then the new owner\'s, contiguous to run.ended; Last-Event-ID resumes from the journal', async () => {
    await withTwoProcesses(async ({ server, storeB, working, toldByA, takeOver }) => {
      const { runId } = (await (await postJson(`${server.url}/v1/runs`, { goal: 'a report', plan: { tasks: [extract, report], requested: ['report'] } })).json()) as { runId: string };
      const stream = await follow(server.url, runId);
      await Promise.all([working, stream.subscribed]);

      expect((await takeOver(runId)).status).toBe('succeeded');
      const journal = await storeB.readEvents(runId);
      expect(refusedOf(toldByA, journal), 'A emitted events the journal refused').not.toEqual([]);
      expectSameEvents(eventsOf(await stream.done), journal);

      const resumed = journal.findIndex((e) => e.type === 'run.resumed');
      const again = await follow(server.url, runId, { 'Last-Event-ID': String(resumed) });
      expectSameEvents(eventsOf(await again.done), journal.slice(resumed));
    });
  }, 30_000);

  it('are not given an end the journal refused: not over SSE, GET /v1/runs/:id or A2A, which end with the new owner\'s', async () => {
    await withTwoProcesses(async ({ server, storeB, working, toldByA, takeOver }) => {
      const a2a = streamA2a(server.url, [textPart('rows'), dataPart({ plan: { tasks: [extract], requested: ['rows'] } })]);
      const runId = await working;
      const stream = await follow(server.url, runId);
      await stream.subscribed;

      expect((await takeOver(runId, 'run.ended')).status).toBe('succeeded');
      const journal = await storeB.readEvents(runId);
      expect(refusedOf(toldByA, journal).map((e) => e.type), 'A emitted an end the journal refused').toContain('run.ended');

      const sent = eventsOf(await stream.done);
      expectSameEvents(sent, journal);
      const end = sent.at(-1);
      expect(end?.type === 'run.ended' && end.deliverable.artifacts).toEqual({ rows: 'by B' });

      const read = (await (await fetch(`${server.url}/v1/runs/${runId}`)).json()) as RunResult;
      expect(read).toEqual(reduceEvents(journal));
      expect(read.deliverable.artifacts).toEqual({ rows: 'by B' });

      const task = await a2a;
      expect(task.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(task.deliverable).toEqual([{ rows: 'by B' }]);
      // A's success of extract was refused; B's events are not seen here.
      expect(task.texts.filter((t) => t.includes('extract succeeded'))).toEqual([]);
    });
  }, 30_000);
});

/** Events A emitted whose seq the journal holds as another event, or not at all. */
function refusedOf(told: RunEvent[], journal: RunEvent[]): RunEvent[] {
  return told.filter((e) => journal[e.seq - 1]?.type !== e.type);
}

/** Same seqs, types and content (`run.ended`'s artifacts aside: the stream sends them whole, the journal may reference them). */
function expectSameEvents(sent: RunEvent[], journal: RunEvent[]): void {
  expect(sent.map((e) => `${e.seq} ${e.type}`)).toEqual(journal.map((e) => `${e.seq} ${e.type}`));
  for (const [i, e] of journal.entries()) expect(comparable(sent[i]!), `seq ${e.seq}`).toEqual(comparable(e));
}

function comparable(e: RunEvent): unknown {
  if (e.type !== 'run.ended') return e;
  const { artifactRefs: _refs, deliverable: _deliverable, ...rest } = e;
  return rest;
}

/** Sends a message over A2A streaming and reads the task's updates to its end: the texts of its statuses, its last state and its deliverable. */
async function streamA2a(url: string, parts: Part[]): Promise<{ texts: string[]; state: TaskState | undefined; deliverable: unknown[] }> {
  const client = await new ClientFactory().createFromUrl(url);
  const message = { messageId: `m-${Math.random().toString(36).slice(2)}`, contextId: '', taskId: '', role: Role.ROLE_USER, parts, metadata: {}, extensions: [], referenceTaskIds: [] };
  const texts: string[] = [];
  let state: TaskState | undefined;
  let deliverable: unknown[] = [];
  for await (const e of client.sendMessageStream({ tenant: '', message, configuration: undefined, metadata: {} })) {
    const p = e.payload;
    if (p?.$case === 'statusUpdate') {
      state = p.value.status?.state;
      texts.push(textOf(p.value.status?.message?.parts));
    }
    if (p?.$case === 'artifactUpdate' && p.value.artifact?.name === 'deliverable') deliverable = dataOf(p.value.artifact.parts);
  }
  return { texts, state, deliverable };
}

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
