import { ownCopy, setOwn } from '../core/artifact-names.ts';
import type { Agent } from '../core/contracts.ts';
import { MAX_TIMER_MS } from '../core/defaults.ts';
import { errorMessage } from '../core/errors.ts';
import { newAttemptId } from '../core/ids.ts';
import { provenance, taskStarted, taskSucceeded } from '../core/kept-objects.ts';
import type { AgentInput, AgentOutput, Manifest, Plan, PlanTask, Policy, Provenance, TaskResult, Usage } from '../core/types.ts';
import { candidateAgents } from '../routing/index.ts';
import type { TaskInputSource } from './approvals.ts';
import { sendsInput } from '../agents/sends-input.ts';
import { AgentVersionError } from '../agents/version-pin.ts';
import { AttemptAbort, AttemptControl, startAttemptWith } from './attempt.ts';
import type { AttemptListener, AttemptOptions, AttemptOutcome } from './attempt.ts';
import { budgetExceeded } from './budgets.ts';
import { DagState } from './dag.ts';
import type { RunJournal } from './journal.ts';
import { advance, decideAfterFailure } from './ladder.ts';
import type { LadderState } from './ladder.ts';
import type { Limiter } from './limiter.ts';
import { inNextTurn, turnSpent } from './turn-budget.ts';
import { dataCopy } from '../validation/json-copy.ts';

/**
 * Why a run stopped before its plan was done (`lost`: another process took the run over;
 * `detached`: this process let go of a run that waits for a decision, leaving it in the journal;
 * `released`: this process handed the run over as it closed, its attempts in flight aborted and
 * left unfinished in the journal for the next owner to redo).
 */
export interface StopReason {
  kind: 'cancelled' | 'timeout' | 'budget' | 'lost' | 'detached' | 'released';
  message: string;
}

/** A decision on a task, as the loop acts on it. */
export interface TaskDecision {
  approved: boolean;
  by: string;
  reason?: string;
}

/**
 * What a task waits for before it may be launched (DESIGN section 9): undefined when it may go now,
 * the decision when one was already taken, or a promise of the decision to wait for.
 */
export interface TaskGate {
  gate(task: PlanTask, agent: string, source: TaskInputSource): TaskDecision | Promise<TaskDecision> | undefined;
}

/**
 * Where the loop gets its agents and their versions, under the run's manifest: the orchestrator's
 * services, made once, rather than closures made for every run.
 */
export interface LoopAgents {
  /** Builds (or returns the cached) agent of a name. */
  agent(name: string, manifest: Manifest): Promise<Agent>;
  /** The agent of a name when {@link agent} would give it at once (built and checked already). */
  readyAgent?(name: string, manifest: Manifest): Agent | undefined;
  versionOf(name: string, manifest: Manifest): string;
}

export interface RunLoopOptions {
  runId: string;
  goal: string;
  /** The run's parameters, handed to every agent. */
  params: Record<string, unknown>;
  plan: Plan;
  /** The manifest the run lives under: its policy, and each agent's retries, timeout and fallbacks. */
  manifest: Manifest;
  journal: RunJournal;
  agents: LoopAgents;
  /** Tasks finished by an earlier process (resume) or an earlier plan (re-planning). */
  restored?: readonly TaskResult[];
  /** Artifacts made under an earlier plan of this run (re-planning); still available to consumers. */
  carried?: { artifacts: Record<string, unknown>; provenance: Record<string, Provenance> };
  /** A cap on attempts in flight shared with other runs (a server). */
  limiter?: Limiter | undefined;
  /** Extra output checks (LLM judges). */
  extraChecks?: ((task: PlanTask, agent: Agent, output: AgentOutput, signal: AbortSignal, reportUsage?: (usage: Usage) => void) => Promise<string[]>) | undefined;
  /** Asked before a task is launched: a task that must wait for a decision holds no slot meanwhile. */
  approvals?: TaskGate;
  /** Told when nothing runs and nothing can start until a decision is taken. */
  onBlocked?: (() => void) | undefined;
  random?: () => number;
}

/** An agent's `run` as it is now, or undefined when reading it throws. */
function runOf(agent: Agent): unknown {
  try {
    return agent.run;
  } catch {
    return undefined;
  }
}

/** An attempt that could not be made (its agent could not be built or started): failed for good. */
function internalFailure(e: unknown): AttemptOutcome {
  return { status: 'failed', error: errorMessage(e), retryable: false };
}

/** An attempt the run stopped before its agent was called: as an attempt aborted by the stop ends. */
function stoppedOutcome(reason: StopReason): AttemptOutcome {
  return { status: 'cancelled', error: reason.message, retryable: true };
}

function rejectedBecause(d: TaskDecision): string {
  return `rejected by ${d.by}${d.reason ? `: ${d.reason}` : ''}`;
}

interface Relaunch {
  id: string;
  agent: string;
  feedback?: string | undefined;
}

/**
 * One attempt of a task as the loop follows it: what aborts it, and where its outcome goes. One
 * object per attempt, where a closure over the same values and a control were two, and each was
 * held through every minor GC while its agent worked.
 */
class LoopAttempt extends AttemptControl implements AttemptListener {
  /** Journaled as started: from then on the attempt ends itself, whatever stops the run. */
  started = false;

  constructor(
    private readonly loop: RunLoop,
    /** The task's position in the plan. */
    readonly at: number,
    readonly task: PlanTask,
    readonly agentName: string,
    readonly n: number,
    readonly attemptId: string,
    /** Gives the limiter's slot back, if one was taken. */
    readonly release: (() => void) | undefined,
  ) {
    super();
  }

  attemptEnded(outcome: AttemptOutcome): void {
    this.loop.attemptDone(this, outcome);
  }
}

/**
 * Drives one plan to its end: launches ready tasks up to `maxParallel`, runs the self-healing
 * ladder on each failure, skips what a failed task blocks, and stops cleanly on cancel, run
 * timeout or budget. The decisions live in DagState and the ladder; this class does the I/O.
 */
export class RunLoop implements TaskInputSource {
  // Without a prototype: an artifact named like an Object.prototype member stays an own key.
  readonly artifacts: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  stopReason: StopReason | undefined;
  /** True once any artifact is held (made here, restored or carried over). */
  hasArtifacts = false;

  private readonly policy: Policy;
  private readonly dag: DagState;
  // By the task's position in the plan (DagState.indexOf), not Maps by id: a Map of a plan's tasks
  // is ~600 B, and every run of the plan made three.
  private readonly tasks: readonly PlanTask[];
  private readonly attemptCount: number[];
  /**
   * By task position: when the task's output was recorded (1 for the first, 0 for none). The
   * provenance of an artifact is worked out from it and the journal's records only when asked
   * for ({@link provenanceFor}): most artifacts of a run are never delivered, and a record made
   * for each was ~150 bytes per task held for the rest of the run.
   */
  private readonly madeOrder: number[];
  private made = 0;
  private readonly carriedProvenance: Record<string, Provenance> | undefined;
  private readonly inflight: (AttemptControl | undefined)[];
  // Made on first use: most runs retry nothing and wait for no decision (a Map each is ~300 B per run).
  private ladders: Map<string, LadderState> | undefined;
  private waitingRetry: Map<string, NodeJS.Timeout> | undefined;
  private readonly relaunch: Relaunch[] = [];
  /** Tasks waiting for a decision before their launch (no slot held). */
  private held: Map<string, Relaunch> | undefined;
  private running = 0;
  /** Usage reported by attempts still in flight (not journaled yet): budgets count it too. */
  private readonly inFlightUsage: Usage = { llmCalls: 0, inputTokens: 0, outputTokens: 0 };
  private resolveDone: (() => void) | undefined;

  constructor(private readonly o: RunLoopOptions) {
    this.policy = o.manifest.orchestrator.policy;
    this.dag = new DagState(o.plan.tasks);
    this.tasks = o.plan.tasks.slice();
    this.attemptCount = new Array<number>(this.tasks.length).fill(0);
    this.madeOrder = new Array<number>(this.tasks.length).fill(0);
    this.carriedProvenance = o.carried?.provenance;
    this.inflight = new Array<AttemptControl | undefined>(this.tasks.length).fill(undefined);
    if (o.carried) {
      Object.assign(this.artifacts, o.carried.artifacts);
      for (const _ in o.carried.artifacts) {
        this.hasArtifacts = true;
        break;
      }
    }
    for (const r of o.restored ?? []) this.restore(r);
  }

  /** Runs until every task has ended, or the run is stopped. */
  run(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.resolveDone = resolve;
      // Planning (or an earlier plan's tasks) may have spent the budget already: then no attempt starts.
      const over = this.budgetExceeded();
      if (over) this.stop({ kind: 'budget', message: over });
      else this.pump();
    });
  }

  /** True when no attempt runs or is about to (what is left waits for decisions, or nothing is). */
  idle(): boolean {
    return this.running === 0 && !this.waitingRetry?.size && this.relaunch.length === 0;
  }

  /**
   * Journals what the attempts in flight have reported using so far: a run handed over leaves them
   * unfinished, and their usage would otherwise be in no event.
   */
  journalUsageInFlight(): void {
    const u = this.inFlightUsage;
    if (u.llmCalls === 0 && u.inputTokens === 0 && u.outputTokens === 0) return;
    this.o.journal.emit({ type: 'usage', usage: { ...u } });
  }

  /** Stops the run: in-flight attempts are aborted, waiting tasks end cancelled. */
  stop(reason: StopReason): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    for (const c of this.inflight) c?.abort(new AttemptAbort('cancelled', reason.message));
    this.pump();
  }

  /**
   * A stopped run launches nothing more: the retries, reassignments and decisions waiting are
   * dropped, and their tasks cancelled. Done at every pump once stopped, not only at the stop: a
   * listener of the event that schedules one (`task.retrying`, `task.reassigned`) may stop the
   * run before it is scheduled, and a run that kept it would never end.
   */
  private dropWaiting(): void {
    if (this.waitingRetry?.size) {
      for (const [id, timer] of this.waitingRetry) {
        clearTimeout(timer);
        this.cancelTask(id);
      }
      this.waitingRetry.clear();
    }
    this.relaunch.length = 0;
    if (this.held?.size) {
      for (const id of this.held.keys()) this.cancelTask(id);
      this.held.clear();
    }
  }

  private restore(r: TaskResult): void {
    const at = this.dag.indexOf(r.id);
    if (at === undefined) return;
    const last = r.attempts[r.attempts.length - 1];
    this.attemptCount[at] = last?.n ?? 0;
    if (r.status === 'succeeded' && r.output) {
      this.recordArtifacts(at, r.output);
      this.dag.restore(r.id, 'succeeded');
    } else if (r.status === 'failed' || r.status === 'skipped') {
      this.dag.restore(r.id, r.status);
    }
  }

  private pump(): void {
    if (this.stopReason) this.dropWaiting();
    else {
      while (this.running < this.policy.maxParallel) {
        const next = this.relaunch.shift();
        if (next) {
          this.launchOrHold(next);
          continue;
        }
        const id = this.dag.takeReady();
        if (id === undefined) break;
        // The planned agent goes first; the candidate list is only worked out if it fails.
        this.launchOrHold({ id, agent: this.taskOf(id).agent });
      }
    }
    if (this.running > 0 || this.waitingRetry?.size || this.relaunch.length > 0) return;
    if (this.held?.size) {
      if (!this.stopReason && !this.dag.hasReady()) this.o.onBlocked?.();
      return;
    }
    if (this.stopReason) {
      for (const id of this.dag.unfinished()) this.cancelTask(id);
    } else if (!this.dag.isDone()) {
      // Nothing runs and nothing is ready: only a plan that validation should have rejected gets here.
      for (const id of this.dag.unfinished()) {
        this.dag.cancel(id);
        this.o.journal.emit({ type: 'task.skipped', taskId: id, reason: 'unreachable: its dependencies can never complete' });
      }
    }
    const done = this.resolveDone;
    this.resolveDone = undefined;
    done?.();
  }

  /** The task of an id the plan has (the DAG hands out only those). */
  private taskOf(id: string): PlanTask {
    return this.tasks[this.dag.indexOf(id)!]!;
  }

  private ladderOf(id: string): LadderState {
    let l = this.ladders?.get(id);
    if (!l) {
      l = { candidates: candidateAgents(this.taskOf(id), this.o.manifest), current: 0, failuresOfCurrent: 0 };
      (this.ladders ??= new Map()).set(id, l);
    }
    return l;
  }

  // The closures of the paths few launches take are made in methods of their own: a function that
  // makes a closure over its variables allocates their context on every call, taken or not.

  /** Launches the task, unless it must wait for a decision: then it is held, taking no slot, until one comes. */
  private launchOrHold(next: Relaunch): void {
    const { id, agent } = next;
    const task = this.taskOf(id);
    // The input is worked out only when a decision is asked for: most launches need none.
    const gate = this.o.approvals?.gate(task, agent, this);
    if (!gate || (!(gate instanceof Promise) && gate.approved)) return this.launch(id, agent, next.feedback);
    if (!(gate instanceof Promise)) return this.failTask(id, rejectedBecause(gate));
    this.hold(next, gate);
  }

  private hold(next: Relaunch, gate: Promise<TaskDecision>): void {
    const { id } = next;
    const held = (this.held ??= new Map());
    held.set(id, next);
    void gate.then((decided) => {
      if (held.get(id) !== next) return;
      held.delete(id);
      if (decided.approved) this.relaunch.unshift(next);
      else this.failTask(id, rejectedBecause(decided));
      this.pump();
    });
  }

  private launch(id: string, agentName: string, feedback: string | undefined): void {
    this.running++;
    // The slot is taken now, so the loop launches no more than maxParallel meanwhile.
    if (turnSpent()) return this.launchInNextTurn(id, agentName, feedback);
    this.launchNow(id, agentName, feedback);
  }

  private launchInNextTurn(id: string, agentName: string, feedback: string | undefined): void {
    inNextTurn(() => this.launchNow(id, agentName, feedback));
  }

  private launchNow(id: string, agentName: string, feedback: string | undefined): void {
    const { limiter } = this.o;
    if (!limiter) return this.begin(id, agentName, feedback, undefined);
    this.launchWithSlot(limiter, id, agentName, feedback);
  }

  private launchWithSlot(limiter: Limiter, id: string, agentName: string, feedback: string | undefined): void {
    limiter.acquire().then(
      (release) => this.begin(id, agentName, feedback, release),
      (e: unknown) => this.attemptEnded(id, () => this.failTask(id, `internal error: ${errorMessage(e)}`), undefined),
    );
  }

  /**
   * One attempt of a task, with its slot (and the limiter's, if any) taken. Callbacks, not async
   * functions: an attempt is on the path of every task, and each async layer costs a frame and a
   * promise per attempt. It gives the slots back and pumps the loop when it ends ({@link attemptDone}).
   */
  private begin(id: string, agentName: string, feedback: string | undefined, release: (() => void) | undefined): void {
    const at = this.dag.indexOf(id)!;
    const task = this.tasks[at]!;
    try {
      if (this.stopReason) return this.cancelledAtLaunch(id, release);
      const n = this.attemptCount[at]! + 1;
      this.attemptCount[at] = n;
      const attemptId = newAttemptId(this.o.runId, id, n);
      const ready = this.o.agents.readyAgent?.(agentName, this.o.manifest);
      if (ready) this.attemptStarted(id, agentName, n, attemptId, feedback);
      const attempt = new LoopAttempt(this, at, task, agentName, n, attemptId, release);
      this.inflight[at] = attempt;
      // Whatever goes wrong below ends the attempt as a failed outcome, as the agent's own error would.
      try {
        if (ready) {
          attempt.started = true;
          // A listener of task.started stopped the run: the attempt ends cancelled, its agent never called.
          if (this.stopReason) return attempt.attemptEnded(stoppedOutcome(this.stopReason));
          return this.runAgent(ready, attempt, feedback);
        }
        this.runOnceBuilt(attempt, feedback);
      } catch (e) {
        attempt.attemptEnded(internalFailure(e));
      }
    } catch (e) {
      this.failedAtLaunch(id, e, release);
    }
  }

  /** Journals `task.started`, with the version the agent runs as (known once it was checked). */
  private attemptStarted(id: string, agentName: string, n: number, attemptId: string, feedback: string | undefined, version = this.versionOf(agentName)): void {
    const { runId } = this.o;
    this.o.journal.emit(taskStarted(id, agentName, version, n, attemptId, feedback, runId));
  }

  /**
   * Runs the attempt's agent once it is built (the first attempt of an agent not built yet). The
   * attempt is journaled as started only then: a capable stand-in's version is read when the
   * scheduler first turns to it, and its attempt records the version it reports, not its manifest's.
   */
  private runOnceBuilt(attempt: LoopAttempt, feedback: string | undefined): void {
    // A stop (cancel, run timeout, budget) ends it at once: the run does not wait for the build.
    attempt.whenAborted({ aborted: () => this.stoppedBeforeStart(attempt) });
    let built: Promise<Agent>;
    try {
      built = this.o.agents.agent(attempt.agentName, this.o.manifest);
    } catch (e) {
      built = Promise.reject(e);
    }
    built.then(
      (agent) => this.startBuilt(attempt, feedback, agent, undefined),
      (e: unknown) => this.startBuilt(attempt, feedback, undefined, e),
    );
  }

  /** Starts an attempt whose agent was being built: runs it, or records why it could not be (`failure`). */
  private startBuilt(attempt: LoopAttempt, feedback: string | undefined, agent: Agent | undefined, failure: unknown): void {
    // Stopped while its agent was being built: it never started (and has ended already).
    if (attempt.reason) return;
    attempt.started = true;
    const { task, agentName, n, attemptId } = attempt;
    try {
      // A refused agent's attempt shows the version it reported.
      const refused = failure instanceof AgentVersionError ? failure.verdicts.find((v) => v.agent === agentName)?.ran : undefined;
      this.attemptStarted(task.id, agentName, n, attemptId, feedback, refused);
      // A listener of task.started stopped the run: the attempt ends cancelled, its agent never called.
      if (this.stopReason) return attempt.attemptEnded(stoppedOutcome(this.stopReason));
      if (agent) return this.runAgent(agent, attempt, feedback);
    } catch (e) {
      failure = e;
    }
    attempt.attemptEnded(internalFailure(failure));
  }

  /** The run stopped while the attempt's agent was being built (its watcher until it starts): its task is cancelled. */
  private stoppedBeforeStart(attempt: LoopAttempt): void {
    if (attempt.started || this.inflight[attempt.at] !== attempt) return;
    this.inflight[attempt.at] = undefined;
    const { id } = attempt.task;
    this.attemptEnded(id, () => this.cancelTask(id), attempt.release);
  }

  private cancelledAtLaunch(id: string, release: (() => void) | undefined): void {
    this.attemptEnded(id, () => this.cancelTask(id), release);
  }

  private failedAtLaunch(id: string, e: unknown, release: (() => void) | undefined): void {
    this.attemptEnded(id, () => this.failTask(id, `internal error: ${errorMessage(e)}`), release);
  }

  private runAgent(agent: Agent, attempt: LoopAttempt, feedback: string | undefined): void {
    const { task, n } = attempt;
    // Read once (a getter may give another function each time, or throw: the attempt then reads it and fails as its agent would).
    const run = runOf(agent);
    const shared = sendsInput(run);
    const input: AgentInput = { runId: this.o.runId, goal: this.o.goal, task: { id: task.id, title: task.title, instructions: task.instructions }, inputs: this.inputsOf(task, shared), params: shared ? this.o.params : this.paramsCopy(), attempt: n };
    if (feedback !== undefined) input.feedback = feedback;
    startAttemptWith(
      agent,
      input,
      task.produces,
      this.o.manifest.agents[attempt.agentName]?.timeoutMs ?? this.policy.taskTimeoutMs,
      this.policy.maxOutputBytes,
      this.o.extraChecks && this.extraChecksOf(task, agent),
      this.onUsage,
      attempt,
      attempt,
      shared ? (run as Agent['run']) : undefined,
    );
  }

  private extraChecksOf(task: PlanTask, agent: Agent): AttemptOptions['extraChecks'] {
    const extra = this.o.extraChecks!;
    return (out, signal, report) => extra(task, agent, out, signal, report);
  }

  /** An attempt ended (told once by its {@link LoopAttempt}): what it came to is recorded, its slots given back. */
  attemptDone(attempt: LoopAttempt, outcome: AttemptOutcome): void {
    if (this.inflight[attempt.at] !== attempt) return;
    this.inflight[attempt.at] = undefined;
    const { task } = attempt;
    try {
      this.settle(task, attempt.at, attempt.agentName, attempt.n, attempt.attemptId, outcome);
    } catch (e) {
      this.failTask(task.id, `internal error: ${errorMessage(e)}`);
    } finally {
      this.slotFreed(attempt.release);
    }
  }

  /** Ends an attempt of task `id`: `settle` records what it came to; then its slots are given back and the loop pumped. */
  private attemptEnded(id: string, settle: () => void, release: (() => void) | undefined): void {
    try {
      settle();
    } catch (e) {
      this.failTask(id, `internal error: ${errorMessage(e)}`);
    } finally {
      this.slotFreed(release);
    }
  }

  /** An attempt's slot, and the limiter's if it took one, are free again: the loop goes on. */
  private slotFreed(release: (() => void) | undefined): void {
    try {
      release?.();
    } finally {
      this.running--;
      this.pump();
    }
  }

  private readonly onUsage = (u: Usage): void => this.usageReported(u, 1);

  private settle(task: PlanTask, at: number, agent: string, n: number, attemptId: string, outcome: AttemptOutcome): void {
    const id = task.id;
    if (outcome.usage) {
      this.usageReported(outcome.usage, -1);
      this.o.journal.emit({ type: 'usage', usage: outcome.usage, taskId: id });
      const over = this.budgetExceeded();
      if (over) this.stop({ kind: 'budget', message: over });
    }
    if (outcome.status === 'succeeded') {
      const { output, usage } = outcome;
      const { runId } = this.o;
      this.o.journal.emit(taskSucceeded(id, agent, n, attemptId, output, usage, runId));
      this.recordArtifacts(at, output);
      this.dag.succeed(id);
      return;
    }
    this.settleFailure(task, agent, n, attemptId, outcome);
  }

  private settleFailure(task: PlanTask, agent: string, n: number, attemptId: string, outcome: Exclude<AttemptOutcome, { status: 'succeeded' }>): void {
    const id = task.id;
    const status = outcome.status === 'cancelled' ? 'failed' : outcome.status;
    const error = outcome.status === 'cancelled' ? `cancelled: ${outcome.error}` : outcome.error;
    const failed = { type: 'task.attempt.failed' as const, taskId: id, agent, attempt: n, attemptId, status, error };
    this.o.journal.emit(outcome.usage ? { ...failed, usage: outcome.usage } : failed);
    if (outcome.status === 'cancelled' || this.stopReason) return this.cancelTask(id);

    const ladder = this.ladderOf(id);
    const decision = decideAfterFailure(
      ladder,
      { agent, status: outcome.status, retryable: outcome.retryable, error: outcome.error, retryAfterMs: outcome.retryAfterMs },
      (name) => this.o.manifest.agents[name]?.retries ?? this.policy.retries,
      this.policy.backoff,
      this.o.random,
    );
    this.ladders!.set(id, advance(ladder, decision));
    if (decision.action === 'retry') {
      this.o.journal.emit({ type: 'task.retrying', taskId: id, agent, attempt: n + 1, delayMs: decision.delayMs, feedback: decision.feedback });
      const timer = setTimeout(() => {
        this.waitingRetry?.delete(id);
        this.relaunch.push({ id, agent, feedback: decision.feedback });
        this.pump();
      }, Math.min(decision.delayMs, MAX_TIMER_MS));
      (this.waitingRetry ??= new Map()).set(id, timer);
    } else if (decision.action === 'reassign') {
      this.o.journal.emit({ type: 'task.reassigned', taskId: id, from: decision.from, to: decision.to, reason: decision.reason });
      this.relaunch.push({ id, agent: decision.to, feedback: decision.feedback });
    } else {
      this.failTask(id, decision.reason);
    }
  }

  /** Tracks usage of attempts in flight (+1 as reported, -1 once journaled) and stops the run when a budget is spent. */
  private usageReported(u: Usage, sign: 1 | -1): void {
    this.inFlightUsage.llmCalls += sign * u.llmCalls;
    this.inFlightUsage.inputTokens += sign * u.inputTokens;
    this.inFlightUsage.outputTokens += sign * u.outputTokens;
    if (sign === 1) {
      const over = this.budgetExceeded();
      if (over) this.stop({ kind: 'budget', message: over });
    }
  }

  private failTask(id: string, reason: string): void {
    if (this.dag.stateOf(id) !== 'running') return;
    this.o.journal.emit({ type: 'task.failed', taskId: id, reason });
    for (const skipped of this.dag.fail(id)) {
      this.o.journal.emit({ type: 'task.skipped', taskId: skipped, reason: `needs the output of ${id}, which failed` });
    }
  }

  private cancelTask(id: string): void {
    const s = this.dag.stateOf(id);
    if (s === 'succeeded' || s === 'failed' || s === 'skipped' || s === 'cancelled') return;
    this.dag.cancel(id);
    // A run let go while it waits stays as the journal has it: another process carries it on.
    if (this.stopReason?.kind === 'detached') return;
    this.o.journal.emit({ type: 'task.cancelled', taskId: id, reason: this.stopReason?.message ?? 'run stopped' });
  }

  /** What `task` is given when it runs (asked by a decision on it). */
  inputFor(task: PlanTask): { inputs: Record<string, unknown>; params: Record<string, unknown> } {
    return { inputs: this.inputsOf(task), params: this.paramsCopy() };
  }

  private versionOf(agent: string): string {
    return this.o.agents.versionOf(agent, this.o.manifest);
  }

  /** Why the run must stop, when a budget is spent counting the usage of attempts in flight. */
  private budgetExceeded(): string | undefined {
    return budgetExceeded(this.policy, this.o.journal.builder.current()?.usage, this.inFlightUsage);
  }

  /** The run's parameters, the agent's own copy: most runs have none, and an empty object is made, not copied. */
  private paramsCopy(): Record<string, unknown> {
    const { params } = this.o;
    for (const _ in params) return dataCopy(params);
    return {};
  }

  /**
   * The task's inputs, each the agent's own copy: an agent that sorts or edits what it was given
   * changes neither the output the journal holds nor what the task's siblings get, as when its
   * input crosses a process (a command, a thread, a worker). An agent that sends its input across
   * (`shared`: see sends-input.ts) is given the artifacts as they are.
   */
  private inputsOf(task: PlanTask, shared = false): Record<string, unknown> {
    const inputs: Record<string, unknown> = {};
    for (const c of task.consumes) setOwn(inputs, c, Object.hasOwn(this.artifacts, c) ? (shared ? this.artifacts[c] : dataCopy(this.artifacts[c])) : undefined);
    return inputs;
  }

  private recordArtifacts(at: number, output: AgentOutput): void {
    let made = false;
    for (const artifact of this.tasks[at]!.produces) {
      if (!Object.hasOwn(output, artifact)) continue;
      this.artifacts[artifact] = output[artifact];
      made = true;
    }
    if (!made) return;
    this.hasArtifacts = true;
    this.madeOrder[at] = ++this.made;
  }

  /**
   * The provenance of each artifact of `types` the run holds (skipped: those it does not): the
   * attempt that made the artifact's value, as {@link artifacts} holds it (the last task to make it),
   * else the provenance carried over from an earlier plan.
   */
  provenanceFor(types: readonly string[]): Record<string, Provenance> {
    // Each type looks through the tasks; past a few, one pass over the tasks that made something is cheaper.
    if (types.length > 8) return pick(this.allProvenance(), types);
    const record: Record<string, Provenance> = {};
    for (const type of types) {
      const p = this.provenanceOf(type);
      if (p) setOwn(record, type, p);
    }
    return record;
  }

  /** The provenance of every artifact the run holds (see {@link provenanceFor}), made anew as a plain object. */
  allProvenance(): Record<string, Provenance> {
    const record = ownCopy(this.carriedProvenance);
    const makers: number[] = [];
    for (let at = 0; at < this.tasks.length; at++) if (this.madeOrder[at]! > 0) makers.push(at);
    makers.sort((a, b) => this.madeOrder[a]! - this.madeOrder[b]!);
    for (const at of makers) {
      const output = this.outputOf(at);
      for (const type of this.tasks[at]!.produces) if (output && Object.hasOwn(output, type)) setOwn(record, type, this.provenanceOfTask(at));
    }
    return record;
  }

  private provenanceOf(type: string): Provenance | undefined {
    let maker = -1;
    for (let at = 0; at < this.tasks.length; at++) {
      const order = this.madeOrder[at]!;
      if (order === 0 || (maker >= 0 && order < this.madeOrder[maker]!) || !this.tasks[at]!.produces.includes(type)) continue;
      const output = this.outputOf(at);
      if (output && Object.hasOwn(output, type)) maker = at;
    }
    if (maker >= 0) return this.provenanceOfTask(maker);
    const carried = this.carriedProvenance;
    return carried && Object.hasOwn(carried, type) ? carried[type] : undefined;
  }

  private outputOf(at: number): AgentOutput | undefined {
    return this.o.journal.builder.taskResult(this.tasks[at]!.id)?.output;
  }

  /** The provenance of what task `at` made: its succeeded attempt, as the journal recorded it. */
  private provenanceOfTask(at: number): Provenance {
    const task = this.tasks[at]!;
    const t = this.o.journal.builder.taskResult(task.id);
    const attempts = t?.attempts ?? [];
    let a = attempts[attempts.length - 1];
    for (let i = attempts.length - 1; i >= 0; i--) {
      if (attempts[i]!.status !== 'succeeded') continue;
      a = attempts[i];
      break;
    }
    const agent = a?.agent ?? t?.agent ?? task.agent;
    return provenance(task.id, agent, a?.agentVersion ?? this.versionOf(agent), a?.n ?? 0, a?.attemptId ?? '', a?.endedAt ?? '');
  }
}

/** The entries of `record` for `types` it has, as a plain object. */
function pick<T>(record: Readonly<Record<string, T>>, types: readonly string[]): Record<string, T> {
  const picked: Record<string, T> = {};
  for (const type of types) if (Object.hasOwn(record, type)) setOwn(picked, type, record[type] as T);
  return picked;
}
