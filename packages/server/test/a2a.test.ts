import { Role, TaskState } from '@a2a-js/sdk';
import type { Task } from '@a2a-js/sdk';
import { ClientFactory } from '@a2a-js/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, outputFromData, textPart } from '../src/a2a/a2a-agent.ts';
import { manifestFromObject } from '../../core/src/manifest/index.ts';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { LARGE_TEXT_CHARS, startRemoteAgent } from './a2a-remote.ts';
import type { RemoteAgent } from './a2a-remote.ts';
import { startTestServer } from './support.ts';
import type { TestServer } from './support.ts';

async function remoteManifest(agents: Record<string, { url: string; produces: string[] }>, taskTimeoutMs = 20_000) {
  return manifestFromObject(
    {
      version: 1,
      orchestrator: {
        name: 'uses-remotes',
        description: 'delegates to remote A2A agents',
        instructions: '',
        subagents: Object.keys(agents),
        deliverable: [],
        policy: { retries: 0, taskTimeoutMs },
      },
      agents: Object.fromEntries(Object.entries(agents).map(([name, a]) => [name, { description: `remote ${name}`, kind: 'a2a', url: a.url, produces: a.produces, capabilities: a.produces }])),
    },
    { baseDir: process.cwd() },
  );
}

describe('kind: a2a sub-agents (real A2A servers from @a2a-js/sdk)', () => {
  const remotes: RemoteAgent[] = [];
  let ok: RemoteAgent;
  let replying: RemoteAgent;
  let failing: RemoteAgent;
  let hanging: RemoteAgent;
  let authing: RemoteAgent;
  let dropping: RemoteAgent;
  beforeAll(async () => {
    ok = await startRemoteAgent('summariser', 'artifact');
    replying = await startRemoteAgent('forecaster', 'reply');
    failing = await startRemoteAgent('ledger', 'fail');
    hanging = await startRemoteAgent('auditor', 'hang');
    authing = await startRemoteAgent('vault', 'auth');
    dropping = await startRemoteAgent('courier', 'drop');
    remotes.push(ok, replying, failing, hanging, authing, dropping);
  });
  afterAll(async () => {
    await Promise.all(remotes.map((r) => r.close()));
  });

  it('reads the card, sends the input as one DataPart and takes the output from the artifact', async () => {
    const o = new Orchestrator({ manifest: await remoteManifest({ summariser: { url: ok.url, produces: ['summary'] } }) });
    const result = await o.run('produce the summary');
    await o.close();
    expect(result.status).toBe('succeeded');
    expect(result.tasks[0]?.output).toEqual({ summary: { text: `summary of ${result.tasks[0]?.id}` } });
    const input = ok.inputs.at(-1) as { runId: string; goal: string; task: { id: string }; attempt: number };
    expect(input).toMatchObject({ runId: result.runId, goal: 'produce the summary', attempt: 1 });
    expect(input.task.id).toBe(result.tasks[0]?.id);
  });

  it('reads an output too large for one SSE event (over 4 MiB) from the task with tasks/get', async () => {
    const large = await startRemoteAgent('archivist', 'large');
    const largeReply = await startRemoteAgent('archivist-reply', 'large-reply');
    remotes.push(large, largeReply);
    const o = new Orchestrator({ manifest: await remoteManifest({ archivist: { url: large.url, produces: ['summary'] } }) });
    const result = await o.run('produce the summary');
    await o.close();
    expect(result.status, result.reason).toBe('succeeded');
    expect((result.tasks[0]?.output?.['summary'] as { text: string }).text).toHaveLength(LARGE_TEXT_CHARS);
    expect(large.inputs).toHaveLength(1);

    // A reply this large names no task to read again: one clear failure, not a retry that repeats it.
    const manifest = await remoteManifest({ archivist: { url: largeReply.url, produces: ['summary'] } });
    manifest.orchestrator.policy.retries = 2;
    const r = new Orchestrator({ manifest });
    const refused = await r.run('produce the summary');
    await r.close();
    expect(refused.status).toBe('failed');
    expect(refused.tasks[0]?.attempts[0]?.error).toMatch(/exceeded the maximum allowed size.*before naming a task.*tasks\/get/);
    expect(largeReply.inputs).toHaveLength(1);

    // A remote whose GetTask answers with another task: its artifacts are not taken for this one's.
    const mixedUp = await startRemoteAgent('archivist-mixed-up', 'large', '1.0', { getTaskAnswersAnother: true });
    remotes.push(mixedUp);
    const m = new Orchestrator({ manifest: await remoteManifest({ archivist: { url: mixedUp.url, produces: ['summary'] } }) });
    const mixed = await m.run('produce the summary');
    await m.close();
    expect(mixed.status).toBe('failed');
    expect(mixed.tasks[0]?.attempts[0]?.error).toMatch(/GetTask for task \S+ answered with task \S+/);
  });

  it("takes the output from the reply message's DataPart when the agent answers without a task", async () => {
    const o = new Orchestrator({ manifest: await remoteManifest({ forecaster: { url: replying.url, produces: ['forecast'] } }) });
    const result = await o.run('produce the forecast');
    await o.close();
    expect(result.status).toBe('succeeded');
    expect(result.tasks[0]?.output).toEqual({ forecast: { next: 7 } });
  });

  it("fails the attempt with the remote's message when the remote task fails", async () => {
    const o = new Orchestrator({ manifest: await remoteManifest({ ledger: { url: failing.url, produces: ['ledger'] } }) });
    const result = await o.run('produce the ledger');
    await o.close();
    expect(result.status).toBe('failed');
    const attempt = result.tasks[0]?.attempts[0];
    expect(attempt?.status).toBe('failed');
    expect(attempt?.error).toContain('the ledger service is down');
  });

  it('on timeout sends tasks/cancel to the remote and stops waiting', async () => {
    const o = new Orchestrator({ manifest: await remoteManifest({ auditor: { url: hanging.url, produces: ['audit'] } }, 1500) });
    const result = await o.run('produce the audit');
    await o.close();
    expect(result.tasks[0]?.attempts[0]?.status).toBe('timeout');
    // The cancel request is sent as the attempt is abandoned; it reaches the remote shortly.
    for (let i = 0; i < 100 && hanging.cancelled.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(hanging.cancelled).toHaveLength(1);
  });

  it('fails at once, without retrying, when the remote asks for authentication; its waiting task is cancelled', async () => {
    // The SDK's server keeps the stream of an auth-required task open (credentials may come out of
    // band): the attempt once waited for it to close until its timeout, and was retried.
    const manifest = await remoteManifest({ vault: { url: authing.url, produces: ['secret'] } }, 10_000);
    manifest.orchestrator.policy.retries = 2;
    const o = new Orchestrator({ manifest });
    const started = Date.now();
    const result = await o.run('produce the secret');
    await o.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.status).toBe('failed');
    const attempts = result.tasks[0]?.attempts ?? [];
    expect(attempts.map((a) => a.status)).toEqual(['failed']);
    expect(attempts[0]?.error).toMatch(/asked for authentication .*: sign in to the ledger first/);
    for (let i = 0; i < 100 && authing.cancelled.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(authing.cancelled).toHaveLength(1);
  });

  it('cancels the remote task a stream left unfinished (it ended with the task working), each attempt', async () => {
    // Each attempt left its remote task working: a retry started another beside it.
    const manifest = await remoteManifest({ courier: { url: dropping.url, produces: ['parcel'] } });
    manifest.orchestrator.policy.retries = 1;
    const o = new Orchestrator({ manifest });
    const result = await o.run('produce the parcel');
    await o.close();
    const attempts = result.tasks[0]?.attempts ?? [];
    expect(attempts.map((a) => a.status)).toEqual(['failed', 'failed']);
    expect(attempts[0]?.error).toMatch(/ended in state TASK_STATE_WORKING/);
    for (let i = 0; i < 100 && dropping.cancelled.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(dropping.cancelled).toHaveLength(2);
  });

  it('polls the task of a remote that does not stream, and cancels it on timeout', async () => {
    // The SDK's fallback for such a remote is one blocking request: no task id until the task is
    // done, so a timed-out attempt left the remote task working.
    const plain = await startRemoteAgent('plain-summariser', 'artifact', '1.0', { streaming: false });
    const stuck = await startRemoteAgent('plain-auditor', 'hang', '1.0', { streaming: false });
    remotes.push(plain, stuck);
    const done = new Orchestrator({ manifest: await remoteManifest({ summariser: { url: plain.url, produces: ['summary'] } }) });
    const result = await done.run('produce the summary');
    await done.close();
    expect(result.status).toBe('succeeded');
    expect(result.tasks[0]?.output).toEqual({ summary: { text: `summary of ${result.tasks[0]?.id}` } });

    const o = new Orchestrator({ manifest: await remoteManifest({ auditor: { url: stuck.url, produces: ['audit'] } }, 1500) });
    const timedOut = await o.run('produce the audit');
    await o.close();
    expect(timedOut.tasks[0]?.attempts[0]?.status).toBe('timeout');
    for (let i = 0; i < 100 && stuck.cancelled.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(stuck.cancelled).toHaveLength(1);
  });

  it('propagates a cancelled run to the remote task', async () => {
    const before = hanging.cancelled.length;
    const o = new Orchestrator({ manifest: await remoteManifest({ auditor: { url: hanging.url, produces: ['audit'] } }) });
    const handle = o.start('produce the audit');
    while (hanging.inputs.length < 2) await new Promise((r) => setTimeout(r, 20));
    handle.cancel('stop it');
    const result = await handle.result;
    await o.close();
    expect(result.status).toBe('cancelled');
    for (let i = 0; i < 100 && hanging.cancelled.length === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(hanging.cancelled.length).toBe(before + 1);
  });

  it('speaks A2A 0.3 to an agent whose card only offers 0.3', async () => {
    const old = await startRemoteAgent('legacy-summariser', 'artifact', '0.3');
    remotes.push(old);
    const o = new Orchestrator({ manifest: await remoteManifest({ summariser: { url: old.url, produces: ['summary'] } }) });
    const result = await o.run('produce the summary');
    await o.close();
    expect(result.status).toBe('succeeded');
    expect(result.tasks[0]?.output).toEqual({ summary: { text: `summary of ${result.tasks[0]?.id}` } });
    expect(old.versions).toEqual(['0.3']);
  });

  it('fails clearly when the agent card cannot be read', async () => {
    const o = new Orchestrator({ manifest: await remoteManifest({ ghost: { url: 'http://127.0.0.1:9/', produces: ['ghost'] } }) });
    const result = await o.run('produce the ghost');
    await o.close();
    expect(result.status).toBe('failed');
    expect(result.tasks[0]?.attempts[0]?.error).toMatch(/cannot read the A2A agent card at http:\/\/127\.0\.0\.1:9/);
  });

  it('keeps the produced artifact types when a DataPart carries more', () => {
    expect(outputFromData(['metrics'], [{ name: 'deliverable', values: [{ metrics: 1, summary: 2 }] }, { name: 'run', values: [{ runId: 'r' }] }])).toEqual({ metrics: 1 });
    expect(outputFromData(['summary'], [{ name: 'summary', values: ['text'] }])).toEqual({ summary: 'text' });
  });
});

describe('the orchestrator as an A2A agent at /a2a', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      agents: [
        scriptedAgent({ name: 'extract', capabilities: ['extract'], produces: ['rows'], script: [{ output: { rows: [1, 2, 3] } }] }),
        scriptedAgent({ name: 'report', capabilities: ['report'], consumes: ['rows'], produces: ['report'], script: [{ output: (i) => ({ report: { from: i.inputs['rows'] } }) }] }),
        scriptedAgent({ name: 'slow', capabilities: ['slow'], produces: ['eventually'], script: [{ hang: true }] }),
      ],
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('publishes an agent card listing its skills', async () => {
    const client = await new ClientFactory().createFromUrl(t.url);
    const card = await client.getAgentCard();
    expect(card.name).toBe('test-orchestrator');
    expect(card.supportedInterfaces[0]?.url).toBe(`${t.url}/a2a`);
    expect(card.skills.map((s) => s.id)).toEqual(['run-goal', 'agent-extract', 'agent-report', 'agent-slow']);
  });

  it('also answers A2A 0.3 clients (message/send without A2A-Version)', async () => {
    const res = await fetch(`${t.url}/a2a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'message/send', params: { message: { kind: 'message', role: 'user', messageId: 'm0', parts: [{ kind: 'text', text: 'produce the report' }] } } }),
    });
    const body = (await res.json()) as { result: { kind: string; status: { state: string }; artifacts: { name: string; parts: { kind: string; data: unknown }[] }[] } };
    expect(body.result.kind).toBe('task');
    expect(body.result.status.state).toBe('completed');
    expect(body.result.artifacts.find((a) => a.name === 'deliverable')?.parts[0]).toMatchObject({ kind: 'data', data: { report: { from: [1, 2, 3] } } });
    const legacyCard = (await (await fetch(`${t.url}/.well-known/agent-card.json`)).json()) as { protocolVersion: string; url: string };
    expect(legacyCard).toMatchObject({ protocolVersion: '0.3', url: `${t.url}/a2a` });
  });

  it('takes a goal from an A2A client and returns the deliverable as a DataPart artifact', async () => {
    const client = await new ClientFactory().createFromUrl(t.url);
    const result = await client.sendMessage({
      tenant: '',
      message: { messageId: 'm1', contextId: '', taskId: '', role: Role.ROLE_USER, parts: [textPart('produce the report')], metadata: {}, extensions: [], referenceTaskIds: [] },
      configuration: undefined,
      metadata: {},
    });
    const task = result as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const deliverable = task.artifacts.find((a) => a.name === 'deliverable');
    expect(dataOf(deliverable?.parts)).toEqual([{ report: { from: [1, 2, 3] } }]);
    const run = dataOf(task.artifacts.find((a) => a.name === 'run')?.parts)[0] as { runId: string; status: string };
    expect(run.status).toBe('succeeded');
    // The run is an ordinary run of the server.
    expect((await fetch(`${t.url}/v1/runs/${run.runId}`)).status).toBe(200);
  });

  it('is usable as a kind: a2a sub-agent of another orchestrator', async () => {
    const o = new Orchestrator({ manifest: await remoteManifest({ 'remote-baton': { url: t.url, produces: ['report'] } }) });
    const result = await o.run('produce the report');
    await o.close();
    expect(result.status).toBe('succeeded');
    expect(result.tasks[0]?.output).toEqual({ report: { from: [1, 2, 3] } });
  });

  it('cancels the run when the A2A task is cancelled', async () => {
    const client = await new ClientFactory().createFromUrl(t.url);
    const stream = client.sendMessageStream({
      tenant: '',
      message: { messageId: 'm2', contextId: '', taskId: '', role: Role.ROLE_USER, parts: [textPart('produce eventually')], metadata: {}, extensions: [], referenceTaskIds: [] },
      configuration: undefined,
      metadata: {},
    });
    let taskId = '';
    let runId = '';
    let final: TaskState | undefined;
    for await (const e of stream) {
      const p = e.payload;
      if (p?.$case === 'task') taskId = p.value.id;
      if (p?.$case === 'statusUpdate') {
        const md = p.value.metadata as { batonRunId?: string } | undefined;
        if (md?.batonRunId && !runId) {
          runId = md.batonRunId;
          await client.cancelTask({ tenant: '', id: taskId, metadata: {} });
        }
        final = p.value.status?.state;
      }
    }
    expect(final).toBe(TaskState.TASK_STATE_CANCELED);
    const run = (await (await fetch(`${t.url}/v1/runs/${runId}`)).json()) as { status: string };
    expect(run.status).toBe('cancelled');
  });
});
