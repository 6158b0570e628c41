import { describe, expect, it } from 'vitest';
import { manifestFromObject } from '../../src/manifest/load.ts';
import { checkPlanInput } from '../../src/planning/fixed-plan.ts';
import { planInputSchemas } from '../../src/planning/plan-input-schema.ts';

const manifest = (workflowTask: Record<string, unknown>) => ({
  version: 1,
  orchestrator: { name: 'trips', description: 'Plans trips', subagents: ['flights'] },
  agents: { flights: { kind: 'command', description: 'Finds flights', command: ['node', '-e', '1'], produces: ['flights'] } },
  workflows: { book: { tasks: [workflowTask] } },
});

// The plan schemas are built on first use: here by a plan checked before any manifest was read
// (zod's CommonJS build), then embedded in the manifest schema (zod as imported).
describe('plan input schemas built before the manifest schema', () => {
  it('check a plan, then a manifest whose workflow embeds them, with the same messages', async () => {
    const plan = checkPlanInput({ tasks: [{ id: 3, agent: 'flights', bogus: 1 }] }, { version: 1, baseDir: '/', orchestrator: {} as never, agents: {} });
    expect('problems' in plan && plan.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'tasks[0].id: Invalid input: expected string, received number',
      'tasks[0]: unknown key "bogus"; expected: id, agent, title, instructions, dependsOn, consumes, produces, reason',
    ]);
    const built = planInputSchemas();
    await expect(manifestFromObject(manifest({ id: 3, agent: 'flights', bogus: 1 }), { baseDir: '/' })).rejects.toThrow(
      /workflows\.book\.tasks\[0\]\.id: expected a string, got number 3[\s\S]*workflows\.book\.tasks\[0\]\.bogus: unknown key "bogus"; expected one of: id, agent, title/,
    );
    // One set of schemas for the process: the manifest schema took the ones already built.
    expect(planInputSchemas()).toBe(built);
    await expect(manifestFromObject(manifest({ id: 'f', agent: 'flights' }), { baseDir: '/' })).resolves.toMatchObject({ workflows: { book: { plan: { tasks: [{ id: 'f', agent: 'flights' }] } } } });
  });
});
