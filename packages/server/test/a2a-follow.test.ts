import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Role, TaskState } from '@a2a-js/sdk';
import type { Message, Part, Task } from '@a2a-js/sdk';
import { ClientFactory } from '@a2a-js/sdk/client';
import { describe, expect, it } from 'vitest';
import { dataOf, dataPart, textPart } from '../src/a2a/a2a-agent.ts';
import type { PendingApproval } from '../../core/src/core/types.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import { MemoryRunStore } from '../../core/src/store/index.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { createServer } from '../src/index.ts';
import type { BatonServer } from '../src/index.ts';

const PARAMS = { type: 'object', required: ['city'], properties: { city: { type: 'string' } } };

function message(parts: Part[], taskId = ''): Message {
  return { messageId: `m-${Math.random().toString(36).slice(2)}`, contextId: '', taskId, role: Role.ROLE_USER, parts, metadata: {}, extensions: [], referenceTaskIds: [] };
}

const agents = (flightsMs: number) => [
  scriptedAgent({ name: 'flights', capabilities: ['flights'], produces: ['flights'], script: [{ output: (i) => ({ flights: { to: i.params['city'] } }), delayMs: flightsMs }] }),
  scriptedAgent({ name: 'itinerary', capabilities: ['itinerary'], consumes: ['flights'], produces: ['itinerary'], script: [{ output: { itinerary: 'x' }, delayMs: 100 }] }),
  scriptedAgent({ name: 'mailer', capabilities: ['mail'], consumes: ['itinerary'], produces: ['receipt'], approval: 'required' }),
];

/** A server over `store`, with no takeover sweeper: runs move between the two only as the test says. */
async function serve(store: MemoryRunStore, dataDir: string, approval: 'plan' | 'none' = 'plan', flightsMs = 100): Promise<BatonServer> {
  return createServer({
    orchestrator: ({ limiter }) => createOrchestrator({ name: 'trips', description: 'plans trips', agents: agents(flightsMs), store, limiter, policy: { approval }, params: PARAMS }),
    host: '127.0.0.1',
    port: 0,
    dataDir,
    telemetry: false,
    takeover: false,
  });
}

/** The store, as a second server sees it: it counts when its events are read (`Date.now()` of each). */
function countingReads(store: MemoryRunStore): { reads: number[]; counted: MemoryRunStore } {
  const reads: number[] = [];
  const counted = new Proxy(store, {
    get(target, key) {
      if (key === 'readEvents') return (runId: string) => (reads.push(Date.now()), target.readEvents(runId));
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { reads, counted };
}

async function send(url: string, parts: Part[], taskId = '', returnImmediately = false): Promise<Task> {
  const client = await new ClientFactory().createFromUrl(url);
  const configuration = returnImmediately ? { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately } : undefined;
  return (await client.sendMessage({ tenant: '', message: message(parts, taskId), configuration, metadata: {} })) as Task;
}

describe('an A2A task whose run this process carries on', () => {
  it('reaches input-required at the run’s next decision, though the run is read from the store a tick behind its events', async () => {
    const store = new MemoryRunStore();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'baton-a2a-follow-'));
    const first = await serve(store, dataDir);
    let second: BatonServer | undefined;
    try {
      const task = await send(first.url, [textPart('an itinerary, then mail it'), dataPart({ params: { city: 'Faro' } })]);
      expect(task.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
      const { runId, approval } = dataOf(task.status?.message?.parts)[0] as { runId: string; approval: PendingApproval };
      expect(approval.kind).toBe('plan');
      // The run only waits for its plan: the first server lets it go.
      await first.close();
      await first.orchestrator.close(false);

      second = await serve(store, dataDir);
      // Approving the plan carries the run on in the second server, which did not see it start.
      const next = await send(second.url, [dataPart({ approve: true })], task.id);
      expect(second.orchestrator.isActive(runId)).toBe(true);
      expect(next.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
      expect((dataOf(next.status?.message?.parts)[0] as { approval: PendingApproval }).approval).toMatchObject({ kind: 'task', agent: 'mailer' });
    } finally {
      await second?.close();
      await second?.orchestrator.close(false);
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 30_000);

  it('reads back only the record of a run executing elsewhere while it runs, and the whole run once it waits', async () => {
    await withRunElsewhere(3_500, async ({ first, second, reads, started }) => {
      let waitingAt = 0;
      first.orchestrator.on((e) => {
        if (e.type === 'approval.requested') waitingAt ||= Date.now();
      });
      // Asked on the second server, which does not execute the run: it follows it until it waits.
      const followFrom = Date.now();
      const next = await send(second.url, [textPart('how is it going?')], started.id);
      expect(next.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
      expect((dataOf(next.status?.message?.parts)[0] as { approval: PendingApproval }).approval).toMatchObject({ kind: 'task', agent: 'mailer' });
      expect(waitingAt).toBeGreaterThan(followFrom + 2_000);
      // Read when asked, and once it waits; never in the seconds it ran elsewhere.
      expect(reads.filter((t) => t > followFrom + 500 && t < waitingAt), `reads at ${reads.map((t) => t - followFrom).join(', ')} ms; waiting at ${waitingAt - followFrom}`).toEqual([]);
      expect(reads.filter((t) => t >= waitingAt).length).toBeGreaterThan(0);
    });
  }, 30_000);

  it('waits for the end of a run it cancels elsewhere on the run’s record, then reads the run once', async () => {
    await withRunElsewhere(20_000, async ({ second, reads, started }) => {
      const client = await new ClientFactory().createFromUrl(second.url);
      const asked = Date.now();
      const cancelled = await client.cancelTask({ tenant: '', id: started.id, metadata: {} });
      expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
      const took = Date.now() - asked;
      // The other server picks the request up within about a second. The task and the cancel read
      // the run, and its end is read once: reading it every 50 ms meanwhile made ~20 more.
      expect(took).toBeGreaterThan(200);
      expect(reads.filter((t) => t >= asked).length, `${reads.length} reads in ${took} ms`).toBeLessThanOrEqual(3);
    });
  }, 30_000);
});

/**
 * Two servers on one journal, no approval of the plan: a run started (and executing) on the first,
 * whose first agent takes `flightsMs`, and a second server whose reads of the run's events are counted.
 */
async function withRunElsewhere(flightsMs: number, body: (servers: { first: BatonServer; second: BatonServer; reads: number[]; started: Task }) => Promise<void>): Promise<void> {
  const store = new MemoryRunStore();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'baton-a2a-follow-'));
  const { reads, counted } = countingReads(store);
  const first = await serve(store, dataDir, 'none', flightsMs);
  const second = await serve(counted, dataDir, 'none');
  try {
    const started = await send(first.url, [textPart('an itinerary, then mail it'), dataPart({ params: { city: 'Faro' } })], '', true);
    await body({ first, second, reads, started });
  } finally {
    await second.close();
    await second.orchestrator.close(false);
    await first.close();
    await first.orchestrator.close(false);
    await rm(dataDir, { recursive: true, force: true });
  }
}
