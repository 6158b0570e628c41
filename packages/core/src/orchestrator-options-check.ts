import { BatonError } from './core/errors.ts';
import { policyProblems } from './manifest/code-check.ts';
import { describeValue } from './manifest/describe.ts';
import type { OrchestratorOptions } from './orchestrator-options.ts';

const STORE_METHODS = ['createRun', 'append', 'readEvents', 'getRun', 'listRuns', 'close'] as const;

/**
 * Checks the parts an orchestrator is built from before any run uses them, so that a string where
 * a journal belongs, or a journal's promise not yet awaited, fails at construction with the
 * option's name and what to pass instead, not deep inside the first run.
 */
export function checkOrchestratorOptions(options: OrchestratorOptions): void {
  if (typeof options !== 'object' || options === null) throw invalid([`options: expected an object, got ${describeValue(options)}`]);
  const problems = partProblems(options);
  if (typeof options.manifest !== 'object' || options.manifest === null || typeof options.manifest.orchestrator !== 'object' || options.manifest.orchestrator === null) {
    problems.unshift(`manifest: expected a manifest (from loadManifest(), or use createOrchestrator({ name, agents })), got ${describeValue(options.manifest)}`);
  } else {
    problems.unshift(...manifestProblems(options.manifest));
  }
  if (problems.length > 0) throw invalid(problems);
}

/**
 * What a manifest object built by hand lacks that a loaded one always has: the fields the run
 * reads without checking again, and a policy within the manifest's rules. Without this, such a
 * manifest failed inside its first run ("subagents is not iterable") or in the constructor.
 */
function manifestProblems(manifest: object): string[] {
  const { orchestrator, agents } = manifest as { orchestrator: Record<string, unknown>; agents?: unknown };
  const problems: string[] = [];
  const at = (field: string, expected: string, value: unknown): void => {
    problems.push(`manifest.${field}: expected ${expected}, got ${describeValue(value)}`);
  };
  if (typeof orchestrator.name !== 'string' || orchestrator.name === '') at('orchestrator.name', 'a non-empty string', orchestrator.name);
  for (const field of ['subagents', 'deliverable'] as const) {
    const names = orchestrator[field];
    if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) at(`orchestrator.${field}`, 'a list of names', names);
  }
  const { policy } = orchestrator;
  if (typeof policy !== 'object' || policy === null) at('orchestrator.policy', 'a policy (maxParallel, retries, taskTimeoutMs, runTimeoutMs, backoff)', policy);
  else {
    problems.push(...policyProblems(policy).map((p) => `manifest.orchestrator.${p}`));
    for (const field of ['maxParallel', 'retries', 'taskTimeoutMs', 'runTimeoutMs', 'backoff'] as const) {
      if ((policy as Record<string, unknown>)[field] === undefined) problems.push(`manifest.orchestrator.policy.${field}: missing`);
    }
  }
  if (typeof agents !== 'object' || agents === null || Array.isArray(agents)) at('agents', 'a mapping of agent specs by name', agents);
  if (problems.length > 0) problems.push('manifest: build it with loadManifest(), or use createOrchestrator({ name, agents }), which fill these in');
  return problems;
}

/** The same checks for `createOrchestrator`'s options, which carry a name and agents instead of a manifest. */
export function checkCodeOrchestratorOptions(options: Omit<OrchestratorOptions, 'manifest'> & { name?: unknown }): void {
  if (typeof options !== 'object' || options === null) throw invalid([`options: expected an object, got ${describeValue(options)}`]);
  const problems = partProblems(options);
  if (typeof options.name !== 'string' || options.name.trim() === '') problems.unshift(`name: expected the orchestrator's name, got ${describeValue(options.name)}`);
  if (options.agents === undefined) problems.push('agents: expected an array of agents (defineAgent(...)), got nothing');
  if (problems.length > 0) throw invalid(problems);
}

function partProblems(options: Omit<OrchestratorOptions, 'manifest'>): string[] {
  const problems: string[] = [];
  if (options.store !== undefined) problems.push(...storeProblems(options.store));
  if (options.planner !== undefined && typeof (options.planner as { plan?: unknown } | null)?.plan !== 'function') {
    problems.push(`planner: expected an object with a plan(goal, manifest) method, got ${describeValue(options.planner)}`);
  }
  if (options.integrator !== undefined && typeof options.integrator !== 'function') {
    problems.push(`integrator: expected a function (input) => deliverable, got ${describeValue(options.integrator)}`);
  }
  if (options.extraChecks !== undefined && typeof options.extraChecks !== 'function') {
    problems.push(`extraChecks: expected a function, got ${describeValue(options.extraChecks)}`);
  }
  if (options.outDir !== undefined && typeof options.outDir !== 'string' && typeof options.outDir !== 'function') {
    problems.push(`outDir: expected a folder path or a function of the run id, got ${describeValue(options.outDir)}`);
  }
  if (options.agents !== undefined) {
    if (!Array.isArray(options.agents)) problems.push(`agents: expected an array of agents (defineAgent(...)), got ${describeValue(options.agents)}`);
    else {
      options.agents.forEach((agent: unknown, i) => {
        const a = agent as { spec?: { name?: unknown }; run?: unknown } | null;
        if (typeof a !== 'object' || a === null || typeof a.spec?.name !== 'string' || typeof a.run !== 'function') {
          problems.push(`agents[${i}]: expected an agent with a spec and a run(input, ctx) method (defineAgent(...)), got ${describeValue(agent)}`);
        }
      });
    }
  }
  return problems;
}

function storeProblems(store: unknown): string[] {
  if (typeof (store as { then?: unknown } | null)?.then === 'function') {
    return ['store: got a promise; await it first (const store = await openStore(...))'];
  }
  if (typeof store === 'string') {
    return [`store: expected a journal object, got the string '${store.slice(0, 80)}'; pass await openStore('${store.slice(0, 80)}')`];
  }
  if (typeof store !== 'object' || store === null) return [`store: expected a journal object (await openStore(...)), got ${describeValue(store)}`];
  const missing = STORE_METHODS.filter((m) => typeof (store as Record<string, unknown>)[m] !== 'function');
  return missing.length === 0 ? [] : [`store: not a journal: it has no ${missing.join(', ')} method${missing.length > 1 ? 's' : ''} (expected a RunStore, e.g. await openStore(...))`];
}

function invalid(problems: string[]): BatonError {
  return new BatonError('BAD_REQUEST', `invalid orchestrator options: ${problems.join('; ')}`, { retryable: false, details: problems });
}
