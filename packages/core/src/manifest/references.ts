/**
 * Rules that relate fields to each other: sub-agents exist, every consumed or delivered artifact is
 * produced, fallbacks can stand in, no cycles, a module's memory bound goes with its own process.
 * They read the manifest leniently (skipping what is malformed, which the shape check reports) so
 * that all problems come out in one pass.
 */
import { reservedArtifactName } from '../core/artifact-names.ts';
import { didYouMean, type FieldPath } from './describe.ts';
import { MEMORY_LIMIT_WITHOUT_PROCESS } from './code-check.ts';
import type { Finding } from './findings.ts';
import { asRecord, stringEntries as entries, type Entry } from './lenient.ts';
import { AGENT_NAME_PATTERN } from './agent-names.ts';

interface AgentFacts {
  name: string;
  consumes: Entry[];
  produces: Entry[];
  fallback: Entry[];
  outputKeys: string[];
  examples: unknown[];
}

/** Checks references between the orchestrator and agents of a manifest (before or after shape checks). */
export function checkReferences(manifest: unknown): Finding[] {
  const findings: Finding[] = [];
  const root = asRecord(manifest);
  const orchestrator = asRecord(root['orchestrator']);
  const agents = new Map<string, AgentFacts>();
  for (const [name, raw] of Object.entries(asRecord(root['agents']))) {
    const agent = asRecord(raw);
    agents.set(name, {
      name,
      consumes: entries(agent['consumes']),
      produces: entries(agent['produces']),
      fallback: entries(agent['fallback']),
      outputKeys: Object.keys(asRecord(agent['output'])),
      examples: Array.isArray(agent['examples']) ? (agent['examples'] as unknown[]) : [],
    });
    if (agent['kind'] === 'module' && agent['isolation'] !== 'process' && agent['maxMemoryMb'] !== undefined) {
      findings.push({ path: ['agents', name, 'maxMemoryMb'], message: MEMORY_LIMIT_WITHOUT_PROCESS });
    }
    if (!AGENT_NAME_PATTERN.test(name)) {
      findings.push({
        path: ['agents', name],
        at: 'key',
        message: `expected an agent name of lower-case letters, digits, - and _, starting with a letter, got "${name}"`,
      });
    }
  }

  const subagents = checkSubagents(entries(orchestrator['subagents']), agents, findings);
  const producers = producersOf(subagents);
  const produced = [...producers.keys()];

  for (const { value, index } of entries(orchestrator['deliverable'])) {
    if (!producers.has(value)) {
      findings.push({ path: ['orchestrator', 'deliverable', index], message: notProduced(value, 'is in the deliverable', produced, agents) });
    }
  }
  for (const agent of subagents) {
    for (const { value, index } of agent.consumes) {
      if (!producers.has(value)) {
        findings.push({
          path: ['agents', agent.name, 'consumes', index],
          message: notProduced(value, `is consumed by ${agent.name}`, produced, agents),
        });
      }
    }
  }
  for (const agent of agents.values()) {
    checkOutputKeys(agent, findings);
    checkFallbacks(agent, agents, findings);
    checkExamples(agent, findings);
  }
  findings.push(...checkArtifactNames(entries(orchestrator['deliverable']), agents));
  findings.push(...findCycles(subagents, producers));
  return findings;
}

function checkSubagents(listed: Entry[], agents: Map<string, AgentFacts>, findings: Finding[]): AgentFacts[] {
  const seen = new Set<string>();
  const found: AgentFacts[] = [];
  for (const { value, index } of listed) {
    const path = ['orchestrator', 'subagents', index];
    const agent = agents.get(value);
    if (seen.has(value)) {
      findings.push({ path, message: `"${value}" is listed twice` });
    } else if (agent === undefined) {
      findings.push({ path, message: `no agent named "${value}" under agents${didYouMean(value, agents.keys())}` });
    } else {
      found.push(agent);
    }
    seen.add(value);
  }
  return found;
}

/** Artifact type → the sub-agents producing it, in manifest order. */
function producersOf(subagents: AgentFacts[]): Map<string, AgentFacts[]> {
  const producers = new Map<string, AgentFacts[]>();
  for (const agent of subagents) {
    for (const { value } of agent.produces) producers.set(value, [...(producers.get(value) ?? []), agent]);
  }
  return producers;
}

function notProduced(artifact: string, role: string, produced: string[], agents: Map<string, AgentFacts>): string {
  const outsiders = [...agents.values()].filter((a) => a.produces.some((p) => p.value === artifact)).map((a) => a.name);
  if (outsiders.length > 0) {
    return `"${artifact}" ${role} but is produced only by ${outsiders.join(', ')}, which orchestrator.subagents does not list`;
  }
  return `"${artifact}" ${role} but no sub-agent produces it${didYouMean(artifact, produced)}`;
}

function checkOutputKeys(agent: AgentFacts, findings: Finding[]): void {
  const produces = agent.produces.map((p) => p.value);
  for (const key of agent.outputKeys) {
    if (!produces.includes(key)) {
      findings.push({
        path: ['agents', agent.name, 'output', key],
        at: 'key',
        message: `output is given for "${key}", which this agent does not produce (produces: ${produces.join(', ')})${didYouMean(key, produces)}`,
      });
    }
  }
}

/** An example gives only inputs the agent consumes and expects only artifacts it produces. */
function checkExamples(agent: AgentFacts, findings: Finding[]): void {
  const produces = agent.produces.map((p) => p.value);
  const consumes = agent.consumes.map((c) => c.value);
  agent.examples.forEach((raw, index) => {
    const example = asRecord(raw);
    const at = (...rest: (string | number)[]): FieldPath => ['agents', agent.name, 'examples', index, ...rest];
    for (const key of Object.keys(asRecord(asRecord(example['input'])['inputs']))) {
      if (!consumes.includes(key)) {
        const list = consumes.length > 0 ? `consumes: ${consumes.join(', ')}` : 'it consumes nothing';
        findings.push({ path: at('input', 'inputs', key), at: 'key', message: `"${key}" is not an input of ${agent.name} (${list})${didYouMean(key, consumes)}` });
      }
    }
    for (const field of ['output', 'schema'] as const) {
      for (const key of Object.keys(asRecord(example[field]))) {
        if (!produces.includes(key)) {
          findings.push({
            path: at(field, key),
            at: 'key',
            message: `"${key}" is not an artifact ${agent.name} produces (produces: ${produces.join(', ')})${didYouMean(key, produces)}`,
          });
        }
      }
    }
  });
}

/** Every field that names an artifact: none may be a reserved name (a member of Object.prototype). */
function checkArtifactNames(deliverable: Entry[], agents: Map<string, AgentFacts>): Finding[] {
  const findings: Finding[] = [];
  const check = (path: FieldPath, name: string, at?: 'key'): void => {
    const problem = reservedArtifactName(name);
    if (problem !== undefined) findings.push({ path, message: problem, ...(at ? { at } : {}) });
  };
  for (const { value, index } of deliverable) check(['orchestrator', 'deliverable', index], value);
  for (const agent of agents.values()) {
    for (const { value, index } of agent.produces) check(['agents', agent.name, 'produces', index], value);
    for (const { value, index } of agent.consumes) check(['agents', agent.name, 'consumes', index], value);
    for (const key of agent.outputKeys) check(['agents', agent.name, 'output', key], key, 'key');
  }
  return findings;
}

function checkFallbacks(agent: AgentFacts, agents: Map<string, AgentFacts>, findings: Finding[]): void {
  for (const { value, index } of agent.fallback) {
    const path: FieldPath = ['agents', agent.name, 'fallback', index];
    const fallback = agents.get(value);
    if (value === agent.name) {
      findings.push({ path, message: `an agent cannot be its own fallback: name another agent that produces the same artifacts` });
    } else if (fallback === undefined) {
      findings.push({ path, message: `no agent named "${value}" under agents${didYouMean(value, agents.keys())}` });
    } else {
      const offered = new Set(fallback.produces.map((p) => p.value));
      const missing = agent.produces.map((p) => p.value).filter((artifact) => !offered.has(artifact));
      if (missing.length > 0) {
        findings.push({
          path,
          message: `fallback "${value}" does not produce ${missing.join(', ')}, which ${agent.name} produces: a fallback must produce every artifact of the agent it stands in for`,
        });
      }
    }
  }
}

interface Edge {
  /** Index in `from.consumes` of the artifact that makes the edge. */
  index: number;
  artifact: string;
  to: AgentFacts;
}

/**
 * Cycles in "consumes an artifact produced by" among sub-agents, each reported once as
 * `cycle: analytics consumes sales-dataset ← data consumes metrics ← analytics`.
 */
function findCycles(subagents: AgentFacts[], producers: Map<string, AgentFacts[]>): Finding[] {
  const edgesOf = (agent: AgentFacts): Edge[] =>
    agent.consumes.flatMap(({ value, index }) => (producers.get(value) ?? []).map((to) => ({ index, artifact: value, to })));
  const findings: Finding[] = [];
  const reported = new Set<string>();
  const done = new Set<AgentFacts>();
  const stack: { agent: AgentFacts; edge?: Edge }[] = [];

  const visit = (agent: AgentFacts): void => {
    const onStack = stack.findIndex((frame) => frame.agent === agent);
    if (onStack >= 0) {
      const cycle = stack.slice(onStack) as { agent: AgentFacts; edge: Edge }[];
      const key = cycle.map((f) => `${f.agent.name}>${f.edge.artifact}`).sort().join('|');
      if (!reported.has(key)) {
        reported.add(key);
        const [first] = cycle as [{ agent: AgentFacts; edge: Edge }];
        const text = cycle.map((f) => `${f.agent.name} consumes ${f.edge.artifact}`).join(' ← ');
        findings.push({ path: ['agents', first.agent.name, 'consumes', first.edge.index], message: `cycle: ${text} ← ${first.agent.name}` });
      }
      return;
    }
    if (done.has(agent)) return;
    const frame: { agent: AgentFacts; edge?: Edge } = { agent };
    stack.push(frame);
    for (const edge of edgesOf(agent)) {
      frame.edge = edge;
      visit(edge.to);
    }
    stack.pop();
    done.add(agent);
  };
  for (const agent of subagents) visit(agent);
  return findings;
}
