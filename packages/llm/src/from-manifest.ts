import type { ExtraCheck, Manifest, Planner } from 'batonjs/internal';
import { createJudge, hasJudgedChecks } from './judge.ts';
import { fieldOf, resolveModel } from './model-config.ts';
import { LlmPlanner } from './planning/llm-planner.ts';

/** The LLM planner over the manifest's `orchestrator.model`; a missing key or model is an error naming what to set. */
export function createLlmPlanner(manifest: Manifest): Planner {
  const id = manifest.orchestrator.model;
  return new LlmPlanner({ model: resolveModel(id ?? '', fieldOf('orchestrator.model', manifest.file)) });
}

/** The judge of `checks: [{ rubric }]`, when the orchestrator has a model and some artifact has checks. */
export function createJudgeIfNeeded(manifest: Manifest): ExtraCheck | undefined {
  return manifest.orchestrator.model && hasJudgedChecks(manifest) ? createJudge(manifest) : undefined;
}
