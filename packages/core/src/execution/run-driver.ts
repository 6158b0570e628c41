import type { Agent, Integrator, Planner } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import type { RunEvent } from '../core/events.ts';
import type { AgentOutput, Manifest, Plan, PlanTask, RunResult, TaskResult, Usage } from '../core/types.ts';
import { deliver } from '../integration/delivery.ts';
import { assertValidPlan } from '../planning/validate-plan.ts';
import { candidateAgents } from '../routing/index.ts';
import { budgetExceeded } from './budgets.ts';
import type { RunJournal } from './journal.ts';
import type { Limiter } from './limiter.ts';
import { decideRunStatus } from './outcome.ts';
import { replanIfUseful } from './replanning.ts';
import type { RunControl } from './run-control.ts';
import { RunLoop } from './run-loop.ts';
import { SignalView } from './signal-view.ts';

/** What a run needs from the orchestrator that drives it. */
export interface RunServices {
  planner: Planner;
  /** The agent of a name, once its version is inside its pin (a refused one fails its attempt for good). */
  agent(name: string, manifest: Manifest): Promise<Agent>;
  /** The version an agent runs as: what it reported when checked, else the manifest's. */
  versionOf(name: string, manifest: Manifest): string;
  /** Why a plan may not start: one of its agents (or their fallbacks) is outside its version pin. */
  versionRefusal(plan: Plan, manifest: Manifest): Promise<string | undefined>;
  integrator(manifest: Manifest): Promise<Integrator>;
  limiter?: Limiter;
  extraChecks?: (task: PlanTask, agent: Agent, output: AgentOutput, signal: AbortSignal, reportUsage?: (usage: Usage) => void) => Promise<string[]>;
}

/** One run to drive, new or carried on from its journal. */
export interface RunJob {
  runId: string;
  goal: string;
  /** The manifest the run lives under (as journaled when it started). */
  manifest: Manifest;
  journal: RunJournal;
  control: RunControl;
  outDir: string | undefined;
  /** Events already journaled by an earlier process (resume, takeover). */
  journaled?: readonly RunEvent[];
}

/**
 * Drives one run from wherever its journal stands to its end: plans it (unless a plan is
 * journaled), runs the plan, re-plans after failures when the planner can, and delivers. Bounded
 * by `policy.runTimeoutMs` and stopped by `job.control`, whose signal reaches every phase.
 */
export async function driveRun(job: RunJob, services: RunServices): Promise<RunResult> {
  const { journal, control, manifest } = job;
  const policy = manifest.orchestrator.policy;
  const runTimer = setTimeout(() => control.stop({ kind: 'timeout', message: `run timed out after ${policy.runTimeoutMs} ms` }), policy.runTimeoutMs);
  const end = (verdict: { status: RunResult['status']; reason?: string }, loop: RunLoop | undefined): Promise<RunResult> =>
    deliver({
      journal,
      manifest,
      verdict,
      loop,
      outDir: job.outDir,
      integrator: () => services.integrator(manifest),
      integratorName: manifest.orchestrator.integrator ?? 'default',
      control,
    });
  try {
    let current = journal.builder.current()!;
    if (current.plan.tasks.length === 0) {
      if (control.reason) return await end({ status: 'cancelled', reason: control.reason.message }, undefined);
      try {
        await planRun(job, services.planner);
      } catch (e) {
        const stop = control.stopped();
        return await end(stop ? { status: stop.kind === 'cancelled' ? 'cancelled' : 'failed', reason: `planning stopped: ${stop.message}` } : { status: 'failed', reason: `planning failed: ${errorMessage(e)}` }, undefined);
      }
      current = journal.builder.current()!;
    }
    const refused = await services.versionRefusal(current.plan, manifest);
    if (refused) return await end({ status: 'failed', reason: refused }, undefined);
    let loop = newLoop(job, services, current.plan, job.journaled ? current.tasks : [], undefined);
    control.attach(loop);
    await loop.run();
    let note: string | undefined;
    for (let replans = 0; ; replans++) {
      const next = await replanIfUseful(services.planner, manifest, journal, loop, replans, control, (plan) => services.versionRefusal(plan, manifest));
      note = next?.note;
      if (!next?.plan) break;
      const before = journal.builder.current()!;
      loop = newLoop(job, services, next.plan, before.tasks, loop);
      control.attach(loop);
      await loop.run();
    }
    const result = journal.builder.current()!;
    const verdict = decideRunStatus(result.plan, result.tasks, loop.artifacts, loop.stopReason);
    if (note && verdict.status !== 'succeeded') verdict.reason = verdict.reason ? `${verdict.reason}; ${note}` : note;
    return await end(verdict, loop);
  } finally {
    clearTimeout(runTimer);
  }
}

/** Plans the goal with the run's signal, validates the plan and journals it. */
async function planRun(job: RunJob, planner: Planner): Promise<void> {
  const outcome = await planner.plan(job.goal, job.manifest, new SignalView(job.control));
  job.control.throwIfStopped();
  if (outcome.usage) job.journal.emit({ type: 'usage', usage: outcome.usage });
  assertValidPlan(outcome.plan, job.manifest);
  job.journal.emit({ type: 'plan.created', plan: outcome.plan, planner: outcome.planner, ...(outcome.reason ? { reason: outcome.reason } : {}) });
}

function newLoop(job: RunJob, services: RunServices, plan: Plan, restored: readonly TaskResult[], previous: RunLoop | undefined): RunLoop {
  const { manifest, journal } = job;
  const policy = manifest.orchestrator.policy;
  return new RunLoop({
    runId: job.runId,
    goal: job.goal,
    plan,
    policy,
    journal,
    getAgent: (name) => services.agent(name, manifest),
    candidates: (task) => candidateAgents(task, manifest),
    retriesOf: (name) => manifest.agents[name]?.retries ?? policy.retries,
    timeoutOf: (name) => manifest.agents[name]?.timeoutMs ?? policy.taskTimeoutMs,
    versionOf: (name) => services.versionOf(name, manifest),
    restored: restored.map((t) => structuredClone(t)),
    checkBudget: (inFlight) => budgetExceeded(policy, journal.builder.current()?.usage, inFlight),
    ...(previous ? { carried: { artifacts: previous.artifacts, provenance: previous.provenance } } : {}),
    ...(services.limiter ? { limiter: services.limiter } : {}),
    ...(services.extraChecks ? { extraChecks: services.extraChecks } : {}),
  });
}

/** The error of a run that cannot be carried on here. */
export function notResumable(runId: string, why: string): BatonError {
  return new BatonError('RUN_NOT_RESUMABLE', `run ${runId} cannot be resumed: ${why}`, { runId, retryable: false });
}
