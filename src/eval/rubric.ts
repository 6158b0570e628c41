/**
 * Rubric expectations, judged by the orchestrator's model with the same judge as artifact
 * `checks` (src/llm/judge.ts). Without `orchestrator.model` a rubric is not judged: the case says
 * so and its other expectations still count.
 */
import { errorMessage } from '../core/errors.ts';
import type { Manifest, PlanTask } from '../core/types.ts';
import type { ModelResolver } from '../llm/model-config.ts';
import type { Difference } from './types.ts';

/** Judges one value against rubrics: the rubrics that failed, as differences. */
export type RubricJudge = (subject: Pick<PlanTask, 'title' | 'instructions'>, name: string, value: unknown, rubrics: string[], signal: AbortSignal) => Promise<Difference[]>;

/** The judge of a manifest's rubric expectations, or why there is none. */
export type RubricJudging = { judge: RubricJudge } | { skip: string };

/**
 * The judge for rubric expectations: the orchestrator's model, resolved now so a missing key stops
 * the suite before any case runs. The LLM code is loaded only when a rubric is to be judged.
 */
export async function rubricJudging(manifest: Manifest, resolver?: ModelResolver): Promise<RubricJudging> {
  const id = manifest.orchestrator.model;
  if (!id) return { skip: `rubric not judged: ${manifest.file ?? 'the manifest'} has no orchestrator.model to judge it with` };
  const [{ judgeRubrics }, { fieldOf, resolveModel }] = await Promise.all([import('../llm/judge.ts'), import('../llm/model-config.ts')]);
  const model = (resolver ?? resolveModel)(id, fieldOf('orchestrator.model', manifest.file));
  const judge: RubricJudge = async (subject, name, value, rubrics, signal) => {
    let verdicts;
    try {
      verdicts = await judgeRubrics(model, manifest, subject, name, value, rubrics, signal, undefined);
    } catch (e) {
      return [{ expectation: 'rubric', message: `the judge (${model.id}) failed: ${errorMessage(e)}` }];
    }
    return rubrics.flatMap((rubric, i): Difference[] => {
      const verdict = verdicts.find((v) => v.rubric === i + 1);
      if (!verdict) return [{ expectation: 'rubric', expected: rubric, message: `rubric "${rubric}": the judge gave no verdict` }];
      return verdict.pass ? [] : [{ expectation: 'rubric', expected: rubric, actual: verdict.reason, message: `rubric "${rubric}" failed: ${verdict.reason}` }];
    });
  };
  return { judge };
}
