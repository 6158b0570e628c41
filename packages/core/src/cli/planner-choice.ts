import type { Planner } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import { importOptional } from '../core/optional.ts';
import type { ExtraCheck } from '../core/optional.ts';
import type { Manifest } from '../core/types.ts';
import { hasJudgedChecks } from '../manifest/rubric-checks.ts';
import { BuiltinPlanner } from '../planning/builtin-planner.ts';

/**
 * The planner for `--planner`: `builtin`, `llm`, or (when omitted) the LLM planner if the
 * orchestrator has a model, else the builtin one. The LLM planner's model is resolved here, so a
 * missing key stops the command before anything runs, naming the variable to set.
 */
export async function createPlanner(choice: string | undefined, manifest: Manifest): Promise<Planner | undefined> {
  const wanted = choice ?? (manifest.orchestrator.model ? 'llm' : 'builtin');
  if (wanted === 'builtin') return new BuiltinPlanner();
  if (wanted === 'llm') {
    if (!manifest.orchestrator.model) {
      throw new BatonError('BAD_REQUEST', `--planner llm needs orchestrator.model in ${manifest.file ?? 'the manifest'} (e.g. model: openai:gpt-4o-mini)`, { retryable: false });
    }
    // Loaded on demand: runs without a model never load the AI SDK.
    return (await importOptional('batonjs-llm', 'the LLM planner (orchestrator.model)')).createLlmPlanner(manifest);
  }
  throw new BatonError('BAD_REQUEST', `--planner must be builtin or llm, got '${wanted}'`, { retryable: false });
}

/** The judge of rubric checks (`output.<artifact>.checks`), when the orchestrator has a model and some artifact has checks. */
export async function createJudgeIfNeeded(manifest: Manifest): Promise<ExtraCheck | undefined> {
  if (!hasJudgedChecks(manifest)) return undefined;
  return (await importOptional('batonjs-llm', 'rubric checks judged by orchestrator.model')).createJudgeIfNeeded(manifest);
}
