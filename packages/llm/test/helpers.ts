import { resolvePolicy } from '../../core/src/core/defaults.ts';
import type { Agent } from '../../core/src/core/contracts.ts';
import path from 'node:path';
import type { AgentSpec, Manifest, Plan, Policy } from '../../core/src/core/types.ts';

/** A manifest made from agents defined in code, with an orchestrator model. */
export function manifestOf(agents: Agent[], options: { model?: string; deliverable?: string[]; instructions?: string; policy?: Partial<Policy> } = {}): Manifest {
  return {
    version: 1,
    baseDir: process.cwd(),
    orchestrator: {
      name: 'reports',
      description: 'Builds business reports from company data',
      instructions: options.instructions ?? 'Break a report request into extraction, analysis and summary.',
      model: options.model ?? 'openai-compatible:test-model',
      subagents: agents.map((a) => a.spec.name),
      deliverable: options.deliverable ?? ['summary'],
      policy: resolvePolicy({ retries: 0, backoff: { initialDelayMs: 1, factor: 1, maxDelayMs: 1, jitter: 0 }, ...options.policy }),
    },
    agents: Object.fromEntries(agents.map((a) => [a.spec.name, a.spec])),
  };
}

/** The three-step sales plan, as a model would return it. */
export function salesPlan(summaryAgent = 'summary'): Plan {
  return {
    tasks: [
      { id: 't1-extract-sales-dataset', title: 'Extract Q2 sales', instructions: 'Extract Q2 2024 sales', agent: 'data', dependsOn: [], consumes: [], produces: ['sales-dataset'] },
      { id: 't2-compute-metrics', title: 'Compute metrics', instructions: 'Compute KPIs', agent: 'analytics', dependsOn: ['t1-extract-sales-dataset'], consumes: ['sales-dataset'], produces: ['metrics'] },
      { id: 't3-write-summary', title: 'Write summary', instructions: 'Summarize the quarter', agent: summaryAgent, dependsOn: ['t2-compute-metrics'], consumes: ['metrics'], produces: ['summary'] },
    ],
    requested: ['summary'],
  };
}

export const SHOP_SERVER = path.resolve(import.meta.dirname, 'fixtures/shop-mcp.ts');

export function pricerSpec(log: string, extra: Partial<AgentSpec> = {}): AgentSpec {
  return {
    name: 'pricer',
    description: 'Prices a customer quote from the shop catalogue',
    version: '1.0.0',
    capabilities: ['pricing'],
    consumes: [],
    produces: ['quote'],
    kind: 'llm',
    model: 'openai-compatible:test-model',
    instructions: 'You price quotes. Always look prices up; never guess.',
    tools: [{ kind: 'mcp', name: 'shop', command: ['node', '--import', 'tsx', SHOP_SERVER], env: { SHOP_MCP_LOG: log } }],
    output: { quote: { schema: { type: 'object', required: ['total'], properties: { total: { type: 'number' } }, additionalProperties: false } } },
    fallback: [],
    baseDir: process.cwd(),
    ...extra,
  };
}

export function singleTaskManifest(spec: AgentSpec): Manifest {
  const m = manifestOf([], { deliverable: [spec.produces[0]!] });
  m.orchestrator.subagents = [spec.name];
  m.agents = { [spec.name]: spec };
  return m;
}
