/**
 * Runs one plan case in isolation: its own orchestrator over the suite's manifest, its own
 * in-memory journal and its own temporary folder for the deliverable's files, removed afterwards.
 */
import { ownValue } from '../core/artifact-names.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Agent } from '../core/contracts.ts';
import { errorMessage } from '../core/errors.ts';
import type { RunResult } from '../core/types.ts';
import { Orchestrator } from '../orchestrator.ts';
import { MemoryRunStore } from '../store/memory-store.ts';
import type { CaseContext, CaseFindings } from './case-context.ts';
import { checkPlanCase, planAgents, type PlanObservation } from './expectations.ts';
import { isRefusal, recordingPlanner } from './recording-planner.ts';
import type { PlanCase } from './types.ts';

/**
 * An agent of the suite's caller as a case's orchestrator sees it: without its `close()`, which
 * the orchestrator would call as the case ends, under the cases still running it. Agent cases
 * leave the caller's agents open too.
 */
function lent(agent: Agent): Agent {
  return { spec: agent.spec, run: (input, ctx) => agent.run(input, ctx), ...(agent.version ? { version: () => agent.version!() } : {}) };
}

export async function runPlanCase(c: PlanCase, ctx: CaseContext): Promise<CaseFindings> {
  const { planner, record } = recordingPlanner(ctx.planner);
  const outDir = await mkdtemp(path.join(tmpdir(), 'baton-eval-'));
  const orchestrator = new Orchestrator({
    manifest: ctx.manifest,
    store: new MemoryRunStore(),
    planner,
    ...(ctx.agents ? { agents: ctx.agents.map(lent) } : {}),
    ...(ctx.registry ? { registry: ctx.registry } : {}),
    ...(ctx.extraChecks ? { extraChecks: ctx.extraChecks } : {}),
  });
  const seen: PlanObservation = {};
  let closeError: string | undefined;
  try {
    if (c.run) {
      // A suite judges what runs, not who approves it: decisions are approved up front, by the suite.
      seen.result = await orchestrator.run(c.goal, { signal: ctx.signal, outDir, autoApprove: { by: 'baton eval' }, ...(c.params === undefined ? {} : { params: c.params }) });
      // A plan the planner made but validation rejected never reaches the run.
      if (record.outcome && seen.result.plan.tasks.length > 0) seen.plan = seen.result.previousPlans?.[0] ?? seen.result.plan;
      else if (!record.error) seen.planError = seen.result.reason ?? 'no plan';
    } else {
      try {
        seen.plan = (await orchestrator.plan(c.goal, { signal: ctx.signal })).plan;
      } catch (e) {
        if (!record.error) seen.planError = errorMessage(e);
      }
    }
  } finally {
    closeError = await orchestrator.close().then(
      () => undefined,
      (e: unknown) => errorMessage(e),
    );
    await rm(outDir, { recursive: true, force: true });
  }
  if (record.error !== undefined) {
    if (isRefusal(record.error)) seen.refusal = record.error.message;
    else seen.planError = errorMessage(record.error);
  }
  const findings: CaseFindings = { goal: c.goal, differences: checkPlanCase(c.expect, seen, (name) => ownValue(ctx.manifest.agents, name) !== undefined) };
  if (seen.plan) {
    findings.planAgents = planAgents(seen.plan);
    if (seen.plan.notes?.length) findings.planNotes = seen.plan.notes;
  }
  if (record.outcome) findings.planner = record.outcome.planner;
  if (seen.refusal !== undefined) findings.refused = seen.refusal;
  // An agent that does not close leaks its threads or connections into every later case.
  if (closeError !== undefined) findings.differences.push({ expectation: 'attempt', message: closeError });
  if (seen.result) {
    findings.status = seen.result.status;
    findings.runId = seen.result.runId;
    if (seen.result.reason) findings.reason = seen.result.reason;
  }
  if (c.expect.rubric && seen.result) await judgeDeliverable(c, seen.result, ctx, findings);
  return findings;
}

async function judgeDeliverable(c: PlanCase, result: RunResult, ctx: CaseContext, findings: CaseFindings): Promise<void> {
  const rubric = c.expect.rubric ?? [];
  if (!ctx.rubric || 'skip' in ctx.rubric) {
    findings.skipped = ctx.rubric?.skip ?? 'rubric not judged: no judge';
    return;
  }
  const artifacts = result.deliverable.artifacts;
  if (Object.keys(artifacts).length === 0) {
    findings.differences.push({ expectation: 'rubric', message: `nothing was delivered to judge against ${rubric.map((r) => `"${r}"`).join(', ')}` });
    return;
  }
  const subject = { title: `The deliverable for the goal: ${c.goal}`, instructions: 'Judge the artifacts the orchestrator delivered for this goal.' };
  findings.differences.push(...(await ctx.rubric.judge(subject, 'deliverable', artifacts, rubric, ctx.signal)));
}
