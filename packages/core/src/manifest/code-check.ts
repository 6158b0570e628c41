/**
 * The manifest's rules for numbers and names, applied to what code gives instead of a manifest file
 * (`createOrchestrator({ policy })`, `defineAgent({ ... })`): the same values are refused, with the
 * same words, wherever they come from. Written without zod: importing Baton's main entry does not
 * load it (see planning/plan-input-schema.ts).
 */
import { MIN_AGENT_MEMORY_MB } from '../core/defaults.ts';
import { describeValue, didYouMean } from './describe.ts';

type Rule = (value: unknown) => string | undefined;

const integer =
  (min: 0 | 1): Rule =>
  (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return `expected an integer, got ${describeValue(v)}`;
    if (v < min) return `expected a number ${min === 0 ? 'at least 0' : 'greater than 0'}, got ${describeValue(v)}`;
    return undefined;
  };

const numberWithin =
  (min: number, max: number): Rule =>
  (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return `expected a number, got ${describeValue(v)}`;
    if (v < min || v > max) return `expected a number ${max === Infinity ? `at least ${min}` : `from ${min} to ${max}`}, got ${describeValue(v)}`;
    return undefined;
  };

const oneOf =
  (...options: string[]): Rule =>
  (v) =>
    typeof v === 'string' && options.includes(v) ? undefined : `expected ${options.length === 1 ? options[0] : `one of ${options.join(' | ')}`}, got ${describeValue(v)}`;

const text: Rule = (v) => (typeof v === 'string' && v.length > 0 ? undefined : `expected a non-empty string, got ${describeValue(v)}`);

const names =
  (atLeastOne: boolean): Rule =>
  (v) => {
    if (!Array.isArray(v)) return `expected a list of names, got ${describeValue(v)}`;
    if (atLeastOne && v.length === 0) return 'expected at least one artifact type, got an empty list';
    const bad = v.findIndex((n) => typeof n !== 'string' || n.length === 0);
    return bad < 0 ? undefined : `[${bad}]: expected a non-empty string, got ${describeValue(v[bad])}`;
  };

const POLICY: Record<string, Rule> = {
  maxParallel: integer(1),
  retries: integer(0),
  taskTimeoutMs: integer(1),
  runTimeoutMs: integer(1),
  maxOutputBytes: integer(1),
  maxTokens: integer(1),
  maxLlmCalls: integer(1),
  maxReplans: integer(0),
  approval: oneOf('none', 'plan'),
  approvalTimeoutMs: integer(1),
};

const BACKOFF: Record<string, Rule> = {
  initialDelayMs: integer(0),
  factor: numberWithin(1, Infinity),
  maxDelayMs: integer(0),
  jitter: numberWithin(0, 1),
};

const AGENT_REQUIRED: Record<string, Rule> = { name: text, description: text, produces: names(true) };

const AGENT_OPTIONAL: Record<string, Rule> = {
  version: text,
  capabilities: names(false),
  consumes: names(false),
  fallback: names(false),
  timeoutMs: integer(1),
  retries: integer(0),
  approval: oneOf('required'),
};

/** What is wrong with a policy given in code, each as "policy.field: what was expected, got what"; [] when nothing. */
export function policyProblems(policy: unknown): string[] {
  if (policy === undefined) return [];
  if (!isMapping(policy)) return [`policy: expected a mapping, got ${describeValue(policy)}`];
  const problems = fieldProblems(policy, POLICY, 'policy', ['backoff']);
  const { backoff } = policy;
  if (backoff !== undefined) {
    if (!isMapping(backoff)) problems.push(`policy.backoff: expected a mapping, got ${describeValue(backoff)}`);
    else problems.push(...fieldProblems(backoff, BACKOFF, 'policy.backoff', []));
  }
  return problems;
}

/** What is wrong with an agent definition given in code (name, description, produces, timeoutMs, retries...); [] when nothing. */
export function agentDefinitionProblems(definition: unknown): string[] {
  if (!isMapping(definition)) return [`expected an agent definition { name, description, produces, run }, got ${describeValue(definition)}`];
  const problems: string[] = [];
  for (const [field, rule] of Object.entries(AGENT_REQUIRED)) {
    const value = definition[field];
    if (value === undefined) problems.push(`${field}: missing`);
    else problems.push(...wrong(field, rule(value)));
  }
  for (const [field, rule] of Object.entries(AGENT_OPTIONAL)) {
    if (definition[field] !== undefined) problems.push(...wrong(field, rule(definition[field])));
  }
  return problems;
}

/** Checks the fields of `record` that have rules; any other field is a problem unless it is one of `others`. */
function fieldProblems(record: Record<string, unknown>, rules: Record<string, Rule>, at: string, others: string[]): string[] {
  const problems: string[] = [];
  const known = [...Object.keys(rules), ...others];
  for (const [field, value] of Object.entries(record)) {
    const rule = Object.hasOwn(rules, field) ? rules[field] : undefined;
    if (rule) {
      if (value !== undefined) problems.push(...wrong(`${at}.${field}`, rule(value)));
    } else if (!others.includes(field)) {
      problems.push(`${at}: unknown key "${field}"${didYouMean(field, known)}; expected one of: ${known.join(', ')}`);
    }
  }
  return problems;
}

function wrong(field: string, problem: string | undefined): string[] {
  if (problem === undefined) return [];
  return [problem.startsWith('[') ? `${field}${problem}` : `${field}: ${problem}`];
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Why a module agent's `maxMemoryMb` needs `isolation: process` (the manifest's checks say it too).
 * A worker thread's heap limit is no safe bound: when a thread reaches it while growing one Map,
 * Set, object or array, V8 ends the whole process (checked on Node 20 and 24; nodejs/node#47224).
 */
export const MEMORY_LIMIT_WITHOUT_PROCESS =
  "needs isolation: process: a limit on a worker thread's heap would not protect Baton, as Node ends the whole process when some allocations reach it (nodejs/node#47224)";

/** What is wrong with a module agent's `maxMemoryMb` given in code, as "maxMemoryMb: ..."; undefined when nothing. */
export function memoryLimitProblem(spec: { isolation?: unknown; maxMemoryMb?: unknown }): string | undefined {
  const limit = spec.maxMemoryMb;
  if (limit === undefined) return undefined;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < MIN_AGENT_MEMORY_MB) return `maxMemoryMb: expected a whole number of MB, at least ${MIN_AGENT_MEMORY_MB}, got ${describeValue(limit)}`;
  return spec.isolation === 'process' ? undefined : `maxMemoryMb: ${MEMORY_LIMIT_WITHOUT_PROCESS}`;
}
