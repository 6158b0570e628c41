import { resolvePolicy } from '../../src/core/defaults.ts';
import type { Agent } from '../../src/core/contracts.ts';
import type { Manifest, Plan, Policy } from '../../src/core/types.ts';

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
