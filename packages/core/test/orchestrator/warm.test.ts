/**
 * Orchestrator.warm: what runs need is loaded ahead of the first run (the integrator, the agents
 * built and their versions checked), the agents a plan may name are started, a fallback only
 * built; nothing is refused, what cannot load is told a line each.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentRegistry } from '../../src/agents/registry.ts';
import { WARM_UP } from '../../src/agents/warm-up.ts';
import type { WarmableAgent } from '../../src/agents/warm-up.ts';
import { manifestFromObject } from '../../src/manifest/index.ts';
import { Orchestrator } from '../../src/orchestrator.ts';

const dir = path.resolve(import.meta.dirname, '../fixtures/versions');
const remote = (extra: Record<string, unknown> = {}) => ({ kind: 'a2a', url: 'http://127.0.0.1:9/', ...extra });

async function orchestrator(integrator?: string) {
  const built: string[] = [];
  const started: string[] = [];
  const registry = new AgentRegistry().register('a2a', (spec): WarmableAgent => {
    if (spec.name === 'broken') throw new Error('no agent card at http://127.0.0.1:9/');
    built.push(spec.name);
    return { spec, run: async () => ({ dataset: { rows: 1 } }), version: async () => '1.0.0', [WARM_UP]: () => started.push(spec.name) };
  });
  const manifest = await manifestFromObject(
    {
      version: 1,
      orchestrator: { name: 'reports', description: 'Builds reports', subagents: ['main', 'spare', 'pinned', 'broken', 'loose'], deliverable: ['dataset'], ...(integrator ? { integrator } : {}) },
      agents: {
        main: { description: 'Extracts the dataset', produces: ['dataset'], fallback: ['spare', 'hidden'], ...remote() },
        spare: { description: 'Extracts the dataset elsewhere', produces: ['dataset'], ...remote() },
        // A fallback the orchestrator does not list: checked before a run as the others are.
        hidden: { description: 'Extracts the dataset from an archive', produces: ['dataset'], ...remote({ version: '^2' }) },
        pinned: { description: 'Extracts a newer dataset', produces: ['dataset'], ...remote({ version: '^2' }) },
        broken: { description: 'Extracts nothing', produces: ['dataset'], ...remote() },
        // A module that cannot load and has no pin: it would run under its manifest version, and fail.
        loose: { description: 'Summarises nothing', produces: ['summary'], kind: 'module', module: 'agents/no-default.mjs' },
      },
    },
    { baseDir: dir },
  );
  return { o: new Orchestrator({ manifest, registry }), built, started };
}

describe('Orchestrator.warm', () => {
  it("builds the subagents and checks their pins, starts all but a fallback, loads the integrator, and tells what cannot load without refusing", async () => {
    const { o, built, started } = await orchestrator('./agents/throws-at-load.mjs');
    try {
      const { agents, problems } = await o.warm();
      expect(agents).toEqual(['main', 'spare', 'pinned', 'broken', 'loose', 'hidden']);
      expect(problems).toHaveLength(5);
      expect(problems[0]).toMatch(/^orchestrator\.integrator: cannot load .*throws-at-load\.mjs: .*broken at load/);
      expect(problems[1]).toContain("agent 'pinned' reports version 1.0.0");
      expect(problems[1]).toContain('outside its pin ^2');
      expect(problems[2]).toBe("agent 'broken' cannot be built: no agent card at http://127.0.0.1:9/");
      expect(problems[3]).toMatch(/^agent 'loose': .*no-default\.mjs must default-export a function/);
      expect(problems[4]).toContain("agent 'hidden' reports version 1.0.0");
      expect(built.sort()).toEqual(['hidden', 'main', 'pinned', 'spare']);
      expect(started.sort()).toEqual(['main', 'pinned']);
      // Built once: a second warm, and a run, find them built.
      expect((await o.warm(['main', 'nobody'])).problems).toEqual(["no agent 'nobody' in the manifest", problems[0], problems[4]]);
      const result = await o.run('extract the dataset', { plan: { tasks: [{ id: 't1', agent: 'main' }] } });
      expect(result.tasks.map((t) => t.attempts)).toEqual([[]]);
      expect(result.reason).toContain("agent 'hidden' reports version 1.0.0");
      expect(built.sort()).toEqual(['hidden', 'main', 'pinned', 'spare']);
    } finally {
      await o.close();
    }
  });

  it('is refused once the orchestrator is closed', async () => {
    const { o, built } = await orchestrator();
    await o.close();
    await expect(o.warm()).rejects.toThrow('this orchestrator is closed');
    expect(built).toEqual([]);
  });
});
