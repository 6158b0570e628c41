import type { ExtraCheck, LlmOptions, Manifest, Planner, RubricJudge } from 'batonjs/internal';
import { createJudge, hasJudgedChecks, judgeRubrics } from './judge.ts';
import { fieldOf, resolveModel } from './model-config.ts';
import type { ModelResolver } from './model-config.ts';
import { LlmPlanner } from './planning/llm-planner.ts';

const resolverOf = (options: LlmOptions): ModelResolver => (options.resolveModel as ModelResolver | undefined) ?? resolveModel;

/** The LLM planner over the manifest's `orchestrator.model`; a missing key or model is an error naming what to set. */
export function createLlmPlanner(manifest: Manifest, options: LlmOptions = {}): Planner {
  const id = manifest.orchestrator.model;
  if (options.resolveModel) return new LlmPlanner({ resolveModel: resolverOf(options) });
  return new LlmPlanner({ model: resolveModel(id ?? '', fieldOf('orchestrator.model', manifest.file)) });
}

/** The judge of `checks: [{ rubric }]`, when the orchestrator has a model and some artifact has checks. */
export function createJudgeIfNeeded(manifest: Manifest, options: LlmOptions = {}): ExtraCheck | undefined {
  if (!manifest.orchestrator.model || !hasJudgedChecks(manifest)) return undefined;
  return createJudge(manifest, options.resolveModel ? { resolveModel: resolverOf(options) } : {});
}

/** Judges values against rubrics (eval suites) with `orchestrator.model`, resolved now so a missing key stops at once. */
export function createRubricJudge(manifest: Manifest, options: LlmOptions = {}): { modelId: string; judge: RubricJudge } {
  const model = resolverOf(options)(manifest.orchestrator.model ?? '', fieldOf('orchestrator.model', manifest.file));
  return {
    modelId: model.id,
    judge: (subject, name, value, rubrics, signal) => judgeRubrics(model, manifest, subject, name, value, rubrics, signal, undefined),
  };
}
