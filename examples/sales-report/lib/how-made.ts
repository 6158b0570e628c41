/**
 * "How this report was made": one row per subtask of the run (agent and version, attempts,
 * timings, validation results), shared by the HTML and Markdown reports.
 */
import type { IntegrationInput } from 'batonjs';
import type { ApprovalRecord, AttemptRecord, Usage } from 'batonjs';

export interface AttemptLine {
  n: number;
  agent: string;
  version: string;
  status: string;
  durationMs?: number;
  /** What validation said: "valid: sales-dataset against schemas/dataset.json", or the error. */
  validation: string;
}

export interface StepLine {
  id: string;
  title: string;
  agent: string;
  version: string;
  status: string;
  produces: string[];
  attempts: AttemptLine[];
  startedAt?: string;
  durationMs?: number;
  reason?: string;
}

export interface HowMade {
  runId: string;
  goal: string;
  planner: string;
  status: string;
  startedAt: string;
  steps: StepLine[];
  notes: string[];
  /** Model calls and tokens of the whole run (planner, agents, judges); zero without a model. */
  usage: Usage;
  /** The run's parameters (`{}` when none were given). */
  params: Record<string, unknown>;
  /** The decisions people took on the run (its plan, gated tasks), in order. */
  approvals: ApprovalRecord[];
}

/** How the run was steered, as sentences: its parameters and every decision on it (none when none). */
export function steeringLines(h: Pick<HowMade, 'params' | 'approvals'>): string[] {
  const lines: string[] = [];
  const params = Object.entries(h.params);
  if (params.length > 0) lines.push(`Run parameters: ${params.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')}.`);
  for (const a of h.approvals) {
    const what = a.kind === 'plan' ? `The plan${a.planEdited ? ', as edited,' : ''} was` : `Task ${a.taskId ?? '?'} was`;
    const why = a.reason ? ` (${a.reason})` : a.note ? ` (${a.note})` : '';
    lines.push(`${what} ${a.decision} by ${a.by} at ${a.at}${why}.`);
  }
  return lines;
}

/** "8 model calls, 12,345 input and 2,345 output tokens", or undefined when no model was used. */
export function usageLine(u: Usage): string | undefined {
  if (u.llmCalls === 0 && u.inputTokens === 0 && u.outputTokens === 0) return undefined;
  const n = (x: number): string => x.toLocaleString('en-US');
  return `${n(u.llmCalls)} model call${u.llmCalls === 1 ? '' : 's'}, ${n(u.inputTokens)} input and ${n(u.outputTokens)} output tokens`;
}

function duration(a: Pick<AttemptRecord, 'startedAt' | 'endedAt'>): number | undefined {
  if (!a.endedAt) return undefined;
  return Math.max(0, Date.parse(a.endedAt) - Date.parse(a.startedAt));
}

/** Collects the run's steps from the integration input. */
export function howMade(input: Pick<IntegrationInput, 'runId' | 'goal' | 'plan' | 'tasks' | 'manifest' | 'result'>): HowMade {
  const steps: StepLine[] = input.plan.tasks.map((planned) => {
    const task = input.tasks.find((t) => t.id === planned.id);
    const attempts = (task?.attempts ?? []).map((a): AttemptLine => {
      const spec = input.manifest.agents[a.agent];
      const schemas = planned.produces.map((type) => {
        const path = spec?.output[type]?.schemaPath;
        return path ? `${type} against ${path.replace(/^.*?(schemas\/)/, '$1')}` : `${type} (no schema)`;
      });
      const validation =
        a.status === 'succeeded'
          ? `valid: ${schemas.join('; ')}`
          : a.status === undefined
            ? 'running'
            : `${a.status}: ${a.error ?? 'no reason given'}`;
      const line: AttemptLine = { n: a.n, agent: a.agent, version: a.agentVersion ?? spec?.version ?? '?', status: a.status ?? 'running', validation };
      const d = duration(a);
      if (d !== undefined) line.durationMs = d;
      return line;
    });
    const last = task?.attempts[task.attempts.length - 1];
    const first = task?.attempts[0];
    const agent = task?.agent ?? planned.agent;
    const step: StepLine = {
      id: planned.id,
      title: planned.title,
      agent,
      version: last?.agentVersion ?? input.manifest.agents[agent]?.version ?? '?',
      status: task?.status ?? 'pending',
      produces: planned.produces,
      attempts,
    };
    if (first) step.startedAt = first.startedAt;
    if (first && last?.endedAt) step.durationMs = Math.max(0, Date.parse(last.endedAt) - Date.parse(first.startedAt));
    if (task?.reason) step.reason = task.reason;
    return step;
  });
  return {
    runId: input.runId,
    goal: input.goal,
    planner: input.result.planner,
    status: input.result.status,
    startedAt: input.result.startedAt,
    steps,
    notes: input.plan.notes ?? [],
    usage: input.result.usage,
    params: input.result.params ?? {},
    approvals: input.result.approvals ?? [],
  };
}

export function seconds(ms: number | undefined): string {
  if (ms === undefined) return '–';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
