import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/core/types.ts';
import { candidateAgents, capableAgents } from '../../src/routing/candidate-agents.ts';
import { agent, manifest, task } from '../planning/fixtures.ts';

/** data has fallbacks; several other agents can or cannot stand in for it. */
function routingManifest(): Manifest {
  return manifest({ name: 'reports', description: 'Builds reports', deliverable: ['summary'] }, [
    agent('data', { description: 'Extracts data', produces: ['sales-dataset'], fallback: ['data-replica', 'ghost', 'data-cache'] }),
    agent('data-cache', { description: 'Serves cached data', produces: ['sales-dataset'] }),
    agent('data-full', { description: 'Extracts everything', produces: ['sales-dataset', 'inventory'] }),
    agent('data-needs-input', { description: 'Extracts from a file', consumes: ['raw-file'], produces: ['sales-dataset'] }),
    agent('data-replica', { description: 'Extracts data from the replica', produces: ['sales-dataset'] }),
    agent('analytics', { description: 'Computes metrics', consumes: ['sales-dataset'], produces: ['metrics', 'charts'] }),
    agent('metrics-only', { description: 'Computes metrics', consumes: ['sales-dataset'], produces: ['metrics'] }),
    agent('charts-from-metrics', { description: 'Draws charts', consumes: ['metrics'], produces: ['metrics', 'charts'] }),
  ]);
}

describe('candidateAgents', () => {
  const m = routingManifest();
  const extract = task('t1-extract-sales-dataset', { agent: 'data', produces: ['sales-dataset'] });

  it('tries the planned agent, then its fallbacks in order, then capable sub-agents in declared order', () => {
    expect(candidateAgents(extract, m)).toEqual(['data', 'data-replica', 'data-cache', 'data-full']);
  });

  it('skips fallbacks the manifest does not define and never lists an agent twice', () => {
    const order = candidateAgents(extract, m);
    expect(order).not.toContain('ghost');
    expect(new Set(order).size).toBe(order.length);
  });

  it('leaves out agents that need inputs the task does not have', () => {
    expect(candidateAgents(extract, m)).not.toContain('data-needs-input');
    const compute = task('t2-compute-metrics', { agent: 'analytics', consumes: ['sales-dataset'], produces: ['metrics', 'charts'] });
    expect(candidateAgents(compute, m)).toEqual(['analytics']);
  });

  it('accepts an agent that makes more than the task needs from the same inputs', () => {
    const metrics = task('t2-compute-metrics', { agent: 'metrics-only', consumes: ['sales-dataset'], produces: ['metrics'] });
    expect(candidateAgents(metrics, m)).toEqual(['metrics-only', 'analytics']);
  });

  it('includes fallbacks even when they are not sub-agents, but capable agents only from the sub-agents', () => {
    const m2 = routingManifest();
    m2.orchestrator.subagents = m2.orchestrator.subagents.filter((n) => n !== 'data-replica' && n !== 'data-full');
    expect(candidateAgents(extract, m2)).toEqual(['data', 'data-replica', 'data-cache']);
  });

  it('keeps the planned agent first even when the manifest no longer defines it', () => {
    expect(candidateAgents({ ...extract, agent: 'vanished' }, m)).toEqual(['vanished', 'data', 'data-cache', 'data-full', 'data-replica']);
  });

  it('is deterministic', () => {
    expect(candidateAgents(extract, routingManifest())).toEqual(candidateAgents(extract, m));
  });
});

describe('capableAgents', () => {
  it('lists sub-agents that produce all of the task’s artifacts from inputs the task has', () => {
    const m = routingManifest();
    expect(capableAgents(task('t', { agent: 'x', consumes: ['sales-dataset', 'metrics'], produces: ['metrics'] }), m)).toEqual([
      'analytics',
      'metrics-only',
      'charts-from-metrics',
    ]);
  });
});
