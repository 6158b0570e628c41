import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerToken, runFilesKey, sameSecret } from '../src/auth.ts';
import { eventsOf, postJson, readSse, startRun, startTestServer, waitForEnd } from './support.ts';
import type { TestServer } from './support.ts';

const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('bearer token', () => {
  it('compares secrets exactly', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(bearerToken('Bearer xyz')).toBe('xyz');
    expect(bearerToken('bearer   xyz ')).toBe('xyz');
    expect(bearerToken('Basic xyz')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('API with BATON_API_TOKEN', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ token: TOKEN });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses every /v1 call without the right token', async () => {
    const calls: [string, string][] = [
      ['GET', '/v1/runs'],
      ['POST', '/v1/runs'],
      ['GET', '/v1/runs/r_x'],
      ['GET', '/v1/runs/r_x/events'],
      ['POST', '/v1/runs/r_x/cancel'],
      ['GET', '/v1/agents'],
      ['GET', '/v1/runs/r_x/files/report.html'],
    ];
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }]) {
      for (const [method, route] of calls) {
        const res = await fetch(`${t.url}${route}`, { method, headers });
        expect(res.status, `${method} ${route} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toContain('Bearer');
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
      }
    }
  });

  it('accepts the token; the dashboard, OpenAPI and health stay open', async () => {
    expect((await fetch(`${t.url}/v1/agents`, { headers: auth })).status).toBe(200);
    const runId = await startRun(t.url, 'make a report', auth);
    const events = eventsOf(await readSse(await fetch(`${t.url}/v1/runs/${runId}/events`, { headers: auth })));
    expect(events.at(-1)?.type).toBe('run.ended');
    expect((await fetch(`${t.url}/`)).status).toBe(200);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { security: unknown[] };
    expect(doc.security).toEqual([{ bearer: [] }]);
  });

  it('answers 401, not 500, to malformed run ids in file paths', async () => {
    const res = await fetch(`${t.url}/v1/runs/%ZZ/files/report.html?key=abc`);
    expect(res.status).toBe(401);
  });

  it("opens one run's files with its derived key, and nothing else", async () => {
    const a = await startRun(t.url, 'make a report', auth);
    const b = await startRun(t.url, 'make another report', auth);
    await waitForEnd(t.url, a, auth);
    await waitForEnd(t.url, b, auth);
    const list = (await (await fetch(`${t.url}/v1/runs/${a}/files`, { headers: auth })).json()) as { files: { name: string; url: string }[] };
    const runJson = list.files.find((f) => f.name === 'run.json');
    expect(runJson?.url).toContain(`?key=${runFilesKey(TOKEN, a)}`);
    expect((await fetch(`${t.url}${runJson?.url}`)).status).toBe(200);
    // The key of run a neither opens run b's files nor the rest of the API.
    expect((await fetch(`${t.url}/v1/runs/${b}/files/run.json?key=${runFilesKey(TOKEN, a)}`)).status).toBe(401);
    expect((await fetch(`${t.url}/v1/runs/${a}?key=${runFilesKey(TOKEN, a)}`)).status).toBe(401);
    expect((await fetch(`${t.url}/v1/runs/${a}/files?key=${runFilesKey(TOKEN, a)}`)).status).toBe(401);
  });

  it('guards the A2A endpoint too, but not its agent card', async () => {
    const rpc = { jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'nope' } };
    const v1 = { 'A2A-Version': '1.0' };
    expect((await postJson(`${t.url}/a2a`, rpc, v1)).status).toBe(401);
    const card = (await (await fetch(`${t.url}/.well-known/agent-card.json`)).json()) as { securitySchemes: Record<string, unknown> };
    expect(Object.keys(card.securitySchemes)).toEqual(['bearer']);
    expect((await postJson(`${t.url}/a2a`, rpc, { ...auth, ...v1 })).status).not.toBe(401);
  });
});
