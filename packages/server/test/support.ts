import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Agent } from '../../core/src/core/contracts.ts';
import type { RunEvent } from '../../core/src/core/events.ts';
import type { Policy, RunResult } from '../../core/src/core/types.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import type { CodeOrchestratorOptions } from '../../core/src/create-orchestrator.ts';
import { createServer } from '../src/index.ts';
import type { BatonServer, ServerOptions } from '../src/index.ts';
import { MemoryRunStore } from '../../core/src/store/index.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';

/** A server on 127.0.0.1 and a free port, its run files in a temp dir. */
export interface TestServer {
  server: BatonServer;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/** Two agents: `extract` → rows → `report` → report (each answers after `delayMs`). */
export function defaultAgents(delayMs = 30): Agent[] {
  return [
    scriptedAgent({ name: 'extract', capabilities: ['extract'], produces: ['rows'], script: [{ output: { rows: [1, 2, 3] }, delayMs }] }),
    scriptedAgent({ name: 'report', capabilities: ['report'], consumes: ['rows'], produces: ['report'], script: [{ output: (i) => ({ report: { from: i.inputs['rows'] } }), delayMs }] }),
  ];
}

export async function startTestServer(
  options: { agents?: Agent[]; policy?: Partial<Policy>; orchestratorOptions?: Partial<CodeOrchestratorOptions> } & Omit<ServerOptions, 'orchestrator' | 'port' | 'host' | 'dataDir'> = {},
): Promise<TestServer> {
  const { agents, policy, orchestratorOptions, ...rest } = options;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'baton-server-'));
  const server = await createServer({
    orchestrator: ({ limiter }) =>
      createOrchestrator({ name: 'test-orchestrator', description: 'Test orchestrator', agents: agents ?? defaultAgents(), store: new MemoryRunStore(), limiter, ...(policy ? { policy } : {}), ...orchestratorOptions }),
    host: '127.0.0.1',
    port: 0,
    dataDir,
    telemetry: false,
    ...rest,
  });
  return {
    server,
    url: server.url,
    dataDir,
    async close() {
      await server.close();
      await server.orchestrator.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** POST JSON. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** Starts a run over HTTP and returns its id. */
export async function startRun(base: string, goal: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await postJson(`${base}/v1/runs`, { goal }, headers);
  if (res.status !== 202) throw new Error(`POST /v1/runs answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { runId: string }).runId;
}

/** One parsed Server-Sent Event, or a comment line. */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/**
 * Reads a Server-Sent Events response to its end (or until `stop` returns true), parsing each
 * message. Fails if the stream does not end within `timeoutMs`.
 */
export async function readSse(res: Response, stop: (m: SseMessage, all: SseMessage[]) => boolean = () => false, timeoutMs = 20_000): Promise<SseMessage[]> {
  if (!res.body) throw new Error('no body');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const messages: SseMessage[] = [];
  let buffer = '';
  const deadline = setTimeout(() => void reader.cancel(new Error('SSE stream did not end in time')), timeoutMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const m: SseMessage = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) m.comment = line.slice(1).trim();
          else if (line.startsWith('id:')) m.id = line.slice(3).trim();
          else if (line.startsWith('event:')) m.event = line.slice(6).trim();
          else if (line.startsWith('data:')) m.data = (m.data ? `${m.data}\n` : '') + line.slice(5).trimStart();
        }
        messages.push(m);
        if (stop(m, messages)) {
          await reader.cancel();
          return messages;
        }
      }
    }
  } finally {
    clearTimeout(deadline);
  }
  return messages;
}

/** The run events among SSE messages. */
export function eventsOf(messages: SseMessage[]): RunEvent[] {
  return messages.filter((m) => m.data).map((m) => JSON.parse(m.data ?? '') as RunEvent);
}

/** Waits until `check` holds, 5 s at most; then the caller's expectation tells what did not. */
export async function eventually(check: () => boolean): Promise<void> {
  const until = Date.now() + 5_000;
  while (!check() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 25));
}

/** GET /v1/runs/:id. */
export async function runOf(base: string, runId: string): Promise<RunResult> {
  return (await (await fetch(`${base}/v1/runs/${runId}`)).json()) as RunResult;
}

/** Polls GET /v1/runs/:id until the run has `status` (10 s at most). */
export async function statusIs(base: string, runId: string, status: string): Promise<RunResult> {
  const until = Date.now() + 10_000;
  for (;;) {
    const r = await runOf(base, runId);
    if (r.status === status) return r;
    if (Date.now() > until) throw new Error(`run ${runId} is ${r.status}, not ${status}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** Polls GET /v1/runs/:id until the run is no longer running. */
export async function waitForEnd(base: string, runId: string, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<{ status: string } & Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = (await (await fetch(`${base}/v1/runs/${runId}`, { headers })).json()) as { status: string } & Record<string, unknown>;
    if (r.status !== 'running') return r;
    if (Date.now() > until) throw new Error(`run ${runId} still running after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Opens a run's event stream over a raw socket, takes the first bytes of the answer and reads no more. */
export function stuckFollower(base: string, runId: string): Promise<Socket> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(`GET /v1/runs/${runId}/events HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`));
    socket.once('data', () => {
      socket.pause();
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
