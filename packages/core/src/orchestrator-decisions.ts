import { randomUUID } from 'node:crypto';
import type { DecisionRequest, RunOwner, RunStore } from './core/contracts.ts';
import { BatonError } from './core/errors.ts';
import type { RunEvent } from './core/events.ts';
import { reduceEvents } from './core/reduce.ts';
import { isFinalStatus } from './core/types.ts';
import type { ApprovalDecision, Manifest, PendingApproval, Plan, RunResult } from './core/types.ts';
import { decisionTarget, describe, keyOf, notAwaiting } from './execution/approvals.ts';
import type { RunApprovals } from './execution/approvals.ts';
import { checkDecision } from './execution/decision-input.ts';
import { leaseMs, ownerGone } from './execution/owner-identity.ts';
import { OwnerSession } from './execution/owner-session.ts';
import type { AwaitedDecision, DecisionOutcome, ResumeOptions, RunHandle } from './orchestrator-options.ts';
import { editedPlanOf } from './planning/fixed-plan.ts';
import { supportsOwnership } from './store/ownership.ts';
import { SlotMap } from './core/slot-map.ts';

type RunStarted = Extract<RunEvent, { type: 'run.started' }>;

/** What the decisions need of the orchestrator that holds them. */
export interface DecisionHost {
  readonly store: RunStore;
  resume(runId: string, options: ResumeOptions): Promise<RunHandle>;
  /** Lets go of a run held here, still waiting: it ends nothing, the run is left for the next decision. */
  detach(runId: string): void;
  /** The manifest a run goes on under. */
  manifestOf(started: RunStarted, useCurrent: boolean): Manifest;
  /** Why a plan cannot run under a manifest's version pins, if it cannot. */
  versionRefusal(plan: Plan, manifest: Manifest): Promise<string | undefined>;
  /** Whether `owner` is this process only because the run ended here unjournaled and waits for the takeover sweep. */
  waitsForSweepHere(runId: string, owner: RunOwner): boolean;
}

/** A decision to take on a run this process takes over, and the approvals it was taken on. */
interface Carried {
  decision: ApprovalDecision;
  approvals?: RunApprovals;
  taken?: Promise<void>;
  /** Settles once this decision's carry is over, taken or not: a decision on the same run waits for it. */
  over: Promise<void>;
}

/**
 * Takes decisions on runs that wait for one, wherever each run is held: the approvals of runs held
 * in this process, requests left in the journal for another live process, and runs taken over to
 * be decided on when nobody holds them.
 */
export class DecisionDesk {
  private readonly held = new SlotMap<string, RunApprovals>();
  /** Decisions to take on runs this process takes over to decide on them, before they can stall. */
  private readonly carried = new Map<string, Carried>();

  constructor(private readonly host: DecisionHost) {}

  /** A run held here has its approvals: a decision it was taken over for is taken at once. */
  holding(runId: string, approvals: RunApprovals): void {
    this.held.set(runId, approvals);
    const carried = this.carried.get(runId);
    if (carried && !carried.taken) {
      carried.approvals = approvals;
      carried.taken = approvals.decide(carried.decision);
    }
  }

  /** The run is no longer held here. */
  released(runId: string): void {
    this.held.delete(runId);
  }

  /** The approvals of a run held here. */
  approvalsOf(runId: string): RunApprovals | undefined {
    return this.held.get(runId);
  }

  /** See `Orchestrator.decide`. */
  async decide(runId: string, decision: ApprovalDecision, options: ResumeOptions): Promise<DecisionOutcome> {
    checkDecision(decision);
    const { store } = this.host;
    const arrived = Date.now();
    let tries = 0;
    /** What the decision was about when it waited for another carried on this run: it answers that alone. */
    let pinned: PendingApproval | undefined;
    for (;;) {
      const here = this.held.get(runId);
      if (here) {
        if (pinned) stillWaits(runId, here.status(), here.pending(), pinned);
        const late = lateTarget(runId, decision, here.pending(), arrived);
        // Its deadline timer ends the run here; the decision must not beat it.
        if (late) throw tooLate(runId, here.status(), late);
        await here.decide(decision);
        return { kind: 'decided', result: here.result() };
      }
      const events = await store.readEvents(runId);
      const result = reduceEvents(events);
      const started = events.find((e): e is RunStarted => e.type === 'run.started');
      if (!result || !started) throw new BatonError('RUN_NOT_FOUND', `no run ${runId} in this journal`, { runId, retryable: false });
      if (isFinalStatus(result.status)) throw notAwaiting(runId, result.status, `it ended ${result.status}: nothing waits for a decision`);
      const target = pinned ? stillWaits(runId, result.status, result.awaiting ?? [], pinned) : decisionTarget(runId, result.status, decision, result.awaiting ?? []);
      if (missed(target, arrived)) {
        const ended = await this.expire(runId, options);
        if (ended === 'retry' && tries++ === 0) continue;
        throw tooLate(runId, ended === 'retry' ? result.status : ended.status, target, ended === 'retry' ? undefined : ended);
      }
      if (decision.plan !== undefined) await this.checkEditedPlan(decision, target, result, this.host.manifestOf(started, options.useCurrentManifest === true));
      if (supportsOwnership(store)) {
        const ownership = await store.ownership(runId);
        if (ownership?.owner && !ownerGone(ownership, leaseMs()) && !this.host.waitsForSweepHere(runId, ownership.owner)) {
          const request: DecisionRequest = { id: `d_${randomUUID()}`, runId, key: keyOf(target.kind, target.taskId), decision, requestedAt: new Date().toISOString() };
          if (!(await store.requestDecision(request))) throw notAwaiting(runId, result.status, `another decision on ${describe(target)} is being recorded; see \`baton runs show ${runId}\``, result.awaiting);
          return { kind: 'requested', requestId: request.id, owner: `process ${ownership.owner.pid} on ${ownership.owner.host}` };
        }
      }
      const other = this.carried.get(runId);
      if (other) {
        // Another decision is carrying the run on here: this one is taken after it, if what it is about still waits.
        if (!pinned) {
          pinned = target;
          // Named, so that what waits by then cannot make it ambiguous or point it elsewhere.
          if (target.kind === 'task' && decision.taskId === undefined) decision = { ...decision, taskId: target.taskId! };
        }
        await other.over;
        continue;
      }
      let over!: () => void;
      const carried: Carried = { decision, over: new Promise((resolve) => (over = resolve)) };
      this.carried.set(runId, carried);
      try {
        return await this.carry(runId, carried, options);
      } catch (e) {
        // Another process claimed it a moment ago: leave the decision for it instead.
        if (tries++ === 0 && BatonError.isInstance(e) && e.code === 'RUN_NOT_RESUMABLE') continue;
        throw e;
      } finally {
        if (this.carried.get(runId) === carried) this.carried.delete(runId);
        over();
      }
    }
  }

  /**
   * Takes the run over to take `carried` on it. Another resume of the run in this process (a
   * cancel, the takeover sweeper) may hold it first: the decision is then taken on that run.
   * `decide` removes the entry once this is over (a decision is taken from it once only).
   */
  private async carry(runId: string, carried: Carried, options: ResumeOptions): Promise<DecisionOutcome> {
    let handle: RunHandle;
    try {
      handle = await this.host.resume(runId, options);
    } catch (e) {
      if (!carried.taken || !carried.approvals) throw e;
      // This process holds the run under another resume, which took the decision when it began.
      await carried.taken;
      return { kind: 'decided', result: carried.approvals.result() };
    }
    try {
      if (!carried.taken || !carried.approvals) throw new BatonError('INTERNAL', `run ${runId} was carried on without its decision`, { runId });
      await carried.taken;
    } catch (e) {
      // The decision was refused: the run is let go again, still waiting, for the next decision.
      this.host.detach(runId);
      await handle.result.catch(() => undefined);
      throw e;
    }
    // Not read from `held`: the run may have ended, and been released, once its decision was taken.
    return { kind: 'carried', handle, result: carried.approvals.result() };
  }

  /** See `Orchestrator.awaitDecision`. */
  async awaitDecision(runId: string, requestId: string, options: ResumeOptions & { timeoutMs?: number }): Promise<AwaitedDecision> {
    const { store } = this.host;
    const until = Date.now() + (options.timeoutMs ?? 30_000);
    // Each poll reads only the events journaled since the last one; the whole journal once, when found.
    let seen = 0;
    const recorded = async (): Promise<RunResult | undefined> => {
      const events = await store.readEvents(runId, seen);
      seen = events.at(-1)?.seq ?? seen;
      return events.some((e) => e.type === 'approval.decided' && e.requestId === requestId) ? reduceEvents(await store.readEvents(runId)) : undefined;
    };
    for (;;) {
      const done = await recorded();
      if (done) return { kind: 'recorded', result: done };
      if (!supportsOwnership(store)) return { kind: 'pending' };
      const waiting = (await store.decisionRequests({ runId })).some((r) => r.id === requestId);
      if (!waiting) {
        const late = await recorded();
        if (late) return { kind: 'recorded', result: late };
        const now = reduceEvents(await store.readEvents(runId));
        throw notAwaiting(runId, now?.status ?? 'unknown', 'the decision was not taken: what it decided no longer waits (another decision came first)', now?.awaiting ?? []);
      }
      const ownership = await store.ownership(runId);
      if (ownership && (!ownership.owner || ownerGone(ownership, leaseMs()) || this.host.waitsForSweepHere(runId, ownership.owner))) {
        try {
          const handle = await this.host.resume(runId, options);
          await OwnerSession.of(store)?.tick();
          return { kind: 'carried', handle };
        } catch (e) {
          if (!(BatonError.isInstance(e) && e.code === 'RUN_NOT_RESUMABLE')) throw e;
        }
      }
      if (Date.now() > until) return { kind: 'pending' };
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Applies a decision another process left in the journal for a run held here, then removes the request. */
  async applyRequest(runId: string, request: DecisionRequest): Promise<void> {
    const approvals = this.held.get(runId);
    const { store } = this.host;
    if (!approvals || !supportsOwnership(store)) return;
    const requestedAt = Date.parse(request.requestedAt);
    // Asked for after the deadline (by a process that did not see it pass): dropped, as a late decide is refused.
    if (lateTarget(runId, request.decision, approvals.pending(), Number.isNaN(requestedAt) ? Date.now() : requestedAt)) {
      await store.clearDecision(runId, request.id).catch(() => undefined);
      return;
    }
    // A decision that no longer applies (decided meanwhile) is dropped; its decider sees it was not taken.
    // It answers what it was asked about (its key) alone: an approval of the plan that another
    // decision took first must not approve the task that plan then led to.
    // Nor an approval asked for after the request was made (the plan of a re-plan, a task of
    // that plan): its decider never saw it.
    const target = approvals.pending().find((p) => keyOf(p.kind, p.taskId) === request.key && !(Date.parse(p.requestedAt) > requestedAt));
    if (target) {
      const decision = { ...request.decision, ...(target.kind === 'task' ? { taskId: target.taskId! } : {}), requestId: request.id };
      await approvals.decide(decision).catch(() => undefined);
    }
    await store.clearDecision(runId, request.id).catch(() => undefined);
  }

  /**
   * Lets the deadline of a run nobody holds end it, as it would have in a process holding it: the
   * run is carried on here without the decision, and its timer (already due) ends it. `retry` when
   * a live process holds it (its own timer ends it) or claimed it just now.
   */
  private async expire(runId: string, options: ResumeOptions): Promise<RunResult | 'retry'> {
    const { store } = this.host;
    if (supportsOwnership(store)) {
      const ownership = await store.ownership(runId);
      if (ownership?.owner && !ownerGone(ownership, leaseMs())) return 'retry';
    }
    try {
      // Not let go while it waits (the deadline must be seen to end it), nor shown as waiting again.
      const { onEvent: _shown, ...quiet } = options;
      const handle = await this.host.resume(runId, { ...quiet, detachWhenWaiting: false });
      return await handle.result;
    } catch (e) {
      if (BatonError.isInstance(e) && e.code === 'RUN_NOT_RESUMABLE') return 'retry';
      throw e;
    }
  }

  /** An edited plan a decision would approve, checked here before it is left for another process. */
  private async checkEditedPlan(decision: ApprovalDecision, target: PendingApproval, result: RunResult, manifest: Manifest): Promise<void> {
    if (decision.decision !== 'approved' || target.kind !== 'plan') throw new BatonError('BAD_REQUEST', 'an edited plan goes with an approval of the plan, not of a task or a rejection', { runId: result.runId, retryable: false });
    const available = result.tasks.filter((t) => t.status === 'succeeded').flatMap((t) => Object.keys(t.output ?? {}));
    const plan = editedPlanOf(decision.plan, manifest, available);
    const refused = await this.host.versionRefusal(plan, manifest);
    if (refused) throw new BatonError('BAD_REQUEST', `the edited plan cannot run: ${refused}`, { runId: result.runId, retryable: false });
  }
}

/** True when a decision that arrived at `at` came after what it decides stopped waiting (`expiresAt`). */
function missed(target: PendingApproval, at: number): boolean {
  return target.expiresAt !== undefined && Date.parse(target.expiresAt) <= at;
}

/** What a decision decides among what waits, when it came after its deadline; errors are left to the decision itself. */
function lateTarget(runId: string, decision: ApprovalDecision, waiting: readonly PendingApproval[], at: number): PendingApproval | undefined {
  let target: PendingApproval;
  try {
    target = decisionTarget(runId, 'awaiting-approval', decision, waiting);
  } catch {
    return undefined;
  }
  return missed(target, at) ? target : undefined;
}

/**
 * The approval a decision is about among what waits, if it still waits: `pinned`, the one it was
 * about when it arrived. A decision that names no task must not answer a request made after it.
 * @throws BatonError `NOT_AWAITING_APPROVAL` when that approval no longer waits.
 */
function stillWaits(runId: string, status: string, waiting: readonly PendingApproval[], pinned: PendingApproval): PendingApproval {
  const target = waiting.find((p) => p.kind === pinned.kind && p.taskId === pinned.taskId);
  if (target) return target;
  throw notAwaiting(runId, status, `${describe(pinned)} no longer waits for a decision: another decision was taken on it first`, waiting);
}

/** The refusal of a decision that came after its deadline (409 / exit 64, as for a run that ended). */
function tooLate(runId: string, status: string, target: PendingApproval, ended?: RunResult): BatonError {
  const end = ended ? `; the run ended ${ended.status}${ended.reason ? `: ${ended.reason}` : ''}` : '';
  return notAwaiting(runId, status, `the decision came too late: ${describe(target)} waited for one until ${target.expiresAt ?? '?'} (policy.approvalTimeoutMs)${end}`);
}
