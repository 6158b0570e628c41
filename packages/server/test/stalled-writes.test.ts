/**
 * A client that stops reading what the server has to send it (a laptop gone to sleep with a run's
 * event stream open, a hostile client) has its connection closed once nothing was written to it
 * for the `writeStallMs` limit; clients that read, and streams that are only quiet, are left open.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import { SqliteRunStore } from '../../core/src/store/index.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { createServer } from '../src/index.ts';
import { closeStalledWrites } from '../src/stalled-writes.ts';
import type { BatonServer } from '../src/index.ts';
import { postJson, stuckFollower } from './support.ts';

const TASKS = 20;
const OUTPUT_CHARS = 500_000;
// Long enough that a client the machine's load keeps from reading for a moment is not taken for
// one that stopped (the default is 60 s; CI runs of the whole suite on two cores cut this file's
// own setup at 400 ms, and its slow reader at 1 s on Node 24).
const STALL_MS = 2_500;

/**
 * Waits `ms` with `socket` unread, then reads what it holds: whether the server closed it before
 * sending all (the stream of an ended run ends with run.ended), and whether it closed at all.
 */
async function readAfter(socket: Socket, ms: number): Promise<{ closed: boolean; whole: boolean }> {
  await new Promise((r) => setTimeout(r, ms));
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk.slice(-64)));
  const closed = await new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), 5000);
    socket.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
    socket.once('error', () => undefined);
    socket.resume();
  });
  socket.destroy();
  return { closed, whole: text.includes('0\r\n\r\n') };
}

describe('a client that stops reading', () => {
  let server: BatonServer;
  let dataDir: string;
  let bigRun: string;
  let release: () => void = () => undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'baton-stall-'));
    const gate = new Promise<void>((r) => (release = r));
    const agents = [
      scriptedAgent({ name: 'big', produces: ['blob'], script: [{ output: () => ({ blob: `${Math.random()}`.padEnd(OUTPUT_CHARS, 'x') }) }] }),
      { ...scriptedAgent({ name: 'slow', produces: ['later'] }), run: async () => (await gate, { later: 1 }) },
    ];
    const store = new SqliteRunStore({ file: path.join(dataDir, 'baton.db') });
    server = await createServer({
      orchestrator: ({ limiter }) => createOrchestrator({ name: 'o', description: 'o', agents, store, limiter }),
      host: '127.0.0.1',
      port: 0,
      dataDir,
      telemetry: false,
      takeover: false,
      limits: { writeStallMs: STALL_MS, heartbeatMs: 60_000 },
    });
    const tasks = Array.from({ length: TASKS }, (_, i) => ({ id: `t${i}`, agent: 'big' }));
    bigRun = ((await (await postJson(`${server.url}/v1/runs`, { plan: { tasks } })).json()) as { runId: string }).runId;
    // Read from the journal, not over HTTP: the run's 10 MB result is not what these tests read.
    const deadline = Date.now() + 60_000;
    while ((await store.getRun(bigRun))?.status !== 'succeeded' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await store.getRun(bigRun))?.status).toBe('succeeded');
  });

  afterAll(async () => {
    release();
    await server.close();
    await server.orchestrator.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('has its connection closed once nothing was written to it for the limit', async () => {
    const socket = await stuckFollower(server.url, bigRun);
    // Closed before all of the run's 10 MB reached it.
    expect(await readAfter(socket, 5 * STALL_MS)).toEqual({ closed: true, whole: false });
  });

  it('is left alone while it reads, however slowly', async () => {
    const response = await fetch(`${server.url}/v1/runs/${bigRun}/events`);
    const reader = response.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      // Slower than the limit per read would allow if a read were not progress.
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(text).toContain('event: run.ended');
  });

  it('is left alone on a stream that is only quiet', async () => {
    const quiet = ((await (await postJson(`${server.url}/v1/runs`, { plan: { tasks: [{ id: 's', agent: 'slow' }] } })).json()) as { runId: string }).runId;
    const socket = await stuckFollower(server.url, quiet);
    expect(await readAfter(socket, 5 * STALL_MS)).toEqual({ closed: false, whole: false });
  });
});

describe('closeStalledWrites', () => {
  it('leaves a reader alone that takes one large write slowly: each part of it written is progress', async () => {
    const size = 16 * 1024 * 1024;
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
      res.end(Buffer.alloc(size, 120));
    });
    // The kernel takes more from libuv only once a third or so of the socket's send buffer is free
    // (~1 MB on loopback here, ~0.5 s at this pace): progress is seen in steps that large.
    const stop = closeStalledWrites(server, 2_000);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      let received = 0;
      // A pause of 25 ms after each chunk (at most 64 KiB), ~2.6 MB/s: the one write takes ~5 s,
      // longer than the limit.
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        socket.pause();
        setTimeout(() => socket.resume(), 25);
      });
      const closedBy = await new Promise<string>((resolve) => {
        socket.once('close', () => resolve('closed'));
        socket.once('error', () => resolve('error'));
      });
      expect(closedBy).toBe('closed');
      expect(received).toBeGreaterThan(size);
    } finally {
      stop();
      await new Promise((r) => server.close(r));
    }
  });
});
