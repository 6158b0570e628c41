import type { Manifest } from '../core/types.ts';

/**
 * True when the manifest has a model and some artifact of a sub-agent has rubric checks
 * (`output.<artifact>.checks`): only then is batonjs-llm needed to judge outputs, so a manifest
 * with a model run with `--planner builtin` works where only the core is installed.
 */
export function hasJudgedChecks(manifest: Manifest): boolean {
  return Boolean(manifest.orchestrator.model) && Object.values(manifest.agents).some((a) => Object.values(a.output).some((o) => (o.checks?.length ?? 0) > 0));
}
