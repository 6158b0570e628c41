import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { AgentRegistry } from '../../core/src/agents/registry.ts';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { StaticPlanner } from '../../core/src/planning/static-planner.ts';
import { createLlmAgentFactory } from '../src/llm-agent.ts';
import { ScriptedModel } from '../src/testing/index.ts';
import type { ScriptedCall } from '../src/testing/index.ts';
import { callableNames } from '../src/tools/tool-names.ts';
import { pricerSpec, singleTaskManifest } from './helpers.ts';

/** What OpenAI accepts as a tool's name (Anthropic: the same characters, up to 128). */
const CALLABLE = /^[a-zA-Z0-9_-]{1,64}$/;

const LONG = `github.enterprise.repositories.issues.${'create_issue_with_labels_'.repeat(2)}x`;
const LONG_TWIN = `${LONG.slice(0, 70)}_y`;
/** The name {@link LONG} is given: its first 55 characters, callable, and 8 hex digits of its SHA-256. */
const LONG_CALLABLE = `${LONG.slice(0, 55).replace(/\./g, '_')}_${createHash('sha256').update(LONG).digest('hex').slice(0, 8)}`;

/**
 * An MCP server over streamable HTTP (stateless) on 127.0.0.1 whose tools have names that MCP
 * allows and models refuse; every call's tool name is recorded.
 */
async function oddlyNamedServer(names: string[]): Promise<{ url: string; called: string[]; close(): Promise<void> }> {
  const called: string[] = [];
  const server = createServer((req, res) => {
    const transport = new StreamableHTTPServerTransport({});
    res.on('close', () => void transport.close());
    // The low-level server: the high-level one warns on stderr of names with '/'.
    const mcp = new Server({ name: 'odd', version: '1.0.0' }, { capabilities: { tools: {} } });
    mcp.setRequestHandler(ListToolsRequestSchema, () => ({ tools: names.map((name) => ({ name, description: `the tool ${name}`, inputSchema: { type: 'object' as const } })) }));
    mcp.setRequestHandler(CallToolRequestSchema, (request) => {
      called.push(request.params.name);
      return { content: [{ type: 'text', text: JSON.stringify({ total: 25 }) }] };
    });
    void mcp.connect(transport).then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    called,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const quotePlan = { tasks: [{ id: 't1-price-quote', title: 'Price the quote', instructions: 'Price two widgets', agent: 'pricer', dependsOn: [], consumes: [], produces: ['quote'] }], requested: ['quote'] };

describe('tool names a model accepts', () => {
  it('keeps callable names, replaces what a model refuses, and cuts long names to 64 with a hash', () => {
    const names = callableNames(['lookup_price', 'fs/read', 'github.create_issue', 'send mail', LONG, 'a-b']);
    expect(names.get('lookup_price')).toBe('lookup_price');
    expect(names.get('a-b')).toBe('a-b');
    expect(names.get('fs/read')).toBe('fs_read');
    expect(names.get('github.create_issue')).toBe('github_create_issue');
    expect(names.get('send mail')).toBe('send_mail');
    const long = names.get(LONG)!;
    expect(long).toHaveLength(64);
    expect(long).toBe(LONG_CALLABLE);
    for (const name of names.values()) expect(name).toMatch(CALLABLE);
  });

  it('makes names unique whatever the order, a callable name staying as it is', () => {
    const originals = ['a.b', 'a_b', 'a/b', LONG, LONG_TWIN, ''];
    const names = callableNames(originals);
    expect(names.get('a_b')).toBe('a_b');
    expect(names.get('a.b')).toMatch(/^a_b_[0-9a-f]{8}$/);
    expect(names.get('a/b')).toMatch(/^a_b_[0-9a-f]{8}$/);
    expect(names.get('')).toBe('tool');
    expect(new Set(names.values()).size).toBe(originals.length);
    for (const name of names.values()) expect(name).toMatch(CALLABLE);
    expect(callableNames([...originals].reverse())).toEqual(names);
  });

  it("gives an llm agent's model callable names for an MCP server's tools, and calls the server by the tools' own names", async () => {
    const server = await oddlyNamedServer(['a.b/c', 'a_b_c', LONG, LONG_TWIN, 'lookup_price']);
    const exposed = (call: ScriptedCall, pattern: RegExp): string => {
      const found = call.tools.filter((t) => pattern.test(t));
      expect(found, `one tool matching ${pattern} in ${call.tools.join(', ')}`).toHaveLength(1);
      return found[0]!;
    };
    const model = new ScriptedModel((call) => {
      if (call.n > 1) return { json: { quote: { total: 25 } } };
      for (const name of call.tools) expect(name).toMatch(CALLABLE);
      expect(call.tools).toHaveLength(5);
      // Callable names are left as they are.
      expect(call.tools).toEqual(expect.arrayContaining(['a_b_c', 'lookup_price', LONG_CALLABLE]));
      expect(call.system).toContain(exposed(call, /^a_b_c_[0-9a-f]{8}$/));
      return {
        toolCalls: [
          { name: exposed(call, /^a_b_c_[0-9a-f]{8}$/), input: {} },
          { name: 'a_b_c', input: {} },
          { name: LONG_CALLABLE, input: {} },
        ],
      };
    });
    const registry = new AgentRegistry().register('llm', createLlmAgentFactory({ resolveModel: model.resolver() }));
    const spec = pricerSpec('', { tools: [{ kind: 'mcp', name: 'odd', url: server.url }] });
    const orch = new Orchestrator({ manifest: singleTaskManifest(spec), registry, planner: new StaticPlanner(quotePlan) });
    try {
      const result = await orch.run('a quote for two widgets');
      expect(result.tasks[0]?.attempts[0]?.error).toBeUndefined();
      expect(result.status).toBe('succeeded');
      model.assertAllConsumed();
      expect(model.calls).toHaveLength(2);
      // A result is quoted under the tool's own name (its label keeps letters, digits, '.', '_' and '-').
      expect(model.calls[1]?.transcript).toContain(`[tool-result ${LONG_CALLABLE} `);
      expect(model.calls[1]?.transcript).toContain(`odd.${LONG}`);
      expect([...server.called].sort()).toEqual(['a.b/c', 'a_b_c', LONG].sort());
    } finally {
      await orch.close();
      await server.close();
    }
  });
});
