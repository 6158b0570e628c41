/**
 * Load-time rules for how a run is steered (DESIGN section 9): the run parameters' schema compiles
 * and describes an object; every workflow is a plan that would run. Read leniently, like the other
 * cross-field rules, except workflows, whose plans are checked on the built manifest.
 */
import { errorMessage } from '../core/errors.ts';
import type { Manifest, Workflow } from '../core/types.ts';
import { completePlan } from '../planning/fixed-plan.ts';
import { validatePlan } from '../planning/validate-plan.ts';
import { compileSchemaWithDefaults } from '../validation/schema-compiler.ts';
import { describeValue } from './describe.ts';
import type { Finding } from './findings.ts';
import { asRecord, isRecord } from './lenient.ts';
import { checkParamsDeclarations } from './params-rules.ts';
import { AGENT_NAME_PATTERN } from './agent-names.ts';
import type { ParsedWorkflow } from './schema.ts';

/**
 * Checks `orchestrator.params`: a JSON Schema of `type: object` that compiles, whose defaults fit
 * their properties and whose required parameters a run can give.
 */
export function checkParamsSchema(manifest: unknown): Finding[] {
  const params = asRecord(asRecord(manifest)['orchestrator'])['params'];
  if (!isRecord(params)) return [];
  const findings: Finding[] = [];
  if (params['type'] !== 'object') {
    findings.push({
      path: ['orchestrator', 'params', 'type'],
      message: `expected type: object (the run parameters are a mapping of names to values, with properties: under it), got ${describeValue(params['type'])}`,
    });
  }
  try {
    compileSchemaWithDefaults(params);
  } catch (e) {
    findings.push({ path: ['orchestrator', 'params'], message: `not a valid JSON Schema: ${errorMessage(e)}` });
    return findings;
  }
  return [...findings, ...checkParamsDeclarations(params)];
}

/** Workflow names read like agent names: they are typed on command lines. */
export function checkWorkflowNames(manifest: unknown): Finding[] {
  return Object.keys(asRecord(asRecord(manifest)['workflows']))
    .filter((name) => !AGENT_NAME_PATTERN.test(name))
    .map((name) => ({ path: ['workflows', name], at: 'key' as const, message: `expected a workflow name of lower-case letters, digits, - and _, starting with a letter, got "${name}"` }));
}

/**
 * The manifest's workflows as plans, each completed from its agents and checked with the rules of
 * every plan; a problem names the workflow and the task (`workflows.quick.tasks[1]`).
 */
export function buildWorkflows(parsed: Record<string, ParsedWorkflow> | undefined, manifest: Manifest): { workflows?: Record<string, Workflow>; findings: Finding[] } {
  if (parsed === undefined) return { findings: [] };
  const workflows: Record<string, Workflow> = {};
  const findings: Finding[] = [];
  for (const [name, w] of Object.entries(parsed)) {
    const plan = completePlan({ tasks: w.tasks }, manifest);
    for (const p of validatePlan(plan, manifest)) {
      const index = p.taskId === undefined ? -1 : plan.tasks.findIndex((t) => t.id === p.taskId);
      findings.push({ path: index < 0 ? ['workflows', name] : ['workflows', name, 'tasks', index], message: p.message });
    }
    workflows[name] = { name, ...(w.description === undefined ? {} : { description: w.description }), plan };
  }
  return { workflows, findings };
}
