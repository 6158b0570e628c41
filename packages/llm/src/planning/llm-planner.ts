/**
 * The LLM planner: the orchestrator's model turns a goal into a plan, as structured output,
 * checked by the same validation as builtin plans. An invalid plan goes back once with the exact
 * problems; a second failure falls back to the builtin planner, and the outcome says why.
 */
import type { ModelMessage } from 'ai';
import type { Planner, PlanOutcome, ReplanRequest } from 'batonjs/internal';
import { BatonError, errorMessage, MAX_TIMER_MS } from 'batonjs/internal';
import type { Manifest, Plan, Usage } from 'batonjs/internal';
import { fieldOf, resolveModel } from '../model-config.ts';
import { modelFailureDetails } from '../model-error.ts';
import type { ModelFailureDetails } from '../model-error.ts';
import type { ModelResolver, ResolvedModel } from '../model-config.ts';
import { structuredCall } from '../structured-call.ts';
import { sumUsage } from '../usage.ts';
import { BuiltinPlanner } from 'batonjs/internal';
import { excludedByGoal } from 'batonjs/internal';
import { goalRefused } from 'batonjs/internal';
import { LLM_PLAN_JSON_SCHEMA, readPlanReply } from './llm-plan-schema.ts';
import { planPrompt, plannerSystem, repairPrompt, replanPrompt } from './llm-plan-prompt.ts';
import { checkReplanProgress, renameReusedIds } from 'batonjs/internal';
import { validatePlan } from 'batonjs/internal';
import type { PlanProblem } from 'batonjs/internal';

export interface LlmPlannerOptions {
  /** The model to plan with; default: the manifest's `orchestrator.model`, resolved from the environment. */
  model?: ResolvedModel;
  /** How to turn `orchestrator.model` into a model when `model` is not given. */
  resolveModel?: ModelResolver;
  /** Used when the model's plan is invalid twice or the model cannot be reached. Default: builtin. */
  fallback?: Planner;
  /** Transport retries of each model call (default 2: the planner has no retry ladder). */
  maxRetries?: number;
}

/** What one planning conversation ended with. */
type Attempted =
  | { ok: true; plan: Plan; repaired: boolean; usage: Usage }
  | { ok: false; problems: PlanProblem[]; usage: Usage; error?: string; refused?: string; failure?: ModelFailureDetails };

/** Plans (and re-plans) with the orchestrator's model. */
export class LlmPlanner implements Planner {
  readonly name = 'llm' as const;
  private readonly fallback: Planner;
  private model: ResolvedModel | undefined;

  constructor(private readonly options: LlmPlannerOptions = {}) {
    this.model = options.model;
    this.fallback = options.fallback ?? new BuiltinPlanner();
  }

  /**
   * Plans a goal. The artifacts the goal rules out (as the builtin planner reads them, plus those
   * the model lists in `excluded`) become the plan's `excluded`, and a plan that delivers one goes
   * back to the model as invalid.
   *
   * @throws BatonError `GOAL_REFUSED` when the model refuses the goal (it asks for nothing the
   *   sub-agents make); the message gives the model's reason and what the orchestrator can produce.
   */
  async plan(goal: string, manifest: Manifest, options: { signal?: AbortSignal } = {}): Promise<PlanOutcome> {
    const model = this.modelFor(manifest);
    const ruledOut = excludedByGoal(goal, manifest);
    const normalize = (plan: Plan): Plan => withExcluded(plan, ruledOut);
    const result = await this.converse(model, manifest, planPrompt(goal, manifest), [], options.signal, (plan) => validatePlan(plan, manifest), normalize);
    if (!result.ok && result.refused !== undefined) {
      // Its calls count though no plan came of them (`details.usage`, as a re-planner's refusal).
      throw goalRefused(manifest, `the LLM planner (${model.id}) found nothing in it that the sub-agents make (${result.refused.replace(/\.$/, '')})`, { goal, planner: 'llm', usage: result.usage });
    }
    if (result.ok) {
      const note = result.repaired ? `planned by ${model.id}; its first plan was invalid and was repaired` : `planned by ${model.id}`;
      return { plan: withNote(result.plan, note), planner: 'llm', reason: note, usage: result.usage };
    }
    const why = result.error
      ? `the LLM planner (${model.id}) failed: ${result.error}`
      : `the LLM plan was invalid twice (${summarize(result.problems)})`;
    let fallback: PlanOutcome;
    try {
      fallback = await this.fallback.plan(goal, manifest, options);
    } catch (e) {
      // A refusal by the fallback says why it was the fallback that read the goal.
      if (!BatonError.isInstance(e) || e.code !== 'GOAL_REFUSED') throw e;
      const details = { ...(e.details as Record<string, unknown> | undefined), usage: result.usage };
      throw new BatonError('GOAL_REFUSED', `${e.message} (refused by the ${this.fallback.name} planner, which planned because ${why})`, { retryable: false, cause: e, details });
    }
    const reason = `${why}; fell back to the ${fallback.planner} planner`;
    return { ...fallback, plan: withNote(fallback.plan, reason), reason, usage: sumUsage([result.usage, ...(fallback.usage ? [fallback.usage] : [])]) };
  }

  /**
   * Plans the remaining work after tasks failed for good. Ids of tasks that did not succeed are
   * renamed (they cannot run again under the same id); a plan that gives failed work back to the
   * agent that failed is rejected as no progress.
   *
   * @throws BatonError `PLAN_INVALID` when no valid new plan came out of two tries, or
   *   `GOAL_UNSATISFIABLE` when the model says there is no other way; the message says why.
   */
  async replan(request: ReplanRequest, options: { signal?: AbortSignal } = {}): Promise<PlanOutcome | undefined> {
    const model = this.modelFor(request.manifest);
    const check = (plan: Plan): PlanProblem[] => {
      if (plan.tasks.length === 0) return [];
      return [...validatePlan(plan, request.manifest, request.produced), ...checkReplanProgress(plan, request)];
    };
    const ruledOut = [...(request.previous.excluded ?? []), ...excludedByGoal(request.goal, request.manifest)];
    const normalize = (plan: Plan): Plan => withExcluded(renameReusedIds(plan, request), ruledOut);
    const result = await this.converse(model, request.manifest, replanPrompt(request), [], options.signal, check, normalize);
    if (!result.ok) {
      if (result.refused !== undefined) {
        throw new BatonError('GOAL_UNSATISFIABLE', `the LLM re-planner (${model.id}) found no other way to reach the goal: ${result.refused}`, spent(result.usage));
      }
      const why = result.error ?? `its new plan was invalid twice (${summarize(result.problems)})`;
      throw new BatonError('PLAN_INVALID', `the LLM re-planner (${model.id}) found no usable plan: ${why}`, spent(result.usage, result.failure));
    }
    if (result.plan.tasks.length === 0) {
      const notes = result.plan.notes?.join('; ') || 'no reason given';
      throw new BatonError('GOAL_UNSATISFIABLE', `the LLM re-planner (${model.id}) found no other way to reach the goal: ${notes}`, spent(result.usage));
    }
    const failed = request.failed.map((f) => f.taskId).join(', ');
    const reason = `re-planned by ${model.id} after ${failed} failed for good`;
    return { plan: withNote(result.plan, reason), planner: 'llm', reason, usage: result.usage };
  }

  private modelFor(manifest: Manifest): ResolvedModel {
    if (this.model) return this.model;
    const id = manifest.orchestrator.model;
    const where = fieldOf('orchestrator.model', manifest.file);
    if (!id) throw new BatonError('MODEL_NOT_CONFIGURED', `the LLM planner needs ${where} (e.g. model: openai:gpt-4o-mini)`, { retryable: false });
    this.model = (this.options.resolveModel ?? resolveModel)(id, where);
    return this.model;
  }

  /**
   * Asks for a plan; if it is invalid, sends it back once with the problems. Both rounds together
   * are bounded by `policy.taskTimeoutMs`, as one attempt of an agent is: a model that hangs, or
   * asks to be retried much later, is given up on (the plan then falls back), while the run's own
   * signal still stops it at once.
   */
  private async converse(
    model: ResolvedModel,
    manifest: Manifest,
    prompt: string,
    history: ModelMessage[],
    signal: AbortSignal | undefined,
    check: (plan: Plan) => PlanProblem[],
    normalize: (plan: Plan) => Plan = (p) => p,
  ): Promise<Attempted> {
    const usage: Usage[] = [];
    const messages: ModelMessage[] = [...history, { role: 'user', content: prompt }];
    const limitMs = manifest.orchestrator.policy.taskTimeoutMs;
    // Within what a timer holds: past it, Node fires the timeout after 1 ms.
    const bound = AbortSignal.timeout(Math.min(limitMs, MAX_TIMER_MS));
    const callSignal = signal ? AbortSignal.any([signal, bound]) : bound;
    let problems: PlanProblem[] = [];
    for (let round = 0; round < 2; round++) {
      let reply;
      try {
        reply = await structuredCall({
          model,
          system: plannerSystem(manifest),
          messages,
          schema: LLM_PLAN_JSON_SCHEMA,
          schemaName: 'plan',
          maxRetries: this.options.maxRetries ?? 2,
          onUsage: (u) => usage.push(u),
          signal: callSignal,
        });
      } catch (e) {
        if (signal?.aborted) throw e;
        if (bound.aborted) return { ok: false, problems, usage: sumUsage(usage), error: `no plan within ${limitMs} ms (policy.taskTimeoutMs)` };
        const failure = modelFailureDetails(e);
        return { ok: false, problems, usage: sumUsage(usage), error: errorMessage(e), ...(failure ? { failure } : {}) };
      }
      let plan: Plan | undefined;
      if (reply.ok) {
        const read = readPlanReply(reply.value);
        if ('refused' in read) return { ok: false, problems: [], usage: sumUsage(usage), refused: read.refused };
        if ('plan' in read) plan = normalize(read.plan);
        problems = 'plan' in read ? check(plan!) : read.problems;
      } else {
        problems = [{ message: reply.problem }];
      }
      if (plan && problems.length === 0) return { ok: true, plan, repaired: round > 0, usage: sumUsage(usage) };
      messages.push({ role: 'assistant', content: reply.text ?? '' }, { role: 'user', content: repairPrompt(problems) });
    }
    return { ok: false, problems, usage: sumUsage(usage) };
  }
}

/** The plan with the goal's exclusions added to those the model listed. */
function withExcluded(plan: Plan, ruledOut: readonly string[]): Plan {
  const excluded = [...new Set([...(plan.excluded ?? []), ...ruledOut])];
  return excluded.length > 0 ? { ...plan, excluded } : plan;
}

function withNote(plan: Plan, note: string): Plan {
  return { ...plan, notes: [...(plan.notes ?? []), note] };
}

function summarize(problems: readonly PlanProblem[]): string {
  const first = problems.slice(0, 3).map((p) => (p.taskId ? `${p.taskId}: ${p.message}` : p.message));
  const more = problems.length > 3 ? `; and ${problems.length - 3} more` : '';
  return `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${first.join('; ')}${more}`;
}

/**
 * A re-planner's refusal carries what its calls used (`details.usage`): the run counts it, against
 * its budget too. A failed model call adds what it is known by (`details.statusCode`, `url`...).
 */
function spent(usage: Usage, failure?: ModelFailureDetails): { retryable: false; details: { usage: Usage } & Partial<ModelFailureDetails> } {
  return { retryable: false, details: { ...failure, usage } };
}
