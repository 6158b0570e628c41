import { describe, expect, it } from 'vitest';
import { packagesLoadedBy } from '../../core/test/support/module-loads.ts';
import { pricerSpec } from './helpers.ts';

const MCP_SDK = '@modelcontextprotocol/sdk';

describe('importing batonjs-llm', () => {
  it('does not load the MCP SDK, which only an agent with an MCP server needs', () => {
    const loaded = packagesLoadedBy(`await import('batonjs-llm');`);
    // The probe sees the packages batonjs-llm needs: without them the check below would prove nothing.
    expect(loaded).toEqual(expect.arrayContaining(['ai', '@ai-sdk/openai']));
    expect(loaded).not.toContain(MCP_SDK);
  });

  it('does not load it for an agent whose tools are all built in', () => {
    const loaded = packagesLoadedBy(`const { openTools } = await import('batonjs-llm');
      const tools = await openTools(${JSON.stringify(pricerSpec('', { tools: [{ kind: 'builtin', name: 'calculator' }] }))});
      if (!('calculator' in tools.tools)) throw new Error('no calculator');
      await tools.close();`);
    expect(loaded).toContain('ai');
    expect(loaded).not.toContain(MCP_SDK);
  });

  it('loads it once an agent opens an MCP server', () => {
    const loaded = packagesLoadedBy(`const { openTools } = await import('batonjs-llm');
      const tools = await openTools(${JSON.stringify(pricerSpec(''))});
      if (!('lookup_price' in tools.tools)) throw new Error('the shop server offered no lookup_price');
      await tools.close();`);
    expect(loaded).toContain(MCP_SDK);
  });
});
