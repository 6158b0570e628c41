import { setOwn } from './artifact-names.ts';
import type { RunEvent } from './events.ts';
import { emptyUsage } from './types.ts';
import { pendingTask, startedAttempt, startedIntegration, startedRun } from './result-records.ts';
import type { ApprovalRecord, AttemptRecord, Deliverable, PendingApproval, Plan, RunResult, TaskResult, Usage } from './types.ts';

function addUsage(into: Usage, add: Usage | undefined): void {
  if (!add) return;
  into.llmCalls += add.llmCalls;
  into.inputTokens += add.inputTokens;
  into.outputTokens += add.outputTokens;
}

/**
 * The run's pending decisions but the one `event` is about. A function of its own: a closure over
 * `event` in {@link RunResultBuilder.apply} made V8 allocate a context on every event it folded.
 */
function stillAwaiting(r: RunResult, event: { kind: PendingApproval['kind']; taskId?: string | undefined }): PendingApproval[] {
  return (r.awaiting ?? []).filter((p) => !(p.kind === event.kind && p.taskId === event.taskId));
}

/**
 * Folds a run's journal into its RunResult. Pure and deterministic: replaying the same events
 * always yields the same result, which is how resume, the HTTP API and the journal consistency
 * check all read a run.
 */
export class RunResultBuilder {
  private result: RunResult | undefined;
  private readonly tasks = new Map<string, TaskResult>();

  apply(event: RunEvent): void {
    switch (event.type) {
      case 'run.started':
        this.result = startedRun(event.runId, event.goal, event.params ?? {}, event.at);
        return;
      case 'run.resumed': {
        const r = this.need(event);
        r.status = 'running';
        delete r.endedAt;
        delete r.reason;
        // The process carrying the run on asks again for what still waits (approval.requested).
        delete r.awaiting;
        const interrupted = new Set(event.interruptedAttempts);
        for (const t of this.tasks.values()) {
          for (const a of t.attempts) {
            if (a.status || !interrupted.has(a.attemptId)) continue;
            a.status = 'failed';
            a.endedAt = event.at;
            a.error = 'interrupted: the orchestrator stopped during this attempt';
          }
        }
        for (const t of this.tasks.values()) if (t.status === 'running') t.status = 'pending';
        return;
      }
      case 'plan.created':
      case 'plan.replaced': {
        const r = this.need(event);
        if (event.type === 'plan.replaced') (r.previousPlans ??= []).push(r.plan);
        r.planner = event.planner;
        // A journal written by an older Baton may hold a plan event without its plan (a workflow
        // named like an Object member): read as an empty plan, so the run can still be read, taken
        // over and ended.
        this.applyPlan(r, (event.plan as Plan | undefined) ?? { tasks: [] });
        return;
      }
      case 'task.started': {
        const t = this.task(event.taskId, event.agent);
        const a = startedAttempt(event.attempt, event.attemptId, event.agent, event.agentVersion, event.at);
        if (event.feedback !== undefined) a.feedback = event.feedback;
        // The first push onto an empty array reserves 16 slots (~150 bytes); nearly every task has one attempt.
        if (t.attempts.length === 0) t.attempts = [a];
        else t.attempts.push(a);
        t.status = 'running';
        t.agent = event.agent;
        return;
      }
      case 'task.attempt.failed': {
        const a = this.attemptOf(event.taskId, event.attemptId);
        if (!a || a.status) return;
        a.status = event.status;
        a.endedAt = event.at;
        a.error = event.error;
        if (event.usage) a.usage = event.usage;
        return;
      }
      case 'task.succeeded': {
        const a = this.attemptOf(event.taskId, event.attemptId);
        if (!a || a.status) return;
        a.status = 'succeeded';
        a.endedAt = event.at;
        if (event.usage) a.usage = event.usage;
        const t = this.task(event.taskId, event.agent);
        t.status = 'succeeded';
        t.agent = event.agent;
        t.output = event.output;
        // `delete` of a key that is not there is still a runtime call, once per task of every run.
        if ('reason' in t) delete t.reason;
        return;
      }
      case 'task.retrying':
      case 'task.reassigned':
        this.task(event.taskId).status = 'pending';
        if (event.type === 'task.reassigned') this.task(event.taskId).agent = event.to;
        return;
      case 'task.failed':
      case 'task.skipped':
      case 'task.cancelled': {
        const t = this.task(event.taskId);
        t.status = event.type === 'task.failed' ? 'failed' : event.type === 'task.skipped' ? 'skipped' : 'cancelled';
        t.reason = event.reason;
        return;
      }
      case 'usage': {
        const r = this.need(event);
        addUsage(r.usage, event.usage);
        if (event.taskId) {
          const t = this.task(event.taskId);
          t.usage ??= emptyUsage();
          addUsage(t.usage, event.usage);
        }
        return;
      }
      case 'approval.requested': {
        const r = this.need(event);
        const pending = pendingApprovalOf(event);
        r.awaiting = [...stillAwaiting(r, event), pending];
        r.status = 'awaiting-approval';
        return;
      }
      case 'approval.decided': {
        const r = this.need(event);
        const waiting = stillAwaiting(r, event);
        if (waiting.length > 0) r.awaiting = waiting;
        else delete r.awaiting;
        const record: ApprovalRecord = { kind: event.kind, decision: event.decision, by: event.by, at: event.at, planEdited: event.planEdited };
        if (event.taskId !== undefined) record.taskId = event.taskId;
        if (event.reason !== undefined) record.reason = event.reason;
        if (event.note !== undefined) record.note = event.note;
        r.approvals.push(record);
        if (event.plan) this.applyPlan(r, event.plan);
        r.status = event.waiting > 0 ? 'awaiting-approval' : 'running';
        return;
      }
      case 'integration.started': {
        const r = this.need(event);
        r.integration = startedIntegration(event.integrator, event.at);
        return;
      }
      case 'integration.ended': {
        const r = this.need(event);
        const i = (r.integration ??= startedIntegration('default', event.at));
        i.endedAt = event.at;
        i.ok = event.ok;
        i.durationMs = event.durationMs;
        if (event.error !== undefined) i.error = event.error;
        return;
      }
      case 'run.ended': {
        const r = this.need(event);
        r.status = event.status;
        r.endedAt = event.at;
        r.deliverable = event.artifactRefs ? this.dereference(event.deliverable, event.artifactRefs) : event.deliverable;
        if ('awaiting' in r) delete r.awaiting;
        if (event.reason !== undefined) r.reason = event.reason;
        else if ('reason' in r) delete r.reason;
        return;
      }
    }
  }

  /** Makes `plan` the run's plan: its tasks are tracked, those of no plan that did not succeed dropped. */
  private applyPlan(r: RunResult, plan: Plan): void {
    r.plan = plan;
    const first = this.tasks.size === 0;
    for (const t of plan.tasks) {
      const existing = this.tasks.get(t.id);
      if (existing && existing.status === 'succeeded') continue;
      const task = existing ?? pendingTask(t.id, t.agent);
      task.agent = t.agent;
      if (!existing) this.tasks.set(t.id, task);
    }
    // The first plan of a run: every task known is one of its tasks, in plan order.
    if (first) {
      r.tasks = [...this.tasks.values()];
      return;
    }
    const keep = new Set(plan.tasks.map((t) => t.id));
    r.tasks = [...this.tasks.values()].filter((t) => keep.has(t.id) || t.status === 'succeeded');
  }

  /** The result so far; undefined before `run.started`. Returns a live object: clone before mutating. */
  current(): RunResult | undefined {
    return this.result;
  }

  /** The output a task journaled for `artifact` (its latest success), if any. */
  outputOf(taskId: string, artifact: string): unknown {
    const output = this.tasks.get(taskId)?.output;
    return output && Object.hasOwn(output, artifact) ? output[artifact] : undefined;
  }

  /** A deliverable whose referenced artifacts are the tasks' journaled outputs again, in their places. */
  private dereference(deliverable: Deliverable, refs: Record<string, string>): Deliverable {
    const artifacts: Record<string, unknown> = {};
    for (const [type, value] of Object.entries(deliverable.artifacts)) {
      const taskId = Object.hasOwn(refs, type) ? refs[type] : undefined;
      setOwn(artifacts, type, taskId === undefined ? value : (this.outputOf(taskId, type) ?? null));
    }
    return { ...deliverable, artifacts };
  }

  private need(event: RunEvent): RunResult {
    if (!this.result) throw new Error(`journal of run ${event.runId} does not start with run.started (event ${event.seq} is ${event.type})`);
    return this.result;
  }

  /** The live record of task `id` (undefined until an event names it). Not a copy: do not change it. */
  taskResult(id: string): TaskResult | undefined {
    return this.tasks.get(id);
  }

  /** The attempt of a task with that id: its latest, nearly always (no index per attempt needed). */
  private attemptOf(taskId: string, attemptId: string): AttemptRecord | undefined {
    const attempts = this.tasks.get(taskId)?.attempts;
    if (!attempts) return undefined;
    for (let i = attempts.length - 1; i >= 0; i--) if (attempts[i]!.attemptId === attemptId) return attempts[i];
    return undefined;
  }

  private task(id: string, agent?: string): TaskResult {
    let t = this.tasks.get(id);
    if (!t) {
      t = pendingTask(id, agent ?? '');
      this.tasks.set(id, t);
      this.result?.tasks.push(t);
    }
    return t;
  }
}

/** Replays a journal into its RunResult. */
export function reduceEvents(events: Iterable<RunEvent>): RunResult | undefined {
  const b = new RunResultBuilder();
  for (const e of events) b.apply(e);
  return b.current();
}

/**
 * True when folding `event` can change the run's plan, or task records other than the one it names
 * (its `taskId`): a reader that sends only what changed since an event sends the whole result then.
 * Kept beside the fold so that an event added to it is classed here too.
 */
export function reshapesRun(event: RunEvent): boolean {
  if (event.type === 'approval.decided') return Boolean(event.plan);
  return event.type === 'run.started' || event.type === 'run.resumed' || event.type === 'plan.created' || event.type === 'plan.replaced';
}

/** What an `approval.requested` event says the run waits for. */
export function pendingApprovalOf(e: Extract<RunEvent, { type: 'approval.requested' }>): PendingApproval {
  const p: PendingApproval = { kind: e.kind, requestedAt: e.requestedAt ?? e.at };
  if (e.taskId !== undefined) p.taskId = e.taskId;
  if (e.plan) p.plan = e.plan;
  if (e.task) p.task = e.task;
  if (e.agent !== undefined) p.agent = e.agent;
  if (e.input) p.input = e.input;
  if (e.expiresAt !== undefined) p.expiresAt = e.expiresAt;
  return p;
}
