/**
 * Runs one agent case: the agent alone, given an input, as one attempt through the same output
 * validation a run uses (schemas, completeness, the orchestrator's judged checks), after its
 * version is checked against its pin. No planning, no journal.
 */
import { ownValue } from '../core/artifact-names.ts';
import { randomUUID } from 'node:crypto';
import { closeAgents } from '../agents/agent-pool.ts';
import { AgentRegistry } from '../agents/registry.ts';
import { verifyAgentVersion } from '../agents/version-pin.ts';
import type { Agent } from '../core/contracts.ts';
import { errorMessage } from '../core/errors.ts';
import type { AgentInput, PlanTask } from '../core/types.ts';
import { runAttempt } from '../execution/attempt.ts';
import type { CaseContext, CaseFindings } from './case-context.ts';
import { checkArtifacts, checkOutput } from './expectations.ts';
import type { AgentCase } from './types.ts';

export async function runAgentCase(c: AgentCase, ctx: CaseContext): Promise<CaseFindings> {
  const findings: CaseFindings = { agent: c.agent, differences: [], ...(c.goal === undefined ? {} : { goal: c.goal }) };
  const spec = ownValue(ctx.manifest.agents, c.agent);
  const own = ctx.agents?.find((a) => a.spec.name === c.agent);
  let agent: Agent;
  try {
    if (own) agent = own;
    else if (spec) agent = await (ctx.registry ?? new AgentRegistry()).create(spec, ctx.manifest);
    else throw new Error(`no agent named '${c.agent}'`);
  } catch (e) {
    findings.differences.push({ expectation: 'attempt', message: `agent ${c.agent} could not be built: ${errorMessage(e)}` });
    return findings;
  }
  try {
    const version = await verifyAgentVersion(agent, spec ?? agent.spec, ctx.manifest.file);
    if (version.refusal !== undefined) {
      findings.differences.push({ expectation: 'version', message: version.refusal, expected: version.pin, actual: version.reported });
      return findings;
    }
    await attemptOnce(c, agent, ctx, findings);
  } finally {
    // As an orchestrator closes its agents: within AGENT_CLOSE_MS, and a failure is the case's, not the suite's.
    if (!own) {
      await closeAgents([agent]).catch((e: unknown) => {
        findings.differences.push({ expectation: 'attempt', message: errorMessage(e) });
      });
    }
  }
  return findings;
}

async function attemptOnce(c: AgentCase, agent: Agent, ctx: CaseContext, findings: CaseFindings): Promise<void> {
  const spec = ownValue(ctx.manifest.agents, c.agent) ?? agent.spec;
  const task: PlanTask = {
    id: `t1-example-${c.agent}`,
    title: c.goal ?? `Example: ${c.name}`,
    instructions: c.goal ?? spec.description,
    agent: c.agent,
    dependsOn: [],
    consumes: spec.consumes,
    produces: spec.produces,
  };
  const input: AgentInput = { runId: `r_eval_${randomUUID().slice(0, 8)}`, goal: c.goal ?? '', task: { id: task.id, title: task.title, instructions: task.instructions }, inputs: c.inputs, params: c.params ?? {}, attempt: 1 };
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(ctx.signal.reason);
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });
  const extra = ctx.extraChecks;
  const outcome = await runAttempt({
    agent,
    input,
    produces: spec.produces,
    timeoutMs: spec.timeoutMs ?? ctx.manifest.orchestrator.policy.taskTimeoutMs,
    controller,
    ...(extra ? { extraChecks: (out, signal, report) => extra(task, agent, out, signal, report) } : {}),
  }).finally(() => ctx.signal.removeEventListener('abort', onAbort));
  findings.attempt = outcome.status;
  if (outcome.status !== 'succeeded') {
    findings.differences.push({ expectation: 'attempt', message: `the attempt was ${outcome.status}: ${outcome.error}`, actual: outcome.status });
    return;
  }
  const { expect } = c;
  if (expect.output) findings.differences.push(...checkOutput(expect.output, outcome.output, expect.match));
  if (expect.artifacts) findings.differences.push(...checkArtifacts(expect.artifacts, outcome.output, 'output'));
  if (!expect.rubric) return;
  if (!ctx.rubric || 'skip' in ctx.rubric) {
    findings.skipped = ctx.rubric?.skip ?? 'rubric not judged: no judge';
    return;
  }
  findings.differences.push(...(await ctx.rubric.judge(task, c.agent, outcome.output, expect.rubric, ctx.signal)));
}
