import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Planner } from '../../src/core/contracts.ts';
import { BatonError } from '../../src/core/errors.ts';
import type { Manifest } from '../../src/core/types.ts';
import { loadManifest } from '../../src/manifest/index.ts';
import { BuiltinPlanner } from '../../src/planning/builtin-planner.ts';
import { LlmPlanner } from '../../../llm/src/planning/llm-planner.ts';
import { assertValidPlan } from '../../src/planning/validate-plan.ts';
import { ScriptedModel } from '../../../llm/src/testing/scripted-model.ts';
import type { ModelReply } from '../../../llm/src/testing/scripted-model.ts';
import { fuzzRuns, VALID_MANIFESTS } from './arbitraries.ts';

// Goals of any Unicode and length never crash a planner: it gives a valid plan or a BatonError
// that says why (e.g. GOAL_UNSATISFIABLE). The LLM planner also survives whatever its model says.

const ENV = { REPLICA_URL: 'postgres://replica/sales', CHARTS_URL: 'http://127.0.0.1:4100' };
let manifests: Manifest[] = [];

beforeAll(async () => {
  manifests = await Promise.all(VALID_MANIFESTS.map((m) => loadManifest(m.file, { env: ENV })));
  manifests.push(await loadManifest(path.resolve(import.meta.dirname, '../../test/fixtures/cli/baton.yaml')));
});

/** Words the planners match on, so random goals also reach the matching paths. */
function vocabulary(m: Manifest): string[] {
  const words = [m.orchestrator.name, ...m.orchestrator.description.split(/\s+/)];
  for (const a of Object.values(m.agents)) words.push(a.name, ...a.produces, ...a.consumes, ...a.capabilities, ...a.description.split(/\s+/));
  return words.filter(Boolean);
}

const goal = (m: Manifest): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.array(fc.oneof(fc.constantFrom(...vocabulary(m)), fc.string({ unit: 'grapheme', maxLength: 8 }), fc.constantFrom('and', 'not', 'without', 'vs', 'Q2', '2026', '😀', '\u0000', '\u202e', ' ')), { maxLength: 40 }).map((w) => w.join(' ')),
    fc.tuple(fc.constantFrom(...vocabulary(m)), fc.integer({ min: 1_000, max: 60_000 })).map(([w, n]) => `${w} `.repeat(Math.ceil(n / (w.length + 1))).slice(0, n)),
  );

/** A manifest (by index, so counterexamples stay short) and a goal made for it. */
const manifestAndGoal = fc
  .nat()
  .chain((i) => fc.tuple(fc.constant(i % manifests.length), goal(manifests[i % manifests.length]!)))
  .map(([i, text]) => [manifests[i]!, text] as const);

/**
 * Plans as the orchestrator does (plan, then assertValidPlan). Every outcome must be a valid plan
 * or a BatonError whose message says why; anything else thrown is a crash.
 */
async function expectPlanOrReason(planner: Planner, goalText: string, manifest: Manifest): Promise<'plan' | 'error'> {
  try {
    const outcome = await planner.plan(goalText, manifest);
    expect(outcome.plan.tasks.length).toBeGreaterThan(0);
    assertValidPlan(outcome.plan, manifest);
    return 'plan';
  } catch (e) {
    if (!BatonError.isInstance(e)) throw new Error(`the ${planner.name} planner threw ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    expect(e.message.length).toBeGreaterThan(10);
    return 'error';
  }
}

describe('planners under fuzzing', () => {
  it('the builtin planner plans or explains for any goal', async () => {
    const seen = { plan: 0, error: 0 };
    await fc.assert(
      fc.asyncProperty(manifestAndGoal, async ([manifest, text]) => {
        seen[await expectPlanOrReason(new BuiltinPlanner(), text, manifest)]++;
      }),
      { numRuns: fuzzRuns(300) },
    );
    expect(seen.plan).toBeGreaterThan(0);
  });

  it('the builtin planner gives the same plan for the same goal', async () => {
    await fc.assert(
      fc.asyncProperty(manifestAndGoal, async ([manifest, text]) => {
        const planner = new BuiltinPlanner();
        const [a, b] = await Promise.allSettled([planner.plan(text, manifest), planner.plan(text, manifest)]);
        expect(a.status).toBe(b.status);
        if (a.status === 'fulfilled' && b.status === 'fulfilled') expect(a.value).toEqual(b.value);
      }),
      { numRuns: fuzzRuns(100) },
    );
  });

  it('the LLM planner plans, repairs or falls back whatever the goal and whatever the model replies', async () => {
    const agentNames = manifests.flatMap((m) => Object.keys(m.agents));
    const artifactNames = manifests.flatMap((m) => Object.values(m.agents).flatMap((a) => a.produces));
    const planLike = fc.record({
      tasks: fc.array(
        fc.record({
          id: fc.oneof(fc.constantFrom('t1-a', 't2-b', 't3-c'), fc.string({ maxLength: 10 })),
          title: fc.string({ maxLength: 10 }),
          instructions: fc.string({ maxLength: 20 }),
          agent: fc.oneof(fc.constantFrom(...agentNames), fc.string({ maxLength: 6 })),
          dependsOn: fc.array(fc.constantFrom('t1-a', 't2-b', 't3-c'), { maxLength: 2 }),
          consumes: fc.array(fc.constantFrom(...artifactNames), { maxLength: 2 }),
          produces: fc.array(fc.constantFrom(...artifactNames), { maxLength: 2 }),
        }),
        { maxLength: 5 },
      ),
      requested: fc.array(fc.constantFrom(...artifactNames), { maxLength: 2 }),
    });
    const reply: fc.Arbitrary<ModelReply> = fc.oneof(
      planLike.map((json) => ({ json })),
      fc.jsonValue({ maxDepth: 3 }).map((json) => ({ json })),
      fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ text })),
      fc.constant({ error: 'the model is overloaded' }),
    );
    await fc.assert(
      fc.asyncProperty(manifestAndGoal, fc.array(reply, { minLength: 2, maxLength: 2 }), async ([manifest, text], replies) => {
        const queue = [...replies];
        const model = new ScriptedModel(() => queue.shift() ?? { error: 'no more replies scripted' });
        const planner = new LlmPlanner({ model: { id: 'scripted:fuzz', model, providerOptions: {} }, maxRetries: 0 });
        await expectPlanOrReason(planner, text, { ...manifest, orchestrator: { ...manifest.orchestrator, model: 'openai:scripted' } });
        expect(model.calls.length).toBeLessThanOrEqual(2);
      }),
      { numRuns: fuzzRuns(150) },
    );
  });
});
