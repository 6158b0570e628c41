/**
 * Rubric expectations, judged by the orchestrator's model with the same judge as artifact
 * `checks` (src/llm/judge.ts). Without `orchestrator.model` a rubric is not judged: the case says
 * so and its other expectations still count.
 */
import { MAX_TIMER_MS } from '../core/defaults.ts';
import { errorMessage } from '../core/errors.ts';
import type { Manifest, PlanTask } from '../core/types.ts';
import { importOptional } from '../core/optional.ts';
import type { ModelResolver } from '../core/optional.ts';
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
  const llm = await importOptional('batonjs-llm', 'rubric expectations (judged by orchestrator.model)');
  const model = llm.createRubricJudge(manifest, resolver ? { resolveModel: resolver } : {});
  const limitMs = manifest.orchestrator.policy.taskTimeoutMs;
  const judge: RubricJudge = async (subject, name, value, rubrics, signal) => {
    // Bounded as a judge inside an attempt is: a judge's server that never answers fails the case,
    // where the suite would wait for it for good. Within what a timer holds (past it, 1 ms).
    const bound = AbortSignal.timeout(Math.min(limitMs, MAX_TIMER_MS));
    let verdicts;
    try {
      verdicts = await model.judge(subject, name, value, rubrics, AbortSignal.any([signal, bound]));
    } catch (e) {
      if (bound.aborted && !signal.aborted) return [{ expectation: 'rubric', message: `the judge (${model.modelId}) gave no verdict within ${limitMs} ms (policy.taskTimeoutMs)` }];
      // The judge's own errors name it already ("the judge (...) gave an unreadable verdict ...").
      const why = errorMessage(e);
      return [{ expectation: 'rubric', message: why.startsWith(`the judge (${model.modelId})`) ? why : `the judge (${model.modelId}) failed: ${why}` }];
    }
    return rubrics.flatMap((rubric, i): Difference[] => {
      const verdict = verdicts.find((v) => v.rubric === i + 1);
      if (!verdict) return [{ expectation: 'rubric', expected: rubric, message: `rubric "${rubric}": the judge gave no verdict` }];
      return verdict.pass ? [] : [{ expectation: 'rubric', expected: rubric, actual: verdict.reason, message: `rubric "${rubric}" failed: ${verdict.reason}` }];
    });
  };
  return { judge };
}
