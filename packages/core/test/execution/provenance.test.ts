import { describe, expect, it } from 'vitest';
import type { IntegrationInput, Planner } from '../../src/core/contracts.ts';
import type { Plan, PlanTask, Provenance, RunResult } from '../../src/core/types.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { scriptedAgent } from '../../src/testing/index.ts';

function task(id: string, agent: string, dependsOn: string[], consumes: string[], produces: string[]): PlanTask {
  return { id, title: id, instructions: '', agent, dependsOn, consumes, produces };
}

function fixed(plan: Plan, replan?: Plan): Planner {
  return {
    name: 'llm',
    plan: () => Promise.resolve({ plan, planner: 'llm' }),
    ...(replan ? { replan: () => Promise.resolve({ plan: replan, planner: 'llm', reason: 'the first plan failed' }) } : {}),
  };
}

/** The provenance the journal's record of task `id` says it should have: its succeeded attempt. */
function expectedOf(result: RunResult, id: string): Provenance {
  const t = result.tasks.find((x) => x.id === id)!;
  const a = t.attempts.filter((x) => x.status === 'succeeded').at(-1)!;
  return { task: id, agent: a.agent, agentVersion: a.agentVersion!, attempt: a.n, attemptId: a.attemptId, at: a.endedAt! };
}

describe('provenance', () => {
  it('names the attempt that made each delivered artifact: after a retry, and the last of two producers', async () => {
    const first = scriptedAgent({ name: 'first', version: '1.2.0', produces: ['x'], script: [{ output: { x: 'from first' } }] });
    const second = scriptedAgent({ name: 'second', version: '3.0.0', produces: ['x'], script: [{ throw: 'flaky' }, { output: { x: 'from second' } }] });
    const o = createOrchestrator({
      name: 'two-makers',
      agents: [first, second],
      planner: fixed({ tasks: [task('a', 'first', [], [], ['x']), task('b', 'second', ['a'], [], ['x'])], requested: ['x'] }),
      policy: { retries: 2, backoff: { initialDelayMs: 1, factor: 1, maxDelayMs: 1, jitter: 0 } },
    });
    const result = await o.run('make x twice');
    expect(result.status).toBe('succeeded');
    expect(result.deliverable.artifacts).toEqual({ x: 'from second' });
    expect(result.deliverable.provenance).toEqual({ x: expectedOf(result, 'b') });
    expect(result.deliverable.provenance.x).toMatchObject({ task: 'b', agent: 'second', agentVersion: '3.0.0', attempt: 2 });
    expect(result.deliverable.provenance.x!.at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('gives an integrator the provenance of every artifact made, asked for or not, each its own object', async () => {
    const seen: Pick<IntegrationInput, 'artifacts' | 'provenance'>[] = [];
    const o = createOrchestrator({
      name: 'integrated',
      agents: [
        scriptedAgent({ name: 'data', produces: ['rows'], script: [{ output: { rows: [1, 2] } }] }),
        scriptedAgent({ name: 'writer', consumes: ['rows'], produces: ['summary', 'title'], script: [{ output: { summary: 's', title: 't' } }] }),
      ],
      planner: fixed({ tasks: [task('d', 'data', [], [], ['rows']), task('w', 'writer', ['d'], ['rows'], ['summary', 'title'])], requested: ['summary'] }),
      integrator: (input) => {
        seen.push({ artifacts: input.artifacts, provenance: input.provenance });
        return { artifacts: { summary: input.artifacts.summary }, files: [], provenance: { summary: input.provenance.summary! } };
      },
    });
    const result = await o.run('summarise');
    expect(result.status).toBe('succeeded');
    const { provenance } = seen[0]!;
    expect(Object.keys(provenance).sort()).toEqual(['rows', 'summary', 'title']);
    expect(provenance.rows).toEqual(expectedOf(result, 'd'));
    expect(provenance.summary).toEqual(expectedOf(result, 'w'));
    expect(provenance.title).toEqual(expectedOf(result, 'w'));
    expect(provenance.title).not.toBe(provenance.summary);
    expect(Object.getPrototypeOf(provenance)).toBe(Object.prototype);
    expect(result.deliverable.provenance).toEqual({ summary: expectedOf(result, 'w') });
  });

  it('is given for each of many artifacts asked for, and not for one that was not made', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `part-${i}`);
    const o = createOrchestrator({
      name: 'many',
      agents: [
        scriptedAgent({ name: 'maker', produces: names.slice(0, 6), script: [{ output: Object.fromEntries(names.slice(0, 6).map((n) => [n, n])) }] }),
        scriptedAgent({ name: 'other', produces: names.slice(6), script: [{ throw: 'broken', unrecoverable: true }] }),
        scriptedAgent({ name: 'rest', produces: names.slice(6, 11), script: [{ output: Object.fromEntries(names.slice(6, 11).map((n) => [n, n])) }] }),
      ],
      planner: fixed({ tasks: [task('m', 'maker', [], [], names.slice(0, 6)), task('o', 'other', [], [], names.slice(6)), task('r', 'rest', [], [], names.slice(6, 11))], requested: names }),
      policy: { retries: 0 },
    });
    const result = await o.run('make many parts');
    expect(result.status).toBe('partial');
    expect(result.deliverable.missing).toEqual(['part-11']);
    for (const name of names.slice(0, 6)) expect(result.deliverable.provenance[name]).toEqual(expectedOf(result, 'm'));
    for (const name of names.slice(6, 11)) expect(result.deliverable.provenance[name]).toEqual(expectedOf(result, 'r'));
    expect(Object.hasOwn(result.deliverable.provenance, 'part-11')).toBe(false);
  });

  it('carries over, with their artifacts, to a new plan after a re-plan', async () => {
    const seen: Record<string, Provenance>[] = [];
    const o = createOrchestrator({
      name: 'replanned',
      agents: [
        scriptedAgent({ name: 'maker', produces: ['x'], script: [{ output: { x: 1 } }] }),
        scriptedAgent({ name: 'broken', consumes: ['x'], produces: ['y'], script: [{ throw: 'down', unrecoverable: true }] }),
        // It needs an input the broken agent's task does not have, so it cannot stand in for it: only a new plan runs it.
        scriptedAgent({ name: 'helper', produces: ['hint'], script: [{ output: { hint: 'h' } }] }),
        scriptedAgent({ name: 'fixer', consumes: ['x', 'hint'], produces: ['y'], script: [{ output: { y: 2 } }] }),
      ],
      planner: fixed(
        { tasks: [task('a', 'maker', [], [], ['x']), task('b', 'broken', ['a'], ['x'], ['y'])], requested: ['y'] },
        { tasks: [task('h', 'helper', [], [], ['hint']), task('c', 'fixer', ['h'], ['x', 'hint'], ['y'])], requested: ['y'] },
      ),
      policy: { retries: 0 },
      integrator: (input) => {
        seen.push(input.provenance);
        return { artifacts: { y: input.artifacts.y }, files: [], provenance: { y: input.provenance.y! } };
      },
    });
    const result = await o.run('x then y');
    expect(result.status).toBe('succeeded');
    expect(result.previousPlans).toHaveLength(1);
    expect(seen[0]).toEqual({ x: expectedOf(result, 'a'), hint: expectedOf(result, 'h'), y: expectedOf(result, 'c') });
    expect(result.deliverable.provenance).toEqual({ y: expectedOf(result, 'c') });
  });
});
