import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatonError } from '../../core/src/core/errors.ts';
import { hostAllowed, parseAllowedHosts } from '../src/host-check.ts';
import { rawRequest } from './raw-http.ts';
import { baton, SAMPLE_MANIFEST, servedUrl } from './serve-process.ts';
import { startTestServer } from './support.ts';
import type { TestServer } from './support.ts';

const TOKEN = 'host-check-token-0123456789';
const RPC = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'nope' } });

/** Every kind of route: API, dashboard and its assets, OpenAPI, health, A2A and its card. */
const ROUTES: { method: string; path: string; body?: string }[] = [
  { method: 'GET', path: '/v1/agents' },
  { method: 'GET', path: '/v1/runs' },
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/assets/app.js' },
  { method: 'GET', path: '/openapi.json' },
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/.well-known/agent-card.json' },
  { method: 'POST', path: '/a2a', body: RPC },
];

function call(base: string, route: { method: string; path: string; body?: string }, host: string, headers: Record<string, string> = {}) {
  return rawRequest(base, {
    method: route.method,
    path: route.path,
    headers: { host, 'content-type': 'application/json', 'a2a-version': '1.0', ...headers },
    ...(route.body ? { body: Buffer.from(route.body) } : {}),
  });
}

describe('which Host names a server without a token answers', () => {
  it('loopback names, with or without a port', () => {
    for (const h of ['localhost', 'localhost:8080', 'LOCALHOST', 'app.localhost:3000', 'localhost.', '127.0.0.1', '127.0.0.1:80', '127.9.8.7', '[::1]', '[::1]:8080']) {
      expect(hostAllowed(h, []), h).toBe(true);
    }
  });

  it('nothing else: other names, addresses, look-alikes and malformed headers', () => {
    for (const h of [undefined, '', 'evil.example', 'evil.example:8080', 'localhost.evil.example', '127.0.0.1.nip.io', '192.168.1.20', '0.0.0.0', '[::2]', 'user@localhost', 'localhost:80:80', 'localhost/x', '::1']) {
      expect(hostAllowed(h, []), String(h)).toBe(false);
    }
  });

  it('the names added for a reverse proxy; a leading dot allows the names under it', () => {
    const extra = parseAllowedHosts('baton.example.com, .corp.example ,10.0.0.5');
    expect(extra).toEqual(['baton.example.com', '.corp.example', '10.0.0.5']);
    for (const h of ['baton.example.com', 'Baton.Example.com:443', 'corp.example', 'a.b.corp.example:8080', '10.0.0.5:8080']) expect(hostAllowed(h, extra), h).toBe(true);
    for (const h of ['example.com', 'evilcorp.example', 'baton.example.com.evil', '10.0.0.6']) expect(hostAllowed(h, extra), h).toBe(false);
  });

  it('refuses entries that are not host names', () => {
    for (const bad of ['http://baton.example.com', 'baton.example.com:8080', 'baton.example.com/x', 'a b', '*']) {
      expect(() => parseAllowedHosts(bad, '--allowed-hosts'), bad).toThrow(/--allowed-hosts: .* is not a host name/);
    }
    expect(() => parseAllowedHosts('x:1')).toThrow(BatonError);
  });
});

describe('a server without a token, against DNS rebinding', () => {
  let t: TestServer;
  let proxied: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    proxied = await startTestServer({ allowedHosts: ['baton.example.com'] });
  });
  afterAll(async () => {
    await Promise.all([t.close(), proxied.close()]);
  });

  it('answers 403 with a reason to every route addressed to another name', async () => {
    for (const route of ROUTES) {
      const a = await call(t.url, route, 'rebind.attacker.example:8080');
      expect(a.status, `${route.method} ${route.path}`).toBe(403);
      const error = (JSON.parse(a.body) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('HOST_NOT_ALLOWED');
      expect(error.message).toMatch(/rebind\.attacker\.example.*loopback.*--allowed-hosts.*BATON_API_TOKEN/);
    }
  });

  it('answers 403 in JSON to a Host the HTTP layer cannot read: empty, an address it rejects, user info', async () => {
    for (const host of ['', 'evil.com@127.0.0.1']) {
      const a = await call(t.url, { method: 'GET', path: '/healthz' }, host);
      expect(a.status, JSON.stringify(host)).toBe(403);
      expect(a.headers['content-type']).toContain('application/json');
      const error = (JSON.parse(a.body) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('HOST_NOT_ALLOWED');
      expect(error.message).toMatch(/Host header is missing or not a host name.*loopback/);
    }
    const malformed = await call(t.url, { method: 'GET', path: '/healthz' }, '[::ffff:127.0.0.1');
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body)).toMatchObject({ error: { code: 'BAD_REQUEST', message: expect.stringContaining('the request cannot be read') as unknown } });
  });

  it('serves every route addressed to a loopback name', async () => {
    const port = new URL(t.url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, 'localhost']) {
      for (const route of ROUTES) expect((await call(t.url, route, host)).status, `${host} ${route.path}`).toBeLessThan(300);
    }
  });

  it('serves the names given with allowedHosts, and still refuses the rest', async () => {
    expect((await call(proxied.url, ROUTES[0]!, 'baton.example.com')).status).toBe(200);
    expect((await call(proxied.url, ROUTES[0]!, 'other.example.com')).status).toBe(403);
  });
});

describe('a server without a token, against requests a page on another site makes a browser send', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ allowedHosts: ['baton.example.com'] });
  });
  afterAll(async () => {
    await t.close();
  });
  const host = (): string => new URL(t.url).host;
  const START = { method: 'POST', path: '/v1/runs', body: JSON.stringify({ goal: 'make a report' }) };

  it('refuses what changes something when the Origin is another site, null, or Sec-Fetch-Site says cross-site', async () => {
    const a2aWithoutType = rawRequest(t.url, { method: 'POST', path: '/a2a', headers: { host: host(), origin: 'https://evil.example' }, body: Buffer.from(RPC) });
    const answers = [
      await call(t.url, START, host(), { origin: 'https://evil.example' }),
      await call(t.url, START, host(), { origin: 'null' }),
      await call(t.url, { method: 'POST', path: '/v1/runs/r_nope/cancel' }, host(), { 'sec-fetch-site': 'cross-site' }),
      await call(t.url, { method: 'POST', path: '/v1/runs/r_nope/approve' }, host(), { origin: 'http://127.0.0.1.evil.example:8080' }),
      await a2aWithoutType,
    ];
    for (const a of answers) {
      expect(a.status).toBe(403);
      const error = (JSON.parse(a.body) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('CROSS_SITE_REQUEST');
      expect(error.message).toMatch(/is not served: without BATON_API_TOKEN.*set BATON_API_TOKEN/);
    }
  });

  it('serves its own pages and allowed hosts (same-origin), programs (no Origin), and reads from anywhere', async () => {
    expect((await call(t.url, START, host(), { origin: t.url, 'sec-fetch-site': 'same-origin' })).status).toBe(202);
    expect((await call(t.url, START, host(), { origin: 'https://baton.example.com' })).status).toBe(202);
    expect((await call(t.url, START, host())).status).toBe(202);
    expect((await call(t.url, { method: 'GET', path: '/v1/runs' }, host(), { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).status).toBe(200);
  });
});

describe('a server with a token', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ token: TOKEN });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers any Host and any Origin (the token is what guards it: a browser cannot send it for a page on another site)', async () => {
    for (const route of ROUTES) {
      const a = await call(t.url, route, 'baton.anywhere.example', { authorization: `Bearer ${TOKEN}`, origin: 'https://app.anywhere.example' });
      expect(a.status, route.path).toBeLessThan(300);
    }
  });
});

describe('baton serve --allowed-hosts', () => {
  it('serves the listed names and refuses the others', async () => {
    const p = baton(['serve', '-m', SAMPLE_MANIFEST, '--port', '0', '--store', 'memory', '--allowed-hosts', 'proxy.example.org'], { BATON_API_TOKEN: undefined, BATON_ALLOWED_HOSTS: undefined, OTEL_EXPORTER_OTLP_ENDPOINT: undefined });
    try {
      const url = await servedUrl(p);
      expect((await call(url, ROUTES[0]!, 'proxy.example.org')).status).toBe(200);
      expect((await call(url, ROUTES[0]!, 'evil.example.org')).status).toBe(403);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  });

  it('reads BATON_ALLOWED_HOSTS, and refuses an entry that is not a host name (exit 64)', async () => {
    const ok = baton(['serve', '-m', SAMPLE_MANIFEST, '--port', '0', '--store', 'memory'], { BATON_API_TOKEN: undefined, BATON_ALLOWED_HOSTS: 'env.example.org', OTEL_EXPORTER_OTLP_ENDPOINT: undefined });
    try {
      const url = await servedUrl(ok);
      expect((await call(url, ROUTES[0]!, 'env.example.org')).status).toBe(200);
    } finally {
      ok.child.kill('SIGTERM');
      await ok.exited;
    }
    const bad = baton(['serve', '-m', SAMPLE_MANIFEST, '--port', '0', '--store', 'memory', '--allowed-hosts', 'https://proxy.example.org'], { BATON_API_TOKEN: undefined });
    expect(await bad.exited).toBe(64);
    expect(bad.err()).toMatch(/--allowed-hosts: 'https:\/\/proxy\.example\.org' is not a host name/);
  });
});
