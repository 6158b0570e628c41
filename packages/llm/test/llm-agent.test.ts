import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLlmAgentFactory } from '../src/llm-agent.ts';
import { AgentRegistry } from '../../core/src/agents/registry.ts';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { StaticPlanner } from '../../core/src/planning/static-planner.ts';
import { ScriptedModel } from '../src/testing/index.ts';
import { pricerSpec, SHOP_SERVER, singleTaskManifest } from './helpers.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'baton-llm-agent-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const quotePlan = { tasks: [{ id: 't1-price-quote', title: 'Price the quote', instructions: 'Price two widgets', agent: 'pricer', dependsOn: [], consumes: [], produces: ['quote'] }], requested: ['quote'] };

describe('llm agent', () => {
  it('calls a tool of a real stdio MCP server in its loop and returns schema-checked output', async () => {
    const log = path.join(tmp, 'calls-1.log');
    const model = new ScriptedModel([
      { toolCalls: [{ name: 'lookup_price', input: { product: 'widget' } }], usage: { inputTokens: 100, outputTokens: 10 } },
      {
        json: { quote: { total: 25 } },
        usage: { inputTokens: 150, outputTokens: 12 },
        expect: (call) => {
          expect(call.transcript).toContain('[tool-result lookup_price');
          expect(call.transcript).toMatch(/<data name=\\?"shop.lookup_price\\?">[^<]*price\W+12\.5/);
        },
      },
    ]);
    const registry = new AgentRegistry().register('llm', createLlmAgentFactory({ resolveModel: model.resolver() }));
    const orch = new Orchestrator({ manifest: singleTaskManifest(pricerSpec(log)), registry, planner: new StaticPlanner(quotePlan) });
    const result = await orch.run('a quote for two widgets');
    await orch.close();

    expect(result.tasks[0]?.attempts[0]?.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(result.deliverable.artifacts.quote).toEqual({ total: 25 });
    expect(model.calls[0]?.tools.sort()).toEqual(['delete_everything', 'lookup_price']);
    expect(model.calls[0]?.system).toContain('Always look prices up');
    expect(readFileSync(log, 'utf8')).toBe('lookup_price widget\n');
    const usage = { llmCalls: 2, inputTokens: 250, outputTokens: 22 };
    expect(result.usage).toEqual(usage);
    expect(result.tasks[0]?.usage).toEqual(usage);
    expect(result.tasks[0]?.attempts[0]?.usage).toEqual(usage);
    model.assertAllConsumed();
  });

  it('starts an MCP server again for the next attempt when it exited mid-call', async () => {
    const log = path.join(tmp, 'calls-exit.log');
    const marker = path.join(tmp, 'exited-once');
    const lookup = { toolCalls: [{ name: 'lookup_price', input: { product: 'widget' } }] };
    const model = new ScriptedModel([
      lookup,
      { json: { quote: { total: 'unknown' } } },
      lookup,
      {
        json: { quote: { total: 25 } },
        expect: (call) => expect(call.transcript).toMatch(/<data name=\\?"shop.lookup_price\\?">[^<]*price\W+12\.5/),
      },
    ]);
    const registry = new AgentRegistry().register('llm', createLlmAgentFactory({ resolveModel: model.resolver() }));
    const spec = pricerSpec(log, { retries: 1 });
    spec.tools = [{ kind: 'mcp', name: 'shop', command: ['node', '--import', 'tsx', SHOP_SERVER], env: { SHOP_MCP_LOG: log, SHOP_MCP_EXIT_ONCE: marker } }];
    const orch = new Orchestrator({ manifest: singleTaskManifest(spec), registry, planner: new StaticPlanner(quotePlan) });
    const result = await orch.run('a quote for two widgets');
    await orch.close();

    expect(result.status).toBe('succeeded');
    expect(result.tasks[0]?.attempts.map((a) => a.status)).toEqual(['invalid', 'succeeded']);
    expect(readFileSync(log, 'utf8')).toBe('lookup_price widget\nlookup_price widget\n');
    model.assertAllConsumed();
  });

  it('opens a new session for the next attempt when a streamable HTTP server forgot its session (404)', async () => {
    // The SDK does not start a new session on a 404: every later call, attempt after attempt, got the same 404.
    const shop = await statefulShop();
    try {
      const lookup = { toolCalls: [{ name: 'lookup_price', input: { product: 'widget' } }] };
      const priced = /<data name=\\?"shop.lookup_price\\?">[^<]*price\W+12\.5/;
      const model = new ScriptedModel([
        lookup,
        { json: { quote: { total: 25 } }, expect: (call) => expect(call.transcript).toMatch(priced) },
        lookup,
        { json: { quote: { total: 'unknown' } }, expect: (call) => expect(call.transcript).toMatch(/no longer knows this session/) },
        lookup,
        { json: { quote: { total: 25 } }, expect: (call) => expect(call.transcript).toMatch(priced) },
      ]);
      const registry = new AgentRegistry().register('llm', createLlmAgentFactory({ resolveModel: model.resolver() }));
      const spec = pricerSpec('', { retries: 1, tools: [{ kind: 'mcp', name: 'shop', url: shop.url }] });
      const orch = new Orchestrator({ manifest: singleTaskManifest(spec), registry, planner: new StaticPlanner(quotePlan) });
      try {
        expect((await orch.run('a quote for two widgets')).status).toBe('succeeded');
        shop.forget();
        const result = await orch.run('a quote for two widgets');
        expect(result.tasks[0]?.attempts.map((a) => a.status)).toEqual(['invalid', 'succeeded']);
        expect(result.status).toBe('succeeded');
      } finally {
        await orch.close();
      }
      model.assertAllConsumed();
      expect(shop.initialized()).toBe(2);
    } finally {
      await shop.close();
    }
  });

  it("waits for a tool as long as the attempt's timeout allows, past the MCP SDK's 60 s default", { timeout: 120_000 }, async () => {
    // The SDK gives up on a request after 60 s unless told otherwise: a tool that takes 62 s failed
    // with "Request timed out" in an attempt allowed 90 s, every attempt.
    const shop = await statefulShop({ answerAfterMs: 62_000 });
    try {
      const model = new ScriptedModel([
        { toolCalls: [{ name: 'lookup_price', input: { product: 'widget' } }] },
        { json: { quote: { total: 25 } }, expect: (call) => expect(call.transcript).toMatch(/<data name=\\?"shop.lookup_price\\?">[^<]*price\W+12\.5/) },
      ]);
      const registry = new AgentRegistry().register('llm', createLlmAgentFactory({ resolveModel: model.resolver() }));
      const spec = pricerSpec('', { timeoutMs: 90_000, tools: [{ kind: 'mcp', name: 'shop', url: shop.url }] });
      const orch = new Orchestrator({ manifest: singleTaskManifest(spec), registry, planner: new StaticPlanner(quotePlan) });
      const result = await orch.run('a quote for two widgets');
      await orch.close();
      expect(result.tasks[0]?.attempts[0]?.error).toBeUndefined();
      expect(result.status).toBe('succeeded');
      model.assertAllConsumed();
    } finally {
      await shop.close();
    }
  });

  it('names the MCP server that never answers initialize in each timed-out attempt', async () => {
    const model = new ScriptedModel([]);
    const registry = new AgentRegistry().register('llm', createLlmAgentFactory({ resolveModel: model.resolver() }));
    const silent = { kind: 'mcp' as const, name: 'silent', command: ['node', '-e', 'setInterval(() => {}, 60_000)'] };
    const spec = pricerSpec('', { tools: [silent], timeoutMs: 800, retries: 1 });
    const orch = new Orchestrator({ manifest: singleTaskManifest(spec), registry, planner: new StaticPlanner(quotePlan) });
    const result = await orch.run('a quote');
    await orch.close();

    const attempts = result.tasks[0]?.attempts ?? [];
    expect(attempts.map((a) => a.status)).toEqual(['timeout', 'timeout']);
    for (const a of attempts) expect(a.error).toMatch(/^agents\.pricer\.tools\[0\]: MCP server 'silent' did not answer initialize within \d+ ms/);
    expect(model.calls).toHaveLength(0);
  });

  it('only offers the tools listed in allow', async () => {
    const log = path.join(tmp, 'calls-2.log');
    const model = new ScriptedModel([{ json: { quote: { total: 1 } } }]);
    const registry = new AgentRegistry().register('llm', createLlmAgentFactory({ resolveModel: model.resolver() }));
    const spec = pricerSpec(log);
    spec.tools = [{ kind: 'mcp', name: 'shop', command: ['node', '--import', 'tsx', SHOP_SERVER], env: { SHOP_MCP_LOG: log }, allow: ['lookup_price'] }];
    const orch = new Orchestrator({ manifest: singleTaskManifest(spec), registry, planner: new StaticPlanner(quotePlan) });
    const result = await orch.run('a quote');
    await orch.close();
    expect(result.status).toBe('succeeded');
    expect(model.calls[0]?.tools).toEqual(['lookup_price']);
  });

  it('sends schema problems back as feedback and succeeds on the next attempt', async () => {
    const model = new ScriptedModel([
      { json: { quote: { total: 'twenty-five' } } },
      { json: { quote: { total: 25 } }, expect: (call) => expect(call.transcript).toMatch(/previous reply was rejected[\s\S]*<data name="feedback">[\s\S]*total/) },
    ]);
    const registry = new AgentRegistry().register('llm', createLlmAgentFactory({ resolveModel: model.resolver() }));
    const manifest = singleTaskManifest(pricerSpec('', { tools: [{ kind: 'builtin', name: 'calculator' }] }));
    manifest.orchestrator.policy.retries = 1;
    const orch = new Orchestrator({ manifest, registry, planner: new StaticPlanner(quotePlan) });
    const result = await orch.run('a quote');
    await orch.close();
    expect(result.status).toBe('succeeded');
    expect(result.tasks[0]?.attempts.map((a) => a.status)).toEqual(['invalid', 'succeeded']);
    expect(model.calls[0]?.tools).toEqual(['calculator']);
    model.assertAllConsumed();
  });

  it('names the missing environment variable when the model has no key', async () => {
    const spec = pricerSpec('', { model: 'anthropic:claude-3-5-haiku-latest', tools: [] });
    const orch = new Orchestrator({ manifest: singleTaskManifest(spec), planner: new StaticPlanner(quotePlan) });
    const saved = process.env.ANTHROPIC_API_KEY;
    delete process.env.ANTHROPIC_API_KEY;
    try {
      const result = await orch.run('a quote');
      expect(result.status).toBe('failed');
      expect(result.tasks[0]?.attempts[0]?.error).toMatch(/needs the environment variable ANTHROPIC_API_KEY/);
    } finally {
      if (saved !== undefined) process.env.ANTHROPIC_API_KEY = saved;
      await orch.close();
    }
  });
});

/**
 * A stateful MCP server over streamable HTTP (the SDK's transport, one per session) with a
 * `lookup_price` tool (answering after `answerAfterMs`); `forget()` drops its sessions, as a server whose sessions expired does: it
 * then answers 404 to their requests.
 */
async function statefulShop(options: { answerAfterMs?: number } = {}): Promise<{ url: string; forget(): void; initialized(): number; close(): Promise<void> }> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let initialized = 0;
  const server = createServer((req, res) => {
    void (async () => {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      const message = body ? (JSON.parse(body) as { id?: unknown }) : undefined;
      const sid = req.headers['mcp-session-id'];
      if (typeof sid === 'string') {
        const known = sessions.get(sid);
        if (!known) return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: message?.id ?? null, error: { code: -32001, message: 'Session not found' } }));
        return known.handleRequest(req, res, message);
      }
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          initialized++;
          sessions.set(id, transport);
        },
      });
      const mcp = new McpServer({ name: 'shop', version: '1.0.0' });
      mcp.registerTool('lookup_price', { description: 'Price of a product', inputSchema: { product: z.string() } }, async ({ product }) => {
        if (options.answerAfterMs) await new Promise((r) => setTimeout(r, options.answerAfterMs));
        return { content: [{ type: 'text', text: JSON.stringify({ product, price: 12.5 }) }] };
      });
      await mcp.connect(transport);
      await transport.handleRequest(req, res, message);
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    forget: () => sessions.clear(),
    initialized: () => initialized,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
