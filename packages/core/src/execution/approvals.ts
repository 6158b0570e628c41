import { MAX_TIMER_MS } from '../core/defaults.ts';
import { BatonError } from '../core/errors.ts';
import type { RunEvent } from '../core/events.ts';
import { pendingApprovalOf } from '../core/reduce.ts';
import type { ApprovalDecision, ApprovalKind, Manifest, PendingApproval, Plan, PlanTask, RunResult, RunStatus } from '../core/types.ts';
import type { RunJournal } from './journal.ts';
import { resultCopy } from '../validation/json-copy.ts';

/** What a task is given when it runs, worked out only when a decision on it is asked for. */
export interface TaskInputSource {
  inputFor(task: PlanTask): { inputs: Record<string, unknown>; params: Record<string, unknown> };
}

/** A decision as the run acts on it. */
export interface Decided {
  approved: boolean;
  by: string;
  reason?: string;
}

/** A decision given to a run, and where it came from. */
export interface DecisionInput extends ApprovalDecision {
  /** The journal's decision request it answers (another process left it). */
  requestId?: string;
}

/**
 * The run a {@link RunApprovals} decides for: what it asks of the run and what it tells it. Methods
 * of one object per run, not a closure for each.
 */
export interface ApprovalsHost {
  /** An edited plan, checked like a plan given with a run (artifacts already made count as available). */
  checkPlan(raw: unknown, available: readonly string[]): Plan;
  /** Why a plan may not start (version pins), if it may not. */
  versionRefusal(plan: Plan): Promise<string | undefined>;
  /** Nobody decided in time (policy.approvalTimeoutMs). */
  approvalExpired(message: string): void;
  /** The number of decisions waited for changed. */
  waitingChanged?(count: number): void;
}

export interface RunApprovalsOptions {
  journal: RunJournal;
  manifest: Manifest;
  /** Every decision is approved at once, by this name (`baton run --yes`). */
  autoApprove?: { by: string };
  host: ApprovalsHost;
}

interface Waiting {
  pending: PendingApproval;
  waiters: ((d: Decided) => void)[];
}

/** What a decision is on, as a request left in the journal names it: `plan`, `task:<id>`. */
export const keyOf = (kind: ApprovalKind, taskId?: string): string => (kind === 'plan' ? 'plan' : `task:${taskId ?? ''}`);

/** Why a decision cannot be taken: nothing (or not that) waits. HTTP 409, exit 64. */
export function notAwaiting(runId: string, status: RunStatus | string, message: string, waiting: readonly PendingApproval[] = []): BatonError {
  return new BatonError('NOT_AWAITING_APPROVAL', `run ${runId} (${status}): ${message}`, { runId, retryable: false, details: { status, waiting: waiting.map(describe) } });
}

/**
 * What a decision is about among what waits: the task it names; without one, the plan, or the
 * only task that waits.
 * @throws BatonError `NOT_AWAITING_APPROVAL` when that does not wait; `BAD_REQUEST` when several tasks wait and none is named.
 */
export function decisionTarget(runId: string, status: RunStatus | string, d: Pick<ApprovalDecision, 'taskId' | 'plan' | 'decision'>, waiting: readonly PendingApproval[]): PendingApproval {
  if (d.taskId !== undefined) {
    const found = waiting.find((p) => p.kind === 'task' && p.taskId === d.taskId);
    if (found) return found;
    const what = waiting.length > 0 ? `what waits: ${waiting.map(describe).join(', ')}` : 'nothing waits for a decision';
    throw notAwaiting(runId, status, `task ${d.taskId} does not wait for a decision (${what})`, waiting);
  }
  const plan = waiting.find((p) => p.kind === 'plan');
  if (plan) return plan;
  if (waiting.length === 1) return waiting[0]!;
  if (waiting.length === 0) throw notAwaiting(runId, status, 'nothing waits for a decision', waiting);
  throw new BatonError('BAD_REQUEST', `several tasks wait for a decision (${waiting.map((p) => p.taskId).join(', ')}): name one (--task ID, taskId)`, { runId, retryable: false });
}

/** "the plan", "task t3-send-mail". */
export function describe(p: Pick<PendingApproval, 'kind' | 'taskId'>): string {
  return p.kind === 'plan' ? 'the plan' : `task ${p.taskId ?? '?'}`;
}

/**
 * The decisions one run waits for and has taken (DESIGN section 9). A plan approval holds the run
 * after planning; a task approval holds only that task, before it is launched. Requests and
 * decisions are journaled (`approval.requested`, `approval.decided`), so a process that carries
 * the run on rebuilds this from the journal and waits again, with the same deadlines.
 */
export class RunApprovals {
  // Shared empty collections until the first write: nearly every run waits for and decides nothing,
  // and three Maps and a Set were ~600 B of every run in flight.
  private waiting: ReadonlyMap<string, Waiting> = NO_ENTRIES;
  private decided: ReadonlyMap<string, Decided> = NO_ENTRIES;
  private seenRequests: ReadonlySet<string> = NO_KEYS;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private deciding = 0;

  constructor(private readonly o: RunApprovalsOptions) {}

  /** Rebuilds what waits and what was decided from a run's journal (resume, takeover). */
  restore(events: readonly RunEvent[]): void {
    for (const e of events) {
      if (e.type === 'plan.created' || e.type === 'plan.replaced') {
        this.writableDecided().delete('plan');
        this.writableWaiting().delete('plan');
      } else if (e.type === 'approval.requested') {
        this.writableWaiting().set(keyOf(e.kind, e.taskId), { pending: pendingApprovalOf(e), waiters: [] });
      } else if (e.type === 'approval.decided') {
        const key = keyOf(e.kind, e.taskId);
        this.writableWaiting().delete(key);
        this.writableDecided().set(key, decidedOf(e));
        if (e.requestId) this.writableSeenRequests().add(e.requestId);
      }
    }
  }

  /** Asks again, in the journal, for what still waits (a process carrying the run on), keeping each deadline. */
  reissue(): void {
    for (const { pending } of this.waiting.values()) this.emitRequest(pending, true);
    this.changed();
  }

  /** The run's status now, read without copying its result. */
  status(): RunStatus {
    return this.o.journal.builder.current()!.status;
  }

  /** A copy of the run's result so far. */
  result(): RunResult {
    return resultCopy(this.o.journal.builder.current()!);
  }

  /** What waits now. */
  pending(): PendingApproval[] {
    return [...this.waiting.values()].map((w) => w.pending);
  }

  /** The decision on the current plan, once there is one. */
  planDecision(): Decided | undefined {
    return this.decided.get('plan');
  }

  /** True when the plan must be decided on before it runs (policy.approval: plan) and has not been. */
  planNeedsDecision(): boolean {
    return this.o.manifest.orchestrator.policy.approval === 'plan' && !this.decided.has('plan');
  }

  /** A new plan replaced the one decided on: it needs its own decision. */
  planReplaced(): void {
    if (this.decided.has('plan')) this.writableDecided().delete('plan');
  }

  /** Waits for the decision on `plan`, asking for it unless it was asked already (a resumed run). */
  decidePlan(plan: Plan): Promise<Decided> {
    const known = this.decided.get('plan');
    if (known) return Promise.resolve(known);
    if (!this.waiting.has('plan')) this.request({ kind: 'plan', plan, requestedAt: new Date().toISOString() });
    // Approved up front (--yes) as it was asked.
    return this.waitFor('plan');
  }

  /**
   * Whether a task may be launched with `agent` now: undefined when nothing is to be decided, the
   * decision when it was taken, otherwise a promise of it (asked for here unless it was asked
   * already). A task approved once stays approved for its retries and stand-ins.
   */
  gate(task: PlanTask, agent: string, source: TaskInputSource): Decided | Promise<Decided> | undefined {
    // The common case, first: no decision anywhere and none needed for this agent.
    if (this.decided.size === 0 && this.waiting.size === 0 && this.o.manifest.agents[agent]?.approval !== 'required') return undefined;
    const key = keyOf('task', task.id);
    const known = this.decided.get(key);
    if (known) return known;
    if (!this.waiting.has(key)) {
      if (this.o.manifest.agents[agent]?.approval !== 'required') return undefined;
      this.request({ kind: 'task', taskId: task.id, task, agent, input: source.inputFor(task), requestedAt: new Date().toISOString() });
      // Approved up front (--yes) as it was asked.
      const now = this.decided.get(key);
      if (now) return now;
    }
    return this.waitFor(key);
  }

  /**
   * Takes a decision: checks that what it decides waits (and an edited plan runs), journals it and
   * lets the run go on. Resolves once the decision is in the journal.
   * @throws BatonError `NOT_AWAITING_APPROVAL` when nothing (or not that task) waits; `BAD_REQUEST` for a bad decision.
   */
  async decide(d: DecisionInput, status: RunStatus = this.o.journal.builder.current()?.status ?? 'running'): Promise<void> {
    this.deciding++;
    try {
      await this.take(d, status);
    } finally {
      this.deciding--;
    }
  }

  /** True while a decision is being checked and journaled (the run is not stuck waiting then). */
  isDeciding(): boolean {
    return this.deciding > 0;
  }

  private async take(d: DecisionInput, status: RunStatus): Promise<void> {
    const runId = this.o.journal.runId;
    if (d.requestId !== undefined) {
      if (this.seenRequests.has(d.requestId)) return;
      this.writableSeenRequests().add(d.requestId);
    }
    let key = this.keyFor(d, status);
    let edited: Plan | undefined;
    if (d.plan !== undefined) {
      if (d.decision !== 'approved' || key !== 'plan') throw new BatonError('BAD_REQUEST', 'an edited plan goes with an approval of the plan, not of a task or a rejection', { runId, retryable: false });
      // Artifacts the run already made (before a re-plan) are inputs an edited plan may use.
      const available = (this.o.journal.builder.current()?.tasks ?? []).filter((t) => t.status === 'succeeded').flatMap((t) => Object.keys(t.output ?? {}));
      edited = this.o.host.checkPlan(d.plan, available);
      const refused = await this.o.host.versionRefusal(edited);
      if (refused) throw new BatonError('BAD_REQUEST', `the edited plan cannot run: ${refused}`, { runId, retryable: false });
      // Someone else may have decided while the versions were checked.
      key = this.keyFor(d, status);
    }
    const w = this.waiting.get(key)!;
    const planEdited = edited !== undefined && JSON.stringify(edited) !== JSON.stringify(w.pending.plan);
    this.writableWaiting().delete(key);
    const decided: Decided = { approved: d.decision === 'approved', by: d.by, ...(d.reason !== undefined ? { reason: d.reason } : {}) };
    this.writableDecided().set(key, decided);
    this.o.journal.emit({
      type: 'approval.decided',
      kind: w.pending.kind,
      ...(w.pending.taskId !== undefined ? { taskId: w.pending.taskId } : {}),
      decision: d.decision,
      by: d.by,
      ...(d.reason !== undefined ? { reason: d.reason } : {}),
      ...(d.note !== undefined ? { note: d.note } : {}),
      ...(planEdited && edited ? { plan: edited } : {}),
      planEdited,
      ...(d.requestId !== undefined ? { requestId: d.requestId } : {}),
      waiting: this.waiting.size,
    });
    this.changed();
    for (const resolve of w.waiters) resolve(decided);
    await this.o.journal.flush();
  }

  /** Stops the deadline timer; waiters are left to the run's stop. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private keyFor(d: DecisionInput, status: RunStatus): string {
    const target = decisionTarget(this.o.journal.runId, status, d, this.pending());
    return keyOf(target.kind, target.taskId);
  }

  private request(pending: PendingApproval): void {
    const timeout = this.o.manifest.orchestrator.policy.approvalTimeoutMs;
    if (timeout !== undefined) pending.expiresAt = new Date(Date.parse(pending.requestedAt) + timeout).toISOString();
    this.writableWaiting().set(keyOf(pending.kind, pending.taskId), { pending, waiters: [] });
    this.emitRequest(pending);
    this.changed();
    const auto = this.o.autoApprove;
    if (auto) void this.decide({ decision: 'approved', by: auto.by, ...(pending.taskId !== undefined ? { taskId: pending.taskId } : {}) }).catch(() => undefined);
  }

  private emitRequest(p: PendingApproval, again = false): void {
    this.o.journal.emit({
      type: 'approval.requested',
      // Asked again: still the approval first asked for then (a decision left before it applies to it).
      ...(again ? { requestedAt: p.requestedAt } : {}),
      kind: p.kind,
      ...(p.taskId !== undefined ? { taskId: p.taskId } : {}),
      ...(p.plan ? { plan: p.plan } : {}),
      ...(p.task ? { task: p.task } : {}),
      ...(p.agent !== undefined ? { agent: p.agent } : {}),
      ...(p.input ? { input: p.input } : {}),
      ...(p.expiresAt !== undefined ? { expiresAt: p.expiresAt } : {}),
    });
  }

  private waitFor(key: string): Promise<Decided> {
    const known = this.decided.get(key);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => this.waiting.get(key)!.waiters.push(resolve));
  }

  /** Re-arms the deadline of the earliest request and says how many decisions are waited for. */
  private changed(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const deadlines = this.pending().filter((p) => p.expiresAt !== undefined);
    if (deadlines.length > 0) {
      const first = deadlines.reduce((a, b) => (Date.parse(a.expiresAt!) <= Date.parse(b.expiresAt!) ? a : b));
      const expire = (): void => this.o.host.approvalExpired(`no decision on ${describe(first)} within ${this.o.manifest.orchestrator.policy.approvalTimeoutMs ?? 0} ms (policy.approvalTimeoutMs)`);
      // setTimeout holds at most ~24.8 days; a later deadline is re-armed when it comes closer.
      const ms = Math.max(0, Date.parse(first.expiresAt!) - Date.now());
      // Not unref'd: the run ends when it fires, and whoever awaits the run awaits that end.
      this.timer = setTimeout(() => (ms > MAX_TIMER_MS ? this.changed() : expire()), Math.min(ms, MAX_TIMER_MS));
    }
    this.o.host.waitingChanged?.(this.waiting.size);
  }

  private writableWaiting(): Map<string, Waiting> {
    if (this.waiting === NO_ENTRIES) this.waiting = new Map();
    return this.waiting as Map<string, Waiting>;
  }

  private writableDecided(): Map<string, Decided> {
    if (this.decided === NO_ENTRIES) this.decided = new Map();
    return this.decided as Map<string, Decided>;
  }

  private writableSeenRequests(): Set<string> {
    if (this.seenRequests === NO_KEYS) this.seenRequests = new Set();
    return this.seenRequests as Set<string>;
  }
}

// Never written: RunApprovals swaps in a collection of its own before its first write.
const NO_ENTRIES: ReadonlyMap<string, never> = new Map<string, never>();
const NO_KEYS: ReadonlySet<string> = new Set<string>();

function decidedOf(e: Extract<RunEvent, { type: 'approval.decided' }>): Decided {
  return { approved: e.decision === 'approved', by: e.by, ...(e.reason !== undefined ? { reason: e.reason } : {}) };
}
