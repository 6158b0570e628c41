import path from 'node:path';
import type { Manifest } from '../core/types.ts';

/** Where the manifest declares rubric checks: `agents.<name>.output.<artifact>.checks`, in order. */
function checkedOutputs(manifest: Manifest): string[] {
  const places: string[] = [];
  for (const [name, agent] of Object.entries(manifest.agents)) {
    for (const [artifact, output] of Object.entries(agent.output)) {
      if ((output.checks?.length ?? 0) > 0) places.push(`agents.${name}.output.${artifact}.checks`);
    }
  }
  return places;
}

/**
 * True when the manifest has a model and some artifact of a sub-agent has rubric checks
 * (`output.<artifact>.checks`): only then is batonjs-llm needed to judge outputs, so a manifest
 * with a model run with `--planner builtin` works where only the core is installed.
 */
export function hasJudgedChecks(manifest: Manifest): boolean {
  return Boolean(manifest.orchestrator.model) && checkedOutputs(manifest).length > 0;
}

/**
 * The warning for rubric checks nobody will judge (the orchestrator has no model), naming where
 * they are declared; undefined when there are none. Outputs are still checked against their
 * schemas: only the rubrics are left out, which a user who wrote them should hear of.
 */
export function unjudgedChecksWarning(manifest: Manifest): string | undefined {
  if (manifest.orchestrator.model) return undefined;
  const places = checkedOutputs(manifest);
  if (places.length === 0) return undefined;
  const named = places.length > 3 ? `${places.slice(0, 3).join(', ')} and ${places.length - 3} more` : places.join(', ');
  const file = manifest.file ? path.basename(manifest.file) : 'the manifest';
  return `rubric checks are not judged without a model: ${named} in ${file}; set orchestrator.model (e.g. openai:gpt-4o-mini) to judge them, or remove them`;
}
