/**
 * Rules of a suite that need its manifest: the agents it names exist, the artifacts it checks are
 * produced, an agent case's inputs are what the agent consumes, a plan case's params are what the
 * orchestrator takes.
 */
import { ownValue } from '../core/artifact-names.ts';
import type { AgentSpec, Manifest } from '../core/types.ts';
import { didYouMean, type FieldPath } from '../manifest/describe.ts';
import type { Finding } from '../manifest/findings.ts';
import { checkParams } from '../validation/params.ts';
import type { ParsedCase, ParsedSuite } from './suite-schema.ts';

/** Problems of a suite (whose shape and rules are valid) against the manifest it runs on. */
export function checkSuiteAgainstManifest(suite: ParsedSuite, manifest: Manifest, manifestName: string): Finding[] {
  const findings: Finding[] = [];
  const names = Object.keys(manifest.agents);
  const unknownAgent = (name: string): string => `no agent named "${name}" in ${manifestName}${didYouMean(name, names)}`;
  if (suite.agent !== undefined && !ownValue(manifest.agents, suite.agent)) findings.push({ path: ['agent'], message: unknownAgent(suite.agent) });
  const delivered = new Set(manifest.orchestrator.subagents.flatMap((n) => ownValue(manifest.agents, n)?.produces ?? []));

  suite.cases.forEach(({ index: i, parsed: c }) => {
    const at = (...rest: (string | number)[]): FieldPath => ['cases', i, ...rest];
    const agentName = c.agent ?? suite.agent;
    if (agentName !== undefined) {
      const spec = ownValue(manifest.agents, agentName);
      if (spec) findings.push(...agentCaseFindings(c.inputs, c.expect, spec, at));
      else if (c.agent !== undefined) findings.push({ path: at('agent'), message: unknownAgent(c.agent) });
      return;
    }
    findings.push(...paramFindings(c, manifest, at));
    c.expect.agents?.forEach((name, j) => {
      if (!ownValue(manifest.agents, name)) findings.push({ path: at('expect', 'agents', j), message: unknownAgent(name) });
    });
    // include/exclude name agents (planned or not) or, additively, artifacts (delivered or not).
    for (const field of ['include', 'exclude'] as const) {
      c.expect[field]?.forEach((name, j) => {
        if (!ownValue(manifest.agents, name) && !delivered.has(name)) findings.push({ path: at('expect', field, j), message: `${unknownAgent(name)}, nor an artifact one produces` });
      });
    }
    for (const artifact of Object.keys(c.expect.artifacts ?? {})) {
      if (!delivered.has(artifact)) {
        findings.push({ path: at('expect', 'artifacts', artifact), at: 'key', message: `no sub-agent of ${manifestName} produces "${artifact}"${didYouMean(artifact, delivered)}` });
      }
    }
  });
  return findings;
}

/**
 * The problems of a plan case's `params` against the manifest's `orchestrator.params`: the run
 * would refuse them before anything runs. A plan-only case uses none, so only those it gives are
 * checked; a case that runs is checked even without params (a required one is missing).
 */
function paramFindings(c: ParsedCase, manifest: Manifest, at: (...rest: (string | number)[]) => FieldPath): Finding[] {
  if (c.params === undefined && c.run === false) return [];
  const checked = checkParams(manifest, c.params);
  if (!('problems' in checked)) return [];
  return checked.problems.map((p) => ({ path: at('params', ...p.path), message: p.message }));
}

function agentCaseFindings(
  inputs: Record<string, unknown> | undefined,
  expect: ParsedCase['expect'],
  spec: AgentSpec,
  at: (...rest: (string | number)[]) => FieldPath,
): Finding[] {
  const findings: Finding[] = [];
  for (const key of Object.keys(inputs ?? {})) {
    if (!spec.consumes.includes(key)) {
      const list = spec.consumes.length > 0 ? `consumes: ${spec.consumes.join(', ')}` : 'it consumes nothing';
      findings.push({ path: at('inputs', key), at: 'key', message: `"${key}" is not an input of ${spec.name} (${list})${didYouMean(key, spec.consumes)}` });
    }
  }
  for (const field of ['output', 'artifacts'] as const) {
    for (const key of Object.keys(expect[field] ?? {})) {
      if (!spec.produces.includes(key)) {
        findings.push({ path: at('expect', field, key), at: 'key', message: `${spec.name} does not produce "${key}" (produces: ${spec.produces.join(', ')})${didYouMean(key, spec.produces)}` });
      }
    }
  }
  return findings;
}
