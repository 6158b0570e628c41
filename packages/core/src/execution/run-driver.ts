// The next turn of the event loop, after its timers and I/O (the check phase).
import { setImmediate as aTurn } from 'node:timers/promises';
import type { Agent, Integrator, Planner } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import { kept } from '../core/kept-objects.ts';
import type { RunEvent } from '../core/events.ts';
import { isFinalStatus } from '../core/types.ts';
import type { AgentOutput, Manifest, Plan, PlanTask, RunResult, TaskResult, Usage } from '../core/types.ts';
import { deliver, endAfterError } from '../integration/delivery.ts';
import { assertValidPlan } from '../planning/validate-plan.ts';
import type { RunJournal } from './journal.ts';
import type { Limiter } from './limiter.ts';
import { decideRunStatus } from './outcome.ts';
import { editedPlanOf } from '../planning/fixed-plan.ts';
import { RunApprovals } from './approvals.ts';
import type { ApprovalsHost } from './approvals.ts';
import { replanIfUseful, usageSpentBy } from './replanning.ts';
import { RunClock } from './run-clock.ts';
import type { RunClockOwner } from './run-clock.ts';
import type { RunControl } from './run-control.ts';
import { RunLoop } from './run-loop.ts';
import { SignalView } from './signal-view.ts';
import { resultCopy } from '../validation/json-copy.ts';

/** What a run needs from the orchestrator that drives it. */
export interface RunServices {
  planner: Planner;
  /** The agent of a name, once its version is inside its pin (a refused one fails its attempt for good). */
  agent(name: string, manifest: Manifest): Promise<Agent>;
  /** The same agent when it is ready now (built and let through), so an attempt need not wait for it. */
  readyAgent?(name: string, manifest: Manifest): Agent | undefined;
  /** The version an agent runs as: what it reported when checked, else the manifest's. */
  versionOf(name: string, manifest: Manifest): string;
  /** Why a plan may not start: one of its agents (or their fallbacks) is outside its version pin. */
  versionRefusal(plan: Plan, manifest: Manifest): Promise<string | undefined>;
  /** True when versionRefusal would certainly find nothing (every agent of the plan was checked): it is then not awaited. */
  versionsCleared?(plan: Plan, manifest: Manifest): boolean;
  integrator(manifest: Manifest): Promise<Integrator>;
  limiter?: Limiter;
  extraChecks?: (task: PlanTask, agent: Agent, output: AgentOutput, signal: AbortSignal, reportUsage?: (usage: Usage) => void) => Promise<string[]>;
  /**
   * Given each run's decisions as soon as they exist, so decisions can reach it (Orchestrator.decide).
   * A service, not a closure on the job: a closure made per run and kept on the job held the whole
   * run through V8's minor GCs while the orchestrator's code was not yet optimised, so every run was
   * promoted to old space (~15 KB per W1 run; `npm run bench`, `promoted`).
   */
  holding?(runId: string, approvals: RunApprovals): void;
}

/** One run to drive, new or carried on from its journal. */
export interface RunJob {
  runId: string;
  goal: string;
  /** The run's validated parameters (journaled in run.started). */
  params: Record<string, unknown>;
  /** The manifest the run lives under (as journaled when it started). */
  manifest: Manifest;
  journal: RunJournal;
  control: RunControl;
  outDir: string | undefined;
  /** Events already journaled by an earlier process (resume, takeover). */
  journaled?: readonly RunEvent[];
  /** Every decision of the run is approved at once, by this name (`baton run --yes`, journaled in run.started). */
  autoApprove?: { by: string };
  /** Told when the run can go no further until a decision is taken (nothing runs). */
  onBlocked?: () => void;
}

/**
 * Drives one run from wherever its journal stands to its end: plans it (unless a plan is
 * journaled), runs the plan, re-plans after failures when the planner can, and delivers. Bounded
 * by `policy.runTimeoutMs` and stopped by `job.control`, whose signal reaches every phase.
 */
export async function driveRun(job: RunJob, services: RunServices): Promise<RunResult> {
  const { journal, control, manifest } = job;
  const driving = new RunDriving(job, services);
  const { clock, approvals } = driving;
  if (job.journaled) {
    approvals.restore(job.journaled);
    approvals.reissue();
  }
  // Stuck only when no decision is on its way (one given with a takeover is taken first).
  const onBlocked = job.onBlocked;
  if (onBlocked) job.onBlocked = () => (approvals.isDeciding() ? undefined : onBlocked());
  services.holding?.(job.runId, approvals);
  try {
    let current = journal.builder.current()!;
    if (current.plan.tasks.length === 0) {
      if (control.leftHere()) return await detached(job);
      if (control.reason) return await driving.end({ status: 'cancelled', reason: control.reason.message }, undefined);
      try {
        await planRun(job, services.planner);
      } catch (e) {
        if (control.leftHere()) return await detached(job);
        // What a planner that refused or failed had used counts, as a failed re-planner's does.
        const used = usageSpentBy(e);
        if (used) journal.emit({ type: 'usage', usage: used });
        const stop = control.stopped();
        return await driving.end(stop ? { status: stop.kind === 'cancelled' ? 'cancelled' : 'failed', reason: `planning stopped: ${stop.message}` } : { status: 'failed', reason: `planning failed: ${errorMessage(e)}` }, undefined);
      }
      current = journal.builder.current()!;
    }
    if (isLarge(current.plan)) await aTurn();
    // Both usually known at once: a run awaits neither then (each await is a suspension per run).
    const refused = services.versionsCleared?.(current.plan, manifest) ? undefined : await services.versionRefusal(current.plan, manifest);
    if (refused) return await driving.end({ status: 'failed', reason: refused }, undefined);
    const deciding = decidePlan(job, approvals);
    const onPlan = deciding instanceof Promise ? await deciding : deciding;
    if (onPlan === 'detached') return await detached(job);
    if (onPlan) return await driving.end(onPlan, undefined);
    current = journal.builder.current()!;
    if (isLarge(current.plan)) await aTurn();
    let loop = newLoop(job, services, current.plan, job.journaled ? current.tasks : [], undefined, approvals);
    control.attach(loop);
    if (isLarge(current.plan)) await aTurn();
    await loop.run();
    if (control.leftHere()) return await detached(job);
    let note: string | undefined;
    // A plan given with the run or a workflow is what the user fixed: no planner re-plans it.
    const fixed = current.planner === 'fixed' || current.planner === 'workflow';
    for (let replans = 0; !fixed && services.planner.replan; replans++) {
      const next = await replanIfUseful(services.planner, manifest, journal, loop, replans, control, (plan) => driving.versionRefusal(plan));
      note = next?.note;
      if (!next?.plan) break;
      approvals.planReplaced();
      const onNewPlan = await decidePlan(job, approvals);
      if (onNewPlan === 'detached') return await detached(job);
      if (onNewPlan) {
        note = onNewPlan.reason;
        break;
      }
      const before = journal.builder.current()!;
      if (isLarge(before.plan)) await aTurn();
      loop = newLoop(job, services, before.plan, before.tasks, loop, approvals);
      control.attach(loop);
      if (isLarge(before.plan)) await aTurn();
      await loop.run();
      if (control.leftHere()) return await detached(job);
    }
    const result = journal.builder.current()!;
    const verdict = decideRunStatus(result.plan, result.tasks, loop.artifacts, loop.stopReason);
    if (note && verdict.status !== 'succeeded') verdict.reason = verdict.reason ? `${verdict.reason}; ${note}` : note;
    return await driving.end(verdict, loop);
  } catch (e) {
    if (control.leftHere()) return await detached(job);
    if (journal.lost || isFinalStatus(journal.builder.current()!.status)) throw e;
    return await endAfterError(journal, e).catch(() => {
      throw e;
    });
  } finally {
    clock.stop();
    approvals.close();
  }
}

/**
 * What a run being driven is told and asked by its clock and its approvals, and how it ends: one
 * object per run, where a closure for each was ~7 per run, held while the run was in flight.
 */
class RunDriving implements ApprovalsHost, RunClockOwner {
  readonly clock: RunClock;
  readonly approvals: RunApprovals;

  constructor(
    private readonly job: RunJob,
    private readonly services: RunServices,
  ) {
    this.clock = new RunClock(job.manifest.orchestrator.policy.runTimeoutMs, this);
    this.approvals = new RunApprovals({ journal: job.journal, manifest: job.manifest, ...(job.autoApprove ? { autoApprove: job.autoApprove } : {}), host: this });
  }

  runTimedOut(): void {
    this.job.control.stop({ kind: 'timeout', message: `run timed out after ${this.job.manifest.orchestrator.policy.runTimeoutMs} ms` });
  }

  checkPlan(raw: unknown, available: readonly string[]): Plan {
    return editedPlanOf(raw, this.job.manifest, available);
  }

  versionRefusal(plan: Plan): Promise<string | undefined> {
    return this.services.versionRefusal(plan, this.job.manifest);
  }

  approvalExpired(message: string): void {
    this.job.control.stop({ kind: 'timeout', message });
  }

  waitingChanged(count: number): void {
    if (count > 0) this.clock.pause();
    else this.clock.resume();
  }

  /** Delivers the run with its verdict; a run handed over meanwhile is left for its next owner to deliver. */
  end(verdict: { status: RunResult['status']; reason?: string }, loop: RunLoop | undefined): Promise<RunResult> {
    const { job, services } = this;
    if (job.control.leftHere()) return detached(job);
    // Its journal could not be reached: nothing of its end would be recorded, and whoever carries
    // it on delivers it. No integrator runs and no run.json is written for an end that is not it.
    if (job.journal.unreachable) return job.journal.flush().then(() => job.journal.builder.current()!);
    const { manifest } = job;
    return deliver({
      journal: job.journal,
      manifest,
      verdict,
      loop,
      outDir: job.outDir,
      integrator: () => services.integrator(manifest),
      integratorName: manifest.orchestrator.integrator ?? 'default',
      control: job.control,
    });
  }
}

/**
 * Plans of this many tasks or more give the event loop a turn between the steps of their start
 * (the plan checked and journaled, its agents' versions checked, the loop built, its first
 * launches). Each step is O(tasks) and runs once per run, mostly before V8 optimises it: together
 * they held a warm 20,000-task run's start 60-65 ms in one turn, during which no timer fired and no
 * request was read. Smaller plans start in one turn, with no await of their own.
 */
export const LARGE_PLAN_TASKS = 2_000;

const isLarge = (plan: Plan): boolean => plan.tasks.length >= LARGE_PLAN_TASKS;

/**
 * When the policy asks for it, waits for the decision on the run's plan (nothing runs meanwhile).
 * Returns undefined to go on, `detached` when the run was let go while waiting, or how the run
 * ends instead: cancelled when the plan was rejected, stopped when it was cancelled or timed out.
 */
type PlanVerdict = { status: RunResult['status']; reason: string } | 'detached' | undefined;

function decidePlan(job: RunJob, approvals: RunApprovals): PlanVerdict | Promise<PlanVerdict> {
  const decided = approvals.planDecision();
  if (!decided && approvals.planNeedsDecision()) return waitForPlanDecision(job, approvals);
  return planVerdict(job, decided);
}

async function waitForPlanDecision(job: RunJob, approvals: RunApprovals): Promise<PlanVerdict> {
  const waiting = approvals.decidePlan(job.journal.builder.current()!.plan);
  if (approvals.pending().some((p) => p.kind === 'plan')) job.onBlocked?.();
  return planVerdict(job, await untilStopped(waiting, job.control.signal));
}

function planVerdict(job: RunJob, decided: ReturnType<RunApprovals['planDecision']>): PlanVerdict {
  const { control } = job;
  const stop = control.stopped();
  if (stop?.kind === 'detached' || stop?.kind === 'released') return 'detached';
  if (stop) return { status: stop.kind === 'cancelled' ? 'cancelled' : 'failed', reason: stop.message };
  if (decided && !decided.approved) return { status: 'cancelled', reason: `the plan was rejected by ${decided.by}${decided.reason ? `: ${decided.reason}` : ''}` };
  return undefined;
}

/** The promise's value, or undefined as soon as the run is stopped. */
function untilStopped<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    void work.then((v) => {
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    });
  });
}

/**
 * A run let go while it waits for a decision, or handed over: nothing more is journaled here; its
 * result so far (status awaiting-approval or running) once every event is stored. Another process
 * carries it on.
 */
async function detached(job: RunJob): Promise<RunResult> {
  await job.journal.flush();
  return resultCopy(job.journal.builder.current()!);
}

/** Plans the goal with the run's signal, validates the plan and journals it. */
async function planRun(job: RunJob, planner: Planner): Promise<void> {
  const outcome = await job.control.whileRunning(planner.plan(job.goal, job.manifest, new SignalView(job.control)));
  job.control.throwIfStopped();
  if (outcome.usage) job.journal.emit({ type: 'usage', usage: outcome.usage });
  assertValidPlan(outcome.plan, job.manifest);
  job.journal.emit(kept({ type: 'plan.created', plan: outcome.plan, planner: outcome.planner, ...(outcome.reason ? { reason: outcome.reason } : {}) }));
}

function newLoop(job: RunJob, services: RunServices, plan: Plan, restored: readonly TaskResult[], previous: RunLoop | undefined, approvals: RunApprovals): RunLoop {
  const { manifest, journal } = job;
  // The plan's agents are built now, so what they start (a module's thread) gets ready while the
  // first tasks run; a build that fails is reported by the task that needs it.
  for (const task of plan.tasks) {
    if (!services.readyAgent?.(task.agent, manifest)) void services.agent(task.agent, manifest).catch(() => undefined);
  }
  // The services and the approvals are handed over as they are: the loop calls their methods with
  // the run's manifest, so a run makes no closure of its own for each of them.
  return new RunLoop({
    runId: job.runId,
    goal: job.goal,
    params: job.params,
    plan,
    manifest,
    journal,
    agents: services,
    restored: restored.length === 0 ? restored : restored.map((t) => resultCopy(t)),
    approvals,
    onBlocked: job.onBlocked,
    ...(previous ? { carried: { artifacts: previous.artifacts, provenance: previous.allProvenance() } } : {}),
    limiter: services.limiter,
    extraChecks: services.extraChecks,
  });
}

/** The error of a run that cannot be carried on here. */
export function notResumable(runId: string, why: string): BatonError {
  return new BatonError('RUN_NOT_RESUMABLE', `run ${runId} cannot be resumed: ${why}`, { runId, retryable: false });
}
