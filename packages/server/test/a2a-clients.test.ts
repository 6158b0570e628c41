import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AGENT_CARD_PATH, AgentCard, Role } from '@a2a-js/sdk';
import { ClientFactory } from '@a2a-js/sdk/client';
import { isLegacyAgentCard, parseLegacyAgentCard } from '@a2a-js/sdk/compat/v0_3/client';
import { agentCardHandler } from '@a2a-js/sdk/server/express';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textPart } from '../src/a2a/a2a-agent.ts';
import { manifestFromObject } from '../../core/src/manifest/index.ts';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { legacyAgentCardJson, orchestratorAgentCard } from '../src/a2a/agent-card.ts';
import { startTestServer } from './support.ts';
import type { TestServer } from './support.ts';

const TOKEN = 'a2a-clients-token-0123456789';

/** A manifest whose one agent is the remote A2A agent at `url`, with `env` on it. */
function remoteManifest(url: string, env: Record<string, string> | undefined, vars: Record<string, string> = {}) {
  return manifestFromObject(
    {
      version: 1,
      orchestrator: { name: 'caller', description: 'calls a remote Baton', instructions: '', subagents: ['remote'], deliverable: [], policy: { retries: 2, taskTimeoutMs: 20_000 } },
      agents: { remote: { description: 'a remote Baton', kind: 'a2a', url, produces: ['report'], capabilities: ['report'], ...(env ? { env } : {}) } },
    },
    { baseDir: process.cwd(), env: vars },
  );
}

describe('the agent card of a server with a token', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ token: TOKEN });
  });
  afterAll(async () => {
    await t.close();
  });

  it('shows the official A2A 1.x client its Bearer scheme', async () => {
    const card = await (await new ClientFactory().createFromUrl(t.url)).getAgentCard();
    const scheme = card.securitySchemes['bearer']?.scheme;
    expect(scheme?.$case).toBe('httpAuthSecurityScheme');
    expect(scheme?.$case === 'httpAuthSecurityScheme' ? scheme.value.scheme : undefined).toBe('Bearer');
    expect(card.securityRequirements).toEqual([{ schemes: { bearer: { list: [] } } }]);
    expect(card.skills[0]?.securityRequirements).toEqual([{ schemes: { bearer: { list: [] } } }]);
  });

  it('shows 0.3 clients (no A2A-Version header) the same scheme in the 0.3 shape', async () => {
    const raw = (await (await fetch(`${t.url}/${AGENT_CARD_PATH}`)).json()) as { securitySchemes: unknown; security: unknown; url: string; protocolVersion: string };
    expect(raw).toMatchObject({ protocolVersion: '0.3', url: `${t.url}/a2a`, securitySchemes: { bearer: { type: 'http', scheme: 'Bearer' } }, security: [{ bearer: [] }] });
    // The SDK's 0.3 reading of that card (it prefers the embedded 1.x interfaces, so force the 0.3 path).
    const { supportedInterfaces: _, ...legacyOnly } = raw as Record<string, unknown>;
    expect(isLegacyAgentCard(legacyOnly)).toBe(true);
    const parsed = parseLegacyAgentCard(legacyOnly);
    expect(parsed.securitySchemes['bearer']?.scheme?.$case).toBe('httpAuthSecurityScheme');
  });

  it("writes the 0.3 card exactly as the SDK's own 0.3 card handler does", async () => {
    const card = orchestratorAgentCard(t.server.orchestrator.manifest, 'http://127.0.0.1:1/a2a', true);
    const app = express();
    app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: () => Promise.resolve(card), legacyCompat: { enabled: true } }));
    const server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const sdk = (await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/${AGENT_CARD_PATH}`)).json()) as unknown;
      expect(legacyAgentCardJson(card)).toEqual(sdk);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('a remote A2A agent that answers 401', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ token: TOKEN });
  });
  afterAll(async () => {
    await t.close();
  });

  it('fails the attempt with "401 Unauthorized from <url>" and what to set, without retrying', async () => {
    const o = new Orchestrator({ manifest: await remoteManifest(t.url, undefined) });
    const result = await o.run('produce the report');
    await o.close();
    expect(result.status).toBe('failed');
    const attempts = result.tasks[0]?.attempts ?? [];
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.error).toMatch(new RegExp(`401 Unauthorized from ${t.url}/a2a`));
    expect(attempts[0]?.error).toMatch(/env: \{ A2A_TOKEN: "\$\{[A-Z_]+\}" \}/);
    expect(attempts[0]?.error).not.toMatch(/unexpected error/i);
  });

  it('says so for any remote, whatever the body of its 401', async () => {
    // A plain server: an open card, and 401 with a body the SDK cannot read as a JSON-RPC error.
    const card = orchestratorAgentCard(t.server.orchestrator.manifest, '', false);
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === `/${AGENT_CARD_PATH}`) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(AgentCard.toJSON(card)));
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="elsewhere"' }).end('{"error":"unauthorized"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const iface of card.supportedInterfaces) iface.url = `${url}/rpc`;
    try {
      const o = new Orchestrator({ manifest: await remoteManifest(url, undefined) });
      const result = await o.run('produce the report');
      await o.close();
      const error = result.tasks[0]?.attempts[0]?.error ?? '';
      expect(error).toMatch(new RegExp(`401 Unauthorized from ${url}/rpc: it wants credentials \\(it asks for: Bearer realm="elsewhere"\\)`));
      expect(error).not.toMatch(/unexpected error/i);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('says which status any other HTTP error answer had, with its Retry-After and body, and retries it', async () => {
    // A rate limiter's JSON body with an "error" member was read by the SDK as a JSON-RPC error:
    // the attempt said only "An unexpected error occurred".
    const card = orchestratorAgentCard(t.server.orchestrator.manifest, '', false);
    let calls = 0;
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === `/${AGENT_CARD_PATH}`) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(AgentCard.toJSON(card)));
      calls++;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"slow down"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const iface of card.supportedInterfaces) iface.url = `${url}/rpc`;
    try {
      const manifest = await remoteManifest(url, undefined);
      manifest.orchestrator.policy.retries = 1;
      manifest.orchestrator.policy.backoff = { ...manifest.orchestrator.policy.backoff, initialDelayMs: 10 };
      const o = new Orchestrator({ manifest });
      const result = await o.run('produce the report');
      await o.close();
      const attempts = result.tasks[0]?.attempts ?? [];
      expect(attempts.map((a) => a.status)).toEqual(['failed', 'failed']);
      expect(calls).toBe(2);
      expect(attempts[0]?.error).toContain(`429 Too Many Requests from ${url}/rpc (Retry-After: 1): {"error":"slow down"}`);
      expect(attempts[0]?.error).not.toMatch(/unexpected error/i);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("waits the Retry-After of a busy remote (503, 429) before the retry; one that asks for longer than Baton waits is not retried", async () => {
    // The retry came after the policy's backoff (10 ms here), however long the remote asked to wait.
    const card = orchestratorAgentCard(t.server.orchestrator.manifest, '', false);
    const calls: number[] = [];
    let retryAfter = '1';
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === `/${AGENT_CARD_PATH}`) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(AgentCard.toJSON(card)));
      calls.push(Date.now());
      if (calls.length === 1 || retryAfter !== '1') return void res.writeHead(calls.length % 2 ? 503 : 429, { 'retry-after': retryAfter }).end('busy');
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const { id } = JSON.parse(body) as { id: unknown };
        const artifact = { artifactId: 'a', name: 'report', parts: [{ data: { ok: true } }] };
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`data: ${JSON.stringify({ jsonrpc: '2.0', id, result: { task: { id: 't', contextId: 'c', status: { state: 'TASK_STATE_COMPLETED' }, artifacts: [artifact] } } })}\n\n`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const iface of card.supportedInterfaces) iface.url = `${url}/rpc`;
    try {
      const manifest = await remoteManifest(url, undefined);
      manifest.orchestrator.policy.backoff = { ...manifest.orchestrator.policy.backoff, initialDelayMs: 10, maxDelayMs: 10 };
      const o = new Orchestrator({ manifest });
      const result = await o.run('produce the report');
      expect(result.status).toBe('succeeded');
      expect(calls).toHaveLength(2);
      expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(950);
      const retrying = (await o.store.readEvents(result.runId)).filter((e) => e.type === 'task.retrying');
      expect(retrying.map((e) => (e.type === 'task.retrying' ? e.delayMs : 0))).toEqual([1000]);

      calls.length = 0;
      retryAfter = '3600';
      const refused = await o.run('produce the report');
      await o.close();
      expect(calls).toHaveLength(1);
      expect(refused.tasks[0]?.attempts[0]?.error).toMatch(/503 Service Unavailable from .*\(Retry-After: 3600\): busy; it asks to be tried again in 3600 s, longer than the 60 s Baton waits/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('names the URL it could not reach and why, when the card sends calls elsewhere', async () => {
    // The attempt said only "fetch failed", next to the configured URL, not the card's.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const nowhere = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/rpc`;
    await new Promise((r) => closed.close(r));
    const card = orchestratorAgentCard(t.server.orchestrator.manifest, nowhere, false);
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === `/${AGENT_CARD_PATH}`) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(AgentCard.toJSON(card)));
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const manifest = await remoteManifest(url, undefined);
      manifest.orchestrator.policy.retries = 0;
      const o = new Orchestrator({ manifest });
      const result = await o.run('produce the report');
      await o.close();
      expect(result.tasks[0]?.attempts[0]?.error).toBe(`remote A2A agent 'remote' (${url}): cannot reach ${nowhere}: fetch failed (ECONNREFUSED: connect ECONNREFUSED ${new URL(nowhere).host})`);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('says the token was refused when one was sent', async () => {
    const o = new Orchestrator({ manifest: await remoteManifest(t.url, { A2A_TOKEN: '${REMOTE_TOKEN}' }, { REMOTE_TOKEN: 'the-wrong-token-0123456789' }) });
    const result = await o.run('produce the report');
    await o.close();
    expect(result.tasks[0]?.attempts[0]?.error).toMatch(new RegExp(`401 Unauthorized from ${t.url}/a2a: it refused the token in env\\.A2A_TOKEN`));
  });

  /** A server at its own origin that serves only an agent card whose endpoints are at `rpcUrl`. */
  async function cardElsewhere(rpcUrl: string): Promise<{ url: string; close: () => Promise<unknown> }> {
    const card = orchestratorAgentCard(t.server.orchestrator.manifest, '', false);
    for (const iface of card.supportedInterfaces) iface.url = rpcUrl;
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === `/${AGENT_CARD_PATH}`) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(AgentCard.toJSON(card)));
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
  }

  it("sends the token only to its url's origin, not to another host an agent card names", async () => {
    const seen: (string | undefined)[] = [];
    const other = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const cards = await cardElsewhere(`${otherOrigin}/rpc`);
    try {
      const o = new Orchestrator({ manifest: await remoteManifest(cards.url, { A2A_TOKEN: '${REMOTE_TOKEN}' }, { REMOTE_TOKEN: TOKEN }) });
      const result = await o.run('produce the report');
      await o.close();
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((h) => h === undefined)).toBe(true);
      expect(result.tasks[0]?.attempts[0]?.error).toContain(`401 Unauthorized from ${otherOrigin}/rpc: it wants credentials, and the token in env.A2A_TOKEN of agent 'remote' goes only to the origin of its url: if ${otherOrigin} (named by the agent card) may have it, add it to env.A2A_TOKEN_ORIGINS`);
    } finally {
      await cards.close();
      await new Promise((r) => other.close(r));
    }
  });

  it('sends the token to an origin listed in env.A2A_TOKEN_ORIGINS', async () => {
    const cards = await cardElsewhere(`${t.url}/a2a`);
    try {
      const o = new Orchestrator({ manifest: await remoteManifest(cards.url, { A2A_TOKEN: '${REMOTE_TOKEN}', A2A_TOKEN_ORIGINS: `https://example.com, ${t.url}` }, { REMOTE_TOKEN: TOKEN }) });
      const result = await o.run('produce the report');
      await o.close();
      expect(result.status).toBe('succeeded');
    } finally {
      await cards.close();
    }
  });

  it('names an entry of env.A2A_TOKEN_ORIGINS that is not an origin', async () => {
    for (const entry of ['api.example.com', 'https://api.example.com/agents/a']) {
      const o = new Orchestrator({ manifest: await remoteManifest(t.url, { A2A_TOKEN: 'x-0123456789', A2A_TOKEN_ORIGINS: entry }) });
      const result = await o.run('produce the report');
      await o.close();
      expect(result.status).toBe('failed');
      expect(result.tasks[0]?.attempts).toHaveLength(1);
      expect(result.tasks[0]?.attempts[0]?.error).toContain(`agent 'remote': env.A2A_TOKEN_ORIGINS holds '${entry}', which is not an http(s) origin`);
    }
  });

  it('works with the right token from a ${VAR} placeholder', async () => {
    const o = new Orchestrator({ manifest: await remoteManifest(t.url, { A2A_TOKEN: '${REMOTE_TOKEN}' }, { REMOTE_TOKEN: TOKEN }) });
    const result = await o.run('produce the report');
    await o.close();
    expect(result.status).toBe('succeeded');
  });
});

describe('progress sent to a streaming A2A client', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.close();
  });

  it('includes the plan ("planned N task(s)") before the tasks finish', async () => {
    const client = await new ClientFactory().createFromUrl(t.url);
    const texts: string[] = [];
    const stream = client.sendMessageStream({
      tenant: '',
      message: { messageId: 'm-plan', contextId: '', taskId: '', role: Role.ROLE_USER, parts: [textPart('produce the report')], metadata: {}, extensions: [], referenceTaskIds: [] },
      configuration: undefined,
      metadata: {},
    });
    for await (const e of stream) {
      const p = e.payload;
      if (p?.$case !== 'statusUpdate') continue;
      for (const part of p.value.status?.message?.parts ?? []) if (part.content?.$case === 'text') texts.push(part.content.value);
    }
    const planned = texts.findIndex((x) => /^planned 2 task\(s\): .*→ extract.*→ report/.test(x));
    expect(planned, texts.join(' | ')).toBeGreaterThan(-1);
    expect(texts.findIndex((x) => x.startsWith('run ') && x.endsWith(' started'))).toBeLessThan(planned);
    expect(texts.findIndex((x) => / succeeded \(/.test(x))).toBeGreaterThan(planned);
  });
});
