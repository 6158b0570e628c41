/**
 * The checks of a case's expectations against what happened, as pure functions: each returns the
 * differences, worded so a failing case shows what was expected and what came instead.
 */
import type { JsonSchema, Plan, RunResult } from '../core/types.ts';
import { compileSchema, describeSchemaErrors } from '../validation/schema-compiler.ts';
import { matchOutput } from './deep-match.ts';
import type { Difference, PlanExpectations } from './types.ts';

/** What planning (and the run, when the case ran) gave. */
export interface PlanObservation {
  /** The planner's plan (the first one, before any re-planning). */
  plan?: Plan;
  /** The planner's refusal message (`GOAL_REFUSED`). */
  refusal?: string;
  /** Why planning failed otherwise (an invalid plan, an unsatisfiable goal...). */
  planError?: string;
  result?: RunResult;
}

const list = (names: readonly string[]): string => `[${names.join(', ')}]`;

/** The agents of a plan, each once, in task order. */
export function planAgents(plan: Plan): string[] {
  return [...new Set(plan.tasks.map((t) => t.agent))];
}

/** Differences in planning (refusal, agents) and, when the case ran, in its status and artifacts. */
/** `isAgent` tells an agent name from an artifact name in include/exclude (an agent wins when both). */
export function checkPlanCase(expect: PlanExpectations, seen: PlanObservation, isAgent: (name: string) => boolean = () => true): Difference[] {
  if (seen.refusal !== undefined) {
    return expect.refused ? [] : [{ expectation: 'refused', message: `the planner refused the goal: ${seen.refusal}`, expected: false, actual: true }];
  }
  if (expect.refused) {
    const what = seen.plan ? `it planned ${list(planAgents(seen.plan))}` : `planning failed otherwise: ${seen.planError ?? 'no plan'}`;
    return [{ expectation: 'refused', message: `expected the planner to refuse the goal (GOAL_REFUSED), but ${what}`, expected: true, actual: false }];
  }
  if (!seen.plan) return [{ expectation: 'planning', message: `planning failed: ${seen.planError ?? 'no plan'}` }];
  const differences = checkAgents(expect, seen.plan, isAgent);
  if (seen.result) {
    differences.push(...checkStatus(expect, seen.result));
    if (expect.artifacts) differences.push(...checkArtifacts(expect.artifacts, seen.result.deliverable.artifacts, 'deliverable', seen.result.deliverable.missing));
  }
  return differences;
}

function checkAgents(expect: PlanExpectations, plan: Plan, isAgent: (name: string) => boolean): Difference[] {
  const planned = planAgents(plan);
  const differences: Difference[] = [];
  if (expect.agents) {
    const missing = expect.agents.filter((a) => !planned.includes(a));
    const extra = planned.filter((a) => !expect.agents!.includes(a));
    if (missing.length > 0 || extra.length > 0) {
      const parts = [missing.length > 0 ? `missing ${missing.join(', ')}` : '', extra.length > 0 ? `not expected ${extra.join(', ')}` : ''].filter(Boolean);
      differences.push({ expectation: 'agents', message: `expected exactly ${list(expect.agents)}, planned ${list(planned)} (${parts.join('; ')})`, expected: expect.agents, actual: planned });
    }
  }
  const requested = plan.requested ?? [];
  for (const name of expect.include ?? []) {
    if (!isAgent(name)) {
      if (!requested.includes(name)) differences.push({ expectation: 'include', message: `artifact ${name} is not delivered (delivered ${list(requested)})`, expected: name, actual: requested });
    } else if (!planned.includes(name)) differences.push({ expectation: 'include', message: `${name} was not planned (planned ${list(planned)})`, expected: name, actual: planned });
  }
  for (const agent of expect.exclude ?? []) {
    if (!isAgent(agent)) {
      if (requested.includes(agent)) differences.push({ expectation: 'exclude', message: `artifact ${agent} is delivered (delivered ${list(requested)})`, expected: `not ${agent}`, actual: requested });
      continue;
    }
    const tasks = plan.tasks.filter((t) => t.agent === agent);
    if (tasks.length > 0) {
      const why = tasks.map((t) => `${t.id}${t.reason ? `: ${t.reason}` : ''}`).join('; ');
      differences.push({ expectation: 'exclude', message: `${agent} was planned (${why})`, expected: `not ${agent}`, actual: planned });
    }
  }
  return differences;
}

function checkStatus(expect: PlanExpectations, result: RunResult): Difference[] {
  if (expect.status === undefined || expect.status === result.status) return [];
  const failures = result.tasks.filter((t) => t.status === 'failed').map((t) => `${t.id}: ${t.reason ?? t.attempts.at(-1)?.error ?? 'failed'}`);
  // The run's reason usually names its failed tasks already.
  const why = result.reason ?? failures.slice(0, 3).join('; ');
  return [{ expectation: 'status', message: `expected ${expect.status}, got ${result.status}${why ? `: ${why}` : ''}`, expected: expect.status, actual: result.status }];
}

/** Each named artifact is there and satisfies its schema; `whose` says where it was looked for. */
export function checkArtifacts(schemas: Record<string, JsonSchema>, artifacts: Record<string, unknown>, whose: 'deliverable' | 'output', missing?: readonly string[]): Difference[] {
  const differences: Difference[] = [];
  for (const [artifact, schema] of Object.entries(schemas)) {
    if (!Object.hasOwn(artifacts, artifact) || artifacts[artifact] === undefined) {
      const note = missing?.includes(artifact) ? ': it was planned but not made' : '';
      differences.push({ expectation: 'artifacts', artifact, message: `artifact ${artifact} is not in the ${whose}${note}` });
      continue;
    }
    const validate = compileSchema(schema);
    let valid: boolean;
    try {
      valid = validate(artifacts[artifact]) as boolean;
    } catch (e) {
      differences.push({ expectation: 'artifacts', artifact, message: `artifact ${artifact} could not be checked against its schema: ${(e as Error).message}` });
      continue;
    }
    if (valid) continue;
    const seen = new Set<string>();
    for (const error of (validate.errors ?? []).slice(0, 10)) {
      const line = describeSchemaErrors([error])[0] ?? error.keyword;
      if (seen.has(line)) continue;
      seen.add(line);
      differences.push({ expectation: 'artifacts', artifact, path: error.instancePath || '/', message: `artifact ${artifact}: ${line}` });
    }
  }
  return differences;
}

/** The output matches the expected one (partial or exact). */
export function checkOutput(expected: Record<string, unknown>, output: Record<string, unknown>, mode: 'partial' | 'exact'): Difference[] {
  return matchOutput(expected, output, mode).map((m) => {
    const artifact = (m.path.split('/')[1] ?? '').replace(/~1/g, '/').replace(/~0/g, '~');
    return { expectation: 'output', artifact, path: m.path, message: `${m.path} ${m.message}`, expected: m.expected, actual: m.actual };
  });
}

