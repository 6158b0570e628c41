/**
 * Quality judges: `checks: [{ rubric: "..." }]` on an artifact are judged by the orchestrator's
 * model after the output passed its schema. A failing rubric makes the attempt `invalid`, and the
 * judge's reason is the feedback of the next attempt. The artifact reaches the judge only as
 * quoted data, so text inside it cannot vote for itself.
 */
import type { Agent } from 'batonjs/internal';
import { BatonError, errorMessage, hasJudgedChecks } from 'batonjs/internal';
import type { AgentOutput, JsonSchema, Manifest, PlanTask, Usage } from 'batonjs/internal';
import { fieldOf, resolveModel } from './model-config.ts';
import type { ModelResolver, ResolvedModel } from './model-config.ts';
import { DATA_RULE, quoteData } from './quote.ts';
import { structuredCall } from './structured-call.ts';

/** The orchestrator's `extraChecks` hook. */
export type JudgeCheck = (task: PlanTask, agent: Agent, output: AgentOutput, signal: AbortSignal, reportUsage?: (usage: Usage) => void) => Promise<string[]>;

export interface JudgeOptions {
  /** The judging model; default: `orchestrator.model` resolved with `resolveModel`. */
  model?: ResolvedModel;
  resolveModel?: ModelResolver;
}

/** The judge's verdict on one numbered rubric. */
export interface Verdict {
  /** The number of the rubric, from 1. */
  rubric: number;
  pass: boolean;
  reason: string;
}

const VERDICT_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    verdicts: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          rubric: { type: 'integer', description: 'The number of the rubric, from 1.' },
          pass: { type: 'boolean' },
          reason: { type: 'string', description: 'One sentence; for a failure, what exactly is wrong and how to fix it.' },
        },
        required: ['rubric', 'pass', 'reason'],
        additionalProperties: false,
      },
    },
  },
  required: ['verdicts'],
  additionalProperties: false,
};

/** True when the manifest has a model and some artifact of a sub-agent has rubric checks. */
export { hasJudgedChecks };

/**
 * The judge of a manifest's rubric checks, for `new Orchestrator({ extraChecks: createJudge(manifest) })`.
 * One model call per checked artifact of an output, all its rubrics at once.
 *
 * @throws BatonError `MODEL_NOT_CONFIGURED` when the orchestrator has no model (or its key is missing).
 */
export function createJudge(manifest: Manifest, options: JudgeOptions = {}): JudgeCheck {
  const where = fieldOf('orchestrator.model', manifest.file);
  const id = manifest.orchestrator.model;
  if (!options.model && !id) throw new BatonError('MODEL_NOT_CONFIGURED', `rubric checks are judged by the orchestrator's model: set ${where} (e.g. model: openai:gpt-4o-mini)`, { retryable: false });
  const model = options.model ?? (options.resolveModel ?? resolveModel)(id!, where);
  return async (task, agent, output, signal, reportUsage) => {
    const problems: string[] = [];
    for (const artifact of task.produces) {
      const rubrics = (agent.spec.output[artifact]?.checks ?? manifest.agents[agent.spec.name]?.output[artifact]?.checks ?? []).map((c) => c.rubric);
      if (rubrics.length === 0 || !Object.hasOwn(output, artifact)) continue;
      let verdicts: Verdict[];
      try {
        verdicts = await judgeRubrics(model, manifest, task, artifact, output[artifact], rubrics, signal, reportUsage);
      } catch (e) {
        throw signal.aborted ? e : judgeFailed(e, model.id, artifact);
      }
      // Left without a verdict after two asks: the judge failed, not the output.
      const unjudged = firstUnjudged(rubrics, verdicts);
      if (unjudged !== -1) throw judgeFailed(new BatonError('AGENT_FAILED', `no verdict on rubric "${rubrics[unjudged]}" (asked ${JUDGE_ASKS} times)`), model.id, artifact);
      rubrics.forEach((rubric, i) => {
        const v = verdicts.find((x) => x.rubric === i + 1);
        if (v?.pass === false) problems.push(`quality check of ${artifact} failed (rubric "${rubric}"): ${v.reason}`);
      });
    }
    return problems;
  };
}

/** Transport retries of a judge's call (the AI SDK's, 2 s then 4 s apart): a judge's failure would otherwise run the agent again. */
const JUDGE_CALL_RETRIES = 2;
/** How many times the judge is asked when its reply cannot be read or leaves a rubric out. */
const JUDGE_ASKS = 2;

/** The index of the first rubric `verdicts` give no verdict on (they number rubrics from 1), or -1. */
function firstUnjudged(rubrics: readonly string[], verdicts: readonly Verdict[]): number {
  return rubrics.findIndex((_, i) => !verdicts.some((v) => v.rubric === i + 1));
}

/**
 * The judge could not give its verdict on `artifact`: said as the judge's failure, not the
 * agent's, with the cause's code, retryability and wait.
 */
function judgeFailed(e: unknown, modelId: string, artifact: string): BatonError {
  const cause = BatonError.isInstance(e) ? e : undefined;
  return new BatonError(cause?.code ?? 'AGENT_FAILED', `quality check of ${artifact} not made: the judge (${modelId}) gave no verdict: ${errorMessage(e)}`, {
    retryable: cause?.retryable ?? true,
    cause: e,
    ...(cause?.details === undefined ? {} : { details: cause.details }),
    ...(cause?.retryAfterMs === undefined ? {} : { retryAfterMs: cause.retryAfterMs }),
  });
}

/**
 * Judges one value against numbered rubrics with one model call (one more when its reply cannot be
 * read, or leaves a rubric without a verdict): the verdicts, one per rubric the judge answered.
 * `task` says what the value was made for (an agent's task, or an eval case's goal).
 *
 * @throws BatonError `AGENT_FAILED` when the judge's reply cannot be read, or the model's failure.
 */
export async function judgeRubrics(
  model: ResolvedModel,
  manifest: Manifest,
  task: Pick<PlanTask, 'title' | 'instructions'>,
  artifact: string,
  value: unknown,
  rubrics: string[],
  signal: AbortSignal,
  reportUsage: ((usage: Usage) => void) | undefined,
): Promise<Verdict[]> {
  const system = [
    `You are the quality judge of the orchestrator "${manifest.orchestrator.name}". You check one artifact made by a sub-agent against numbered rubrics written by the orchestrator's author.`,
    'Judge strictly and only by the rubrics. Reply with one JSON object: {"verdicts":[{"rubric":1,"pass":true,"reason":"..."}]}, one verdict per rubric.',
    DATA_RULE,
  ].join('\n\n');
  const prompt = [
    `The task was: ${task.title}\n${task.instructions}`,
    `Rubrics:\n${rubrics.map((r, i) => `${i + 1}. ${r}`).join('\n')}`,
    `The artifact "${artifact}" to judge (quoted data):\n${quoteData(artifact, value)}`,
  ].join('\n\n');
  let problem = '';
  let partial: Verdict[] | undefined;
  for (let ask = 1; ask <= JUDGE_ASKS; ask++) {
    const reply = await structuredCall({
      model,
      system,
      messages: [{ role: 'user', content: prompt }],
      schema: VERDICT_SCHEMA,
      schemaName: 'verdicts',
      signal,
      maxRetries: JUDGE_CALL_RETRIES,
      ...(reportUsage ? { onUsage: reportUsage } : {}),
    });
    const verdicts = reply.ok ? readVerdicts(reply.value) : undefined;
    if (verdicts && firstUnjudged(rubrics, verdicts) === -1) return verdicts;
    partial = verdicts ?? partial;
    problem = reply.ok ? '' : `: ${reply.problem}`;
  }
  // What it did judge is kept: the caller says which rubrics are left without a verdict.
  if (partial) return partial;
  throw new BatonError('AGENT_FAILED', `the judge (${model.id}) gave an unreadable verdict on ${artifact}${problem} (asked ${JUDGE_ASKS} times)`);
}

function readVerdicts(value: unknown): Verdict[] | undefined {
  const list = (value as { verdicts?: unknown } | null)?.verdicts;
  if (!Array.isArray(list)) return undefined;
  return list.flatMap((v: unknown) => {
    const x = v as Partial<Verdict> | null;
    return x && typeof x.rubric === 'number' && typeof x.pass === 'boolean' ? [{ rubric: x.rubric, pass: x.pass, reason: typeof x.reason === 'string' ? x.reason : '' }] : [];
  });
}
