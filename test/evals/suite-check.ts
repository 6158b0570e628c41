/**
 * A minimal reader and checker of evaluation suites (DESIGN section 10), for the repository's own
 * suites until `baton eval` lands: it plans each case with the builtin planner and checks the plan
 * expectations (agents, include, exclude, refused); `runCase` runs a case and checks status and
 * artifact schemas. The real eval engine replaces it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { BatonError } from '../../src/core/errors.ts';
import type { JsonSchema, Manifest, Plan, RunResult } from '../../src/core/types.ts';
import { loadManifest } from '../../src/manifest/index.ts';
import { Orchestrator } from '../../src/orchestrator.ts';
import { BuiltinPlanner } from '../../src/planning/builtin-planner.ts';
import { compileSchema, describeSchemaErrors } from '../../src/validation/schema-compiler.ts';

export interface SuiteCase {
  name: string;
  goal: string;
  run: boolean;
  expect: {
    agents?: string[];
    include?: string[];
    exclude?: string[];
    refused?: boolean;
    status?: string;
    artifacts?: Record<string, JsonSchema>;
  };
}

export interface Suite {
  suite: string;
  file: string;
  manifest: Manifest;
  cases: SuiteCase[];
}

/** Reads a suite file and its manifest (relative to the suite file). */
export async function readSuite(file: string): Promise<Suite> {
  const doc = parse(readFileSync(file, 'utf8')) as { suite: string; manifest: string; cases: (Omit<SuiteCase, 'run'> & { run?: boolean })[] };
  const manifest = await loadManifest(path.resolve(path.dirname(file), doc.manifest));
  return { suite: doc.suite, file, manifest, cases: doc.cases.map((c) => ({ ...c, run: c.run ?? true, expect: c.expect ?? {} })) };
}

/**
 * What differs between a plan (or a refusal) and a case's plan expectations; empty when it passes.
 * `include`/`exclude` name agents (planned or not) or, for names no agent has, artifacts (delivered,
 * i.e. in `plan.requested`, or not).
 */
export function checkPlan(c: SuiteCase, outcome: Plan | BatonError, manifest: Manifest): string[] {
  const problems: string[] = [];
  const refused = BatonError.isInstance(outcome) && outcome.code === 'GOAL_REFUSED';
  if (c.expect.refused !== undefined && c.expect.refused !== refused) {
    problems.push(BatonError.isInstance(outcome) ? `${refused ? 'refused' : 'failed'}: ${outcome.message}` : `not refused (plan: ${describe(outcome)})`);
  }
  if (BatonError.isInstance(outcome)) {
    if (!c.expect.refused) problems.push(`planning failed: ${outcome.code}: ${outcome.message}`);
    return problems;
  }
  const agents = new Set(outcome.tasks.map((t) => t.agent));
  const delivered = new Set(outcome.requested ?? []);
  const isAgent = (name: string): boolean => name in manifest.agents;
  if (c.expect.agents) {
    const want = [...c.expect.agents].sort();
    const got = [...agents].sort();
    if (want.join() !== got.join()) problems.push(`agents: expected [${want.join(', ')}], planned [${got.join(', ')}]`);
  }
  for (const name of c.expect.include ?? []) {
    if (isAgent(name) ? !agents.has(name) : !delivered.has(name)) problems.push(`include: ${name} is not ${isAgent(name) ? 'planned' : 'delivered'}`);
  }
  for (const name of c.expect.exclude ?? []) {
    if (isAgent(name) ? agents.has(name) : delivered.has(name)) problems.push(`exclude: ${name} is ${isAgent(name) ? 'planned' : 'delivered'}`);
  }
  return problems;
}

/** Plans a case with the builtin planner: the plan, or the BatonError planning ended with. */
export async function planCase(c: SuiteCase, manifest: Manifest): Promise<Plan | BatonError> {
  try {
    return (await new BuiltinPlanner().plan(c.goal, manifest)).plan;
  } catch (e) {
    if (BatonError.isInstance(e)) return e;
    throw e;
  }
}

/** Runs a case to its end (in-memory journal) and lists what differs from its run expectations. */
export async function runCase(c: SuiteCase, manifest: Manifest, outDir: string): Promise<{ result: RunResult; problems: string[] }> {
  const orchestrator = new Orchestrator({ manifest, outDir });
  try {
    const result = await orchestrator.run(c.goal);
    const problems: string[] = [];
    if (c.expect.status !== undefined && result.status !== c.expect.status) problems.push(`status: expected ${c.expect.status}, got ${result.status} (${result.reason ?? ''})`);
    for (const [artifact, schema] of Object.entries(c.expect.artifacts ?? {})) {
      const value = result.deliverable.artifacts[artifact];
      if (value === undefined) {
        problems.push(`artifact ${artifact}: not delivered`);
        continue;
      }
      const validate = compileSchema(schema);
      if (!validate(value)) problems.push(`artifact ${artifact}: ${describeSchemaErrors(validate.errors).join('; ')}`);
    }
    return { result, problems };
  } finally {
    await orchestrator.close();
  }
}

function describe(plan: Plan): string {
  return `${plan.tasks.map((t) => t.agent).join(', ')}; requested ${(plan.requested ?? []).join(', ')}`;
}
