import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, isLoopbackHost } from '../src/index.ts';
import { createOrchestrator } from '../../core/src/create-orchestrator.ts';
import { BatonError } from '../../core/src/core/errors.ts';
import type { RunResult } from '../../core/src/core/types.ts';
import { defaultAgents, postJson, startRun, startTestServer, waitForEnd } from './support.ts';
import type { TestServer } from './support.ts';

type ErrorBody = { error: { code: string; message: string } };

describe('HTTP API', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ limits: { maxGoalLength: 200, maxBodyBytes: 2048 } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('starts a run with 202 at once, then serves its RunResult', async () => {
    const res = await postJson(`${t.url}/v1/runs`, { goal: 'make a report' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { runId: string; status: string; links: { self: string } };
    expect(body.runId).toMatch(/^r_/);
    expect(body.status).toBe('running');
    expect(res.headers.get('location')).toBe(`/v1/runs/${body.runId}`);
    // Readable immediately after the 202.
    const early = await fetch(`${t.url}${body.links.self}`);
    expect(early.status).toBe(200);
    const final = (await waitForEnd(t.url, body.runId)) as unknown as RunResult;
    expect(final.status).toBe('succeeded');
    expect(final.plan.tasks.map((x) => x.agent)).toEqual(['extract', 'report']);
    expect(final.deliverable.artifacts['report']).toEqual({ from: [1, 2, 3] });
  });

  it('lists runs newest first, in pages', async () => {
    for (let i = 0; i < 3; i++) await waitForEnd(t.url, await startRun(t.url, `report number ${i}`));
    const first = (await (await fetch(`${t.url}/v1/runs?limit=2`)).json()) as { runs: { runId: string; goal: string }[]; next?: string };
    expect(first.runs).toHaveLength(2);
    expect(first.runs[0]?.goal).toBe('report number 2');
    expect(first.next).toBe(first.runs[1]?.runId);
    const second = (await (await fetch(`${t.url}/v1/runs?limit=2&before=${first.next}`)).json()) as { runs: { goal: string }[] };
    expect(second.runs[0]?.goal).toBe('report number 0');
    const succeeded = (await (await fetch(`${t.url}/v1/runs?status=failed`)).json()) as { runs: unknown[] };
    expect(succeeded.runs).toEqual([]);
    const bad = await fetch(`${t.url}/v1/runs?limit=0`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error.code).toBe('BAD_REQUEST');
  });

  it('lists the agents without their internals', async () => {
    const body = (await (await fetch(`${t.url}/v1/agents`)).json()) as { orchestrator: { name: string }; agents: Record<string, unknown>[] };
    expect(body.orchestrator.name).toBe('test-orchestrator');
    expect(body.agents.map((a) => a['name'])).toEqual(['extract', 'report']);
    expect(body.agents[1]).toMatchObject({ consumes: ['rows'], produces: ['report'], kind: 'code' });
    expect(body.agents[0]).not.toHaveProperty('module');
  });

  it('serves the OpenAPI document and the dashboard', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown>; components: { schemas: { CreateRun: { properties: { goal: { maxLength: number } } } } } };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/runs', '/v1/runs/{id}', '/v1/runs/{id}/events', '/v1/runs/{id}/cancel', '/v1/agents']));
    expect(doc.components.schemas.CreateRun.properties.goal.maxLength).toBe(200);
    const page = await fetch(`${t.url}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('/assets/app.js');
    expect((await fetch(`${t.url}/assets/app.js`)).status).toBe(200);
    expect((await fetch(`${t.url}/assets/nope.js`)).status).toBe(404);
  });

  it('rejects bad bodies with a stable code and a message that says what to send', async () => {
    const cases: { init: RequestInit; status: number; code: string; says: string }[] = [
      { init: { body: '{"goal":"x"}', headers: { 'content-type': 'text/plain' } }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', says: 'application/json' },
      { init: { body: '{"goal":', headers: { 'content-type': 'application/json' } }, status: 400, code: 'BAD_REQUEST', says: 'not valid JSON' },
      { init: { body: '{}', headers: { 'content-type': 'application/json' } }, status: 400, code: 'BAD_REQUEST', says: 'goal' },
      { init: { body: '{"goal":"   "}', headers: { 'content-type': 'application/json' } }, status: 400, code: 'BAD_REQUEST', says: 'must not be empty' },
      { init: { body: '{"goal":42}', headers: { 'content-type': 'application/json' } }, status: 400, code: 'BAD_REQUEST', says: 'goal must be a string' },
      { init: { body: '{"goal":"x","extra":1}', headers: { 'content-type': 'application/json' } }, status: 400, code: 'BAD_REQUEST', says: 'extra' },
      { init: { body: JSON.stringify({ goal: 'g'.repeat(201) }), headers: { 'content-type': 'application/json' } }, status: 400, code: 'BAD_REQUEST', says: 'at most 200 characters' },
      { init: { body: JSON.stringify({ goal: 'g'.repeat(3000) }), headers: { 'content-type': 'application/json' } }, status: 413, code: 'PAYLOAD_TOO_LARGE', says: '2048 bytes' },
      { init: { body: '{"goal":"x"}', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', says: 'Content-Encoding gzip is not accepted' },
      { init: { body: '{"goal":"x"}', headers: { 'content-type': 'application/json; charset=latin1' } }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', says: 'charset latin1 is not accepted' },
    ];
    for (const c of cases) {
      const res = await fetch(`${t.url}/v1/runs`, { method: 'POST', ...c.init });
      const body = (await res.json()) as ErrorBody;
      expect({ status: res.status, code: body.error.code }).toEqual({ status: c.status, code: c.code });
      expect(body.error.message).toContain(c.says);
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
    }
  });

  it('answers 404 RUN_NOT_FOUND for unknown run ids on every route', async () => {
    const routes: [string, string][] = [
      ['GET', '/v1/runs/r_missing'],
      ['GET', '/v1/runs/r_missing/events'],
      ['POST', '/v1/runs/r_missing/cancel'],
      ['GET', '/v1/runs/r_missing/files'],
      ['GET', `/v1/runs/${encodeURIComponent('bad id!')}`],
    ];
    for (const [method, route] of routes) {
      const res = await fetch(`${t.url}${route}`, { method });
      expect(res.status, route).toBe(404);
      expect(((await res.json()) as ErrorBody).error.code).toBe('RUN_NOT_FOUND');
    }
    const other = await fetch(`${t.url}/v1/nothing-here`);
    expect(other.status).toBe(404);
    expect(((await other.json()) as ErrorBody).error.code).toBe('NOT_FOUND');
  });

  it("serves a run's files read-only and refuses paths that leave the run folder", async () => {
    const runId = await startRun(t.url, 'make a report');
    await waitForEnd(t.url, runId);
    const dir = path.join(t.dataDir, 'runs', runId);
    await mkdir(path.join(dir, 'charts'), { recursive: true });
    await writeFile(path.join(dir, 'report.html'), '<h1>Report</h1>');
    await writeFile(path.join(dir, 'charts', 'a.svg'), '<svg/>');
    await writeFile(path.join(t.dataDir, 'secret.txt'), 'TOP-SECRET-CONTENT');
    const list = (await (await fetch(`${t.url}/v1/runs/${runId}/files`)).json()) as { files: { name: string; url: string }[] };
    expect(list.files.map((f) => f.name)).toEqual(['charts/a.svg', 'deliverable.json', 'deliverable.md', 'report.html', 'run.json']);
    const report = await fetch(`${t.url}${list.files.find((f) => f.name === 'report.html')?.url}`);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toContain('text/html');
    expect(report.headers.get('content-security-policy')).toMatch(/^sandbox;/);
    expect(await report.text()).toBe('<h1>Report</h1>');
    expect((await fetch(`${t.url}/v1/runs/${runId}/files/charts/a.svg`)).status).toBe(200);
    for (const evil of ['..%2F..%2Fsecret.txt', '%2E%2E/%2E%2E/secret.txt', 'charts/..%2F..%2F..%2Fsecret.txt', '%2Fetc%2Fpasswd', 'charts', 'nope.txt']) {
      const res = await fetch(`${t.url}/v1/runs/${runId}/files/${evil}`);
      expect(res.status, evil).toBe(404);
      expect(await res.text()).not.toContain('TOP-SECRET-CONTENT');
    }
  });

  it('reports unexpected failures as INTERNAL without a stack trace', async () => {
    const broken = await startTestServer();
    try {
      // A store that throws stands in for any bug below the API.
      Object.assign(broken.server.orchestrator.store, {
        listRuns: () => Promise.reject(new Error('boom at /secret/path/store.ts:12')),
      });
      const res = await fetch(`${broken.url}/v1/runs`);
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', message: expect.stringContaining('logged on the server') } });
      expect(text).not.toContain('boom');
      // A run the journal refuses is not reported as started.
      const diskFull = (): Promise<never> => Promise.reject(new Error('disk full'));
      Object.assign(broken.server.orchestrator.store, { createRun: diskFull, createRunWithEvents: diskFull });
      const post = await postJson(`${broken.url}/v1/runs`, { goal: 'make a report' });
      expect(post.status).toBe(500);
      expect(((await post.json()) as ErrorBody).error.code).toBe('INTERNAL');
    } finally {
      await broken.close();
    }
  });

  it('says which port is taken when it cannot listen', async () => {
    const port = Number(new URL(t.url).port);
    const attempt = createServer({ orchestrator: createOrchestrator({ name: 'x', agents: defaultAgents() }), port, telemetry: false });
    await expect(attempt).rejects.toThrow(`cannot listen on 127.0.0.1:${port}: it is already in use`);
  });

  it('refuses to bind a non-loopback address without a token', async () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
    const saved = process.env['BATON_API_TOKEN'];
    delete process.env['BATON_API_TOKEN'];
    try {
      const attempt = createServer({ orchestrator: createOrchestrator({ name: 'x', agents: defaultAgents() }), host: '0.0.0.0', port: 0, telemetry: false });
      await expect(attempt).rejects.toSatisfy((e: unknown) => BatonError.isInstance(e) && e.code === 'BAD_REQUEST' && /BATON_API_TOKEN/.test(e.message));
    } finally {
      if (saved !== undefined) process.env['BATON_API_TOKEN'] = saved;
    }
  });
});
