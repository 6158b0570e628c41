/**
 * Rules of a suite that relate its fields to each other, checked after its shape: which fields
 * belong to plan cases and which to agent cases, what `run: false` and `refused: true` rule out,
 * unique case names, artifact schemas that compile.
 */
import { errorMessage } from '../core/errors.ts';
import type { FieldPath } from '../manifest/describe.ts';
import { isRecord } from '../manifest/lenient.ts';
import type { Finding } from '../manifest/findings.ts';
import { compileSchema } from '../validation/schema-compiler.ts';
import type { ParsedCase, ParsedSuite } from './suite-schema.ts';

const PLAN_ONLY = ['agents', 'include', 'exclude', 'refused', 'status'] as const;
const AGENT_ONLY = ['output', 'match'] as const;
const NEEDS_RUN = ['status', 'artifacts', 'rubric'] as const;
const NO_PLAN_WHEN_REFUSED = ['agents', 'include', 'artifacts', 'rubric'] as const;

/** Names identify cases in reports: each may be used once (read leniently, before shape checks). */
export function checkCaseNames(rawCases: readonly unknown[]): Finding[] {
  const findings: Finding[] = [];
  const seen = new Map<string, number>();
  rawCases.forEach((c, i) => {
    const name = isRecord(c) ? c['name'] : undefined;
    if (typeof name !== 'string') return;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, i);
    else findings.push({ path: ['cases', i, 'name'], message: `case #${first + 1} is already named "${name}": give each case its own name` });
  });
  return findings;
}

/** Every cross-field problem of the cases whose shape is valid. */
export function checkSuiteRules(suite: ParsedSuite): Finding[] {
  const findings: Finding[] = [];
  suite.cases.forEach(({ index: i, parsed: c }) => {
    const at = (...rest: (string | number)[]): FieldPath => ['cases', i, ...rest];
    const agent = c.agent ?? suite.agent;
    if (agent !== undefined) findings.push(...agentCaseRules(c, agent, at));
    else findings.push(...planCaseRules(c, at));
    for (const [artifact, schema] of Object.entries(c.expect.artifacts ?? {})) {
      try {
        compileSchema(schema);
      } catch (e) {
        findings.push({ path: at('expect', 'artifacts', artifact), message: `not a valid JSON Schema: ${errorMessage(e)}` });
      }
    }
  });
  return findings;
}

function agentCaseRules(c: ParsedCase, agent: string, at: (...rest: (string | number)[]) => FieldPath): Finding[] {
  const findings: Finding[] = [];
  for (const field of PLAN_ONLY) {
    if (c.expect[field] !== undefined) {
      findings.push({ path: at('expect', field), at: 'key', message: `${field} is for plan cases; this case tests agent ${agent} alone: expect output, artifacts or rubric` });
    }
  }
  if (c.run !== undefined) findings.push({ path: at('run'), at: 'key', message: `run is for plan cases; an agent case runs agent ${agent} once` });
  return findings;
}

function planCaseRules(c: ParsedCase, at: (...rest: (string | number)[]) => FieldPath): Finding[] {
  const findings: Finding[] = [];
  if (c.goal === undefined) findings.push({ path: at('goal'), message: 'missing: expected the goal, as a user would ask it (or agent: NAME and inputs to test one agent)' });
  if (c.inputs !== undefined) findings.push({ path: at('inputs'), at: 'key', message: 'inputs are for agent cases: add agent: NAME to this case (or to the suite)' });
  for (const field of AGENT_ONLY) {
    if (c.expect[field] !== undefined) findings.push({ path: at('expect', field), at: 'key', message: `${field} is for agent cases (agent: NAME); a plan case checks agents, status and artifacts` });
  }
  if (c.run === false) {
    for (const field of NEEDS_RUN) {
      if (c.expect[field] !== undefined) findings.push({ path: at('expect', field), at: 'key', message: `${field} needs the run, and this case has run: false: remove one of them` });
    }
  }
  if (c.expect.refused === true) {
    for (const field of NO_PLAN_WHEN_REFUSED) {
      if (c.expect[field] !== undefined) findings.push({ path: at('expect', field), at: 'key', message: `a refused goal has no plan and no deliverable: remove ${field} or refused: true` });
    }
    if (c.expect.status !== undefined && c.expect.status !== 'failed') {
      findings.push({ path: at('expect', 'status'), message: `a refused goal ends the run failed, got status ${c.expect.status}` });
    }
  }
  return findings;
}
