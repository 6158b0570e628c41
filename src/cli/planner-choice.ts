import type { Planner } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import type { Manifest } from '../core/types.ts';
import { BuiltinPlanner } from '../planning/builtin-planner.ts';

/**
 * The planner for `--planner`: `builtin`, `llm`, or (when omitted) the LLM planner if the
 * orchestrator has a model, else the builtin one.
 */
export async function createPlanner(choice: string | undefined, manifest: Manifest): Promise<Planner | undefined> {
  const wanted = choice ?? (manifest.orchestrator.model ? 'llm' : 'builtin');
  if (wanted === 'builtin') return new BuiltinPlanner();
  if (wanted === 'llm') {
    if (!manifest.orchestrator.model) {
      throw new BatonError('BAD_REQUEST', `--planner llm needs orchestrator.model in ${manifest.file ?? 'the manifest'} (e.g. model: openai:gpt-4o-mini)`, { retryable: false });
    }
    throw new BatonError('MODEL_NOT_CONFIGURED', 'this build of Baton has no LLM planner yet; use --planner builtin', { retryable: false });
  }
  throw new BatonError('BAD_REQUEST', `--planner must be builtin or llm, got '${wanted}'`, { retryable: false });
}
