import { randomUUID } from 'node:crypto';
import { TaskState } from '@a2a-js/sdk';
import type { Message, Part } from '@a2a-js/sdk';
import { AgentEvent } from '@a2a-js/sdk/server';
import type { AgentExecutor, ExecutionEventBus, RequestContext } from '@a2a-js/sdk/server';
import { dataOf, textOf, textPart } from './a2a-agent.ts';
import { BatonError, errorMessage } from 'batonjs/internal';
import type { RunEvent } from 'batonjs/internal';
import { isFinalStatus } from 'batonjs/internal';
import type { ApprovalDecision, RunResult } from 'batonjs/internal';
import type { Orchestrator } from 'batonjs/internal';
import { planField, runInputField, workflowField } from '../run-input-fields.ts';
import type { RunInputs, RunService } from '../run-service.ts';
import { agentMessage, ANSWER, contextIdOfTask, finalArtifacts, finalStatus, readRun, runIdOfTask, waitingStatus, workingStatus } from './run-tasks.ts';
import type { RunStatusParts, RunTaskStore } from './run-tasks.ts';

/** How often a followed run is read back, for runs carried on by another process (no events here). */
const FOLLOW_POLL_MS = 1_000;
/** How long cancelling a task nobody follows waits for its run to end before the task is marked cancelled. */
const CANCEL_WAIT_MS = 10_000;

/** The goal of an A2A message: a DataPart `{ goal }` (Baton's agent input has one), else its text. */
export function goalOf(message: Message): string {
  for (const v of dataOf(message.parts)) {
    if (typeof v === 'object' && v !== null && typeof (v as { goal?: unknown }).goal === 'string') return (v as { goal: string }).goal.trim();
  }
  return textOf(message.parts);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What an A2A message gives a run besides its goal (DESIGN section 9), from its DataParts:
 * `{ "params": {...} }`, `{ "workflow": "name" }`, `{ "plan": {...} }` (alone or beside the goal).
 * @throws BatonError `BAD_REQUEST` for a `plan` or `workflow` of the wrong shape, worded as `POST /v1/runs` words it.
 */
export function runInputsOf(message: Message): RunInputs {
  const inputs: RunInputs = {};
  for (const v of dataOf(message.parts)) {
    if (!isRecord(v)) continue;
    if (v['params'] !== undefined) inputs.params = v['params'] as Record<string, unknown>;
    if (v['workflow'] !== undefined) inputs.workflow = runInputField(BAD_PART, 'workflow', workflowField, v['workflow']);
    if (v['plan'] !== undefined) {
      runInputField(BAD_PART, 'plan', planField, v['plan']);
      // As sent: the orchestrator checks every key of it (zod's copy would lose a `__proto__`).
      inputs.plan = v['plan'] as NonNullable<RunInputs['plan']>;
    }
  }
  return inputs;
}

const BAD_PART = 'invalid data part';

const DECISION_TEXTS = ['taskId', 'reason', 'note', 'by'] as const;

/**
 * A decision sent on a task that waits: the DataPart `{ "approve": true }` or `{ "approve": false, "reason": "..." }`.
 * @throws BatonError `BAD_REQUEST` naming a field of the wrong type (`approve` not a boolean, `taskId` not a string...),
 * as `POST /v1/runs/:id/approve` does: a decision taken with a field left out could approve what was not meant.
 */
export function decisionOf(message: Message): ApprovalDecision | undefined {
  for (const v of dataOf(message.parts)) {
    if (!isRecord(v) || v['approve'] === undefined) continue;
    if (typeof v['approve'] !== 'boolean') throw badDecision('approve', 'true or false', v['approve']);
    for (const field of DECISION_TEXTS) if (v[field] !== undefined && typeof v[field] !== 'string') throw badDecision(field, 'a string', v[field]);
    const d: ApprovalDecision = { decision: v['approve'] ? 'approved' : 'rejected', by: typeof v['by'] === 'string' && v['by'].trim() ? v['by'] : 'a2a' };
    if (typeof v['taskId'] === 'string') d.taskId = v['taskId'];
    if (typeof v['reason'] === 'string') d.reason = v['reason'];
    if (typeof v['note'] === 'string') d.note = v['note'];
    if (v['plan'] !== undefined) d.plan = v['plan'];
    return d;
  }
  return undefined;
}

function badDecision(field: string, expected: string, got: unknown): BatonError {
  const shown = JSON.stringify(got)?.slice(0, 60) ?? typeof got;
  return new BatonError('BAD_REQUEST', `${BAD_PART}: "${field}" must be ${expected}, got ${shown}; nothing was decided`, { retryable: false });
}

function progressText(e: RunEvent): string | undefined {
  switch (e.type) {
    case 'plan.created':
      return `planned ${e.plan.tasks.length} task(s): ${e.plan.tasks.map((t) => `${t.id} → ${t.agent}`).join(', ')}`;
    case 'task.succeeded':
      return `${e.taskId} succeeded (${e.agent}, attempt ${e.attempt})`;
    case 'task.reassigned':
      return `${e.taskId} reassigned from ${e.from} to ${e.to}`;
    case 'task.failed':
      return `${e.taskId} failed: ${e.reason}`;
    case 'plan.replaced':
      return `re-planned: ${e.plan.tasks.length} task(s) (${e.reason})`;
    case 'run.resumed':
      return `run carried on by ${e.owner ? `process ${e.owner.pid} on ${e.owner.host}` : 'another process'}${e.reason ? ` (${e.reason})` : ''}`;
    case 'integration.started':
      return `integrating the deliverable (${e.integrator})`;
    case 'integration.ended':
      return e.ok ? `deliverable integrated in ${e.durationMs} ms` : `integration failed: ${e.error ?? 'unknown error'}`;
    case 'approval.decided':
      return `${e.kind === 'plan' ? 'the plan' : `task ${e.taskId ?? ''}`} ${e.decision} by ${e.by}${e.reason ? `: ${e.reason}` : ''}`;
    case 'approval.requested':
    case 'run.started':
    case 'task.started':
    case 'task.attempt.failed':
    case 'task.retrying':
    case 'task.skipped':
    case 'task.cancelled':
    case 'usage':
    case 'run.ended':
      return undefined;
  }
}

/**
 * Publishes the orchestrator as an A2A agent: each A2A task is one Baton run, `r_a2a-<task id>`
 * (see run-tasks.ts), so a task is found again from the journal after a restart. Progress is sent
 * as `working` status updates; at the end the deliverable's artifacts come back as one DataPart
 * artifact named `deliverable` (keyed by artifact type) plus a `run` artifact with the run id,
 * status and files. Cancelling the A2A task cancels the run. A run that waits for a decision is an
 * `input-required` task whose status message holds what waits as a DataPart; a message on the task
 * with `{ "approve": true }` or `{ "approve": false, "reason": "..." }` decides.
 */
export class OrchestratorExecutor implements AgentExecutor {
  /** ContextIds put on new messages that came without one, to be replaced by the task's own. */
  private readonly autoContexts = new Set<string>();
  /** Tasks an execute() follows now (it sends their end itself), with how many. */
  private readonly following = new Map<string, number>();

  constructor(
    private readonly orchestrator: Orchestrator,
    private readonly runs: RunService,
    private readonly maxGoalLength: number,
    private readonly store: RunTaskStore,
  ) {}

  /**
   * A contextId for a new message that has none, which execute() turns into the task's derived
   * one ({@link contextIdOfTask}); `release` forgets it when no execute() took it.
   */
  autoContext(): { contextId: string; release(): void } {
    const contextId = randomUUID();
    this.autoContexts.add(contextId);
    return { contextId, release: () => this.autoContexts.delete(contextId) };
  }

  execute = async (rc: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const { taskId } = rc;
    const unfollow = this.store.follow(taskId);
    this.following.set(taskId, (this.following.get(taskId) ?? 0) + 1);
    try {
      await this.executeFollowed(rc, bus);
    } finally {
      const n = (this.following.get(taskId) ?? 1) - 1;
      if (n > 0) this.following.set(taskId, n);
      else this.following.delete(taskId);
      unfollow();
    }
  };

  private async executeFollowed(rc: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { taskId } = rc;
    const contextId = this.autoContexts.delete(rc.contextId) ? contextIdOfTask(taskId) : rc.contextId;
    const out = this.publisher(taskId, contextId, bus);
    bus.publish(
      AgentEvent.task(
        rc.task ?? {
          id: taskId,
          contextId,
          status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() },
          artifacts: [],
          history: [{ ...rc.userMessage, contextId }],
          metadata: {},
        },
      ),
    );
    const runId = runIdOfTask(taskId);
    if (rc.task) return this.answer(runId, rc.userMessage, out);
    const goal = goalOf(rc.userMessage);
    let inputs: RunInputs;
    try {
      inputs = runInputsOf(rc.userMessage);
    } catch (e) {
      out.status(TaskState.TASK_STATE_REJECTED, [textPart(`could not start the run: ${errorMessage(e)}`)]);
      return;
    }
    const fixed = inputs.plan !== undefined || inputs.workflow !== undefined;
    if ((!goal && !fixed) || goal.length > this.maxGoalLength) {
      const why = goal ? `the goal is longer than ${this.maxGoalLength} characters` : 'send the goal as a text part (or a data part { "goal": "..." }; { "params": {...} } beside it)';
      out.status(TaskState.TASK_STATE_REJECTED, [textPart(why)]);
      return;
    }
    // Subscribed before the run starts: its plan is made (and `plan.created` stored) while
    // start() is still pending. Progress waits until "run … started" has been sent.
    const early: string[] = [];
    let live = false;
    const stop = this.orchestrator.on(
      (e) => {
        if (live) return;
        const text = progressText(e);
        if (text !== undefined) early.push(text);
      },
      { runId, stored: true },
    );
    try {
      await this.runs.start(goal, runId, inputs);
    } catch (e) {
      stop();
      const refused = BatonError.isInstance(e) && e.code === 'BAD_REQUEST';
      out.status(refused ? TaskState.TASK_STATE_REJECTED : TaskState.TASK_STATE_FAILED, [textPart(`could not start the run: ${errorMessage(e)}`)]);
      return;
    }
    out.progress(runId, `run ${runId} started`);
    for (const text of early.splice(0)) out.progress(runId, text);
    live = true;
    stop();
    await this.follow(runId, out);
  }

  /**
   * Cancels the task's run wherever it is held. When an execute() follows the run here, it sends
   * the end; otherwise (the task waits for a decision, or this process took the run over) the end
   * is sent here once the run has ended, or `canceled` when it takes longer than CANCEL_WAIT_MS.
   */
  cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    const runId = runIdOfTask(taskId);
    const reason = 'cancelled by the A2A client';
    if (this.following.has(taskId) && this.orchestrator.cancel(runId, reason)) return;
    const out = this.publisher(taskId, (await this.store.load(taskId))?.contextId ?? '', bus);
    const r = await this.cancelRun(runId, reason);
    if (r && isFinalStatus(r.status)) return out.final(r);
    out.status(TaskState.TASK_STATE_CANCELED, [textPart(r ? `run ${runId} is being cancelled` : 'cancelled')]);
  };

  /** Cancels a run wherever it is held and waits (CANCEL_WAIT_MS at most) for its end: its result then, undefined when there is no such run. */
  async cancelRun(runId: string, reason: string): Promise<RunResult | undefined> {
    const outcome = await this.runs.cancel(runId, reason);
    if (outcome.kind === 'not-found') return undefined;
    const until = Date.now() + CANCEL_WAIT_MS;
    // Its record until it has ended: the whole run is read once, not every 50 ms.
    while (!(await this.runs.finished(runId)) && Date.now() <= until) await new Promise((resolve) => setTimeout(resolve, 50));
    return readRun(this.runs, runId);
  }

  /** A message on the task of a run: a decision, or a reminder of what to send. */
  private async answer(runId: string, message: Message, out: Publisher): Promise<void> {
    const now = await readRun(this.runs, runId);
    if (!now) {
      out.status(TaskState.TASK_STATE_FAILED, [textPart(`run ${runId} of this task is not in the journal any more`)]);
      return;
    }
    let decision: ApprovalDecision | undefined;
    try {
      decision = decisionOf(message);
    } catch (e) {
      if (now.awaiting?.length) return out.waiting(now, `the decision was not taken: ${errorMessage(e)}`);
      out.progress(runId, `the decision was not taken: ${errorMessage(e)}`);
      return this.follow(runId, out);
    }
    if (!decision) {
      if (now.awaiting?.length) return out.waiting(now, `run ${runId} waits for a decision: ${ANSWER}`);
      out.progress(runId, `run ${runId} is ${now.status}; it waits for no decision`);
      return this.follow(runId, out);
    }
    try {
      await this.runs.decide(runId, decision);
      out.progress(runId, `${decision.decision} by ${decision.by}`);
    } catch (e) {
      const again = await readRun(this.runs, runId);
      if (again?.awaiting?.length) return out.waiting(again, `the decision was not taken: ${errorMessage(e)}`);
      out.progress(runId, `the decision was not taken: ${errorMessage(e)}`);
    }
    return this.follow(runId, out);
  }

  /**
   * Sends the run's progress until it ends (the deliverable and its final state) or waits for a
   * decision (`input-required`, what waits as a DataPart): then returns, and a later message on
   * the task carries on. Progress and the checks it triggers follow the run's stored events: an
   * event the store refused (another process took the run over) is no step of the task, and a
   * refused `run.ended` is no end of it. Unless this process started the run and executes it, it is
   * also read back every second: a run carried on by another process (whose events this one does
   * not see), or taken over here (read from the store).
   */
  private follow(runId: string, out: Publisher): Promise<void> {
    return new Promise((resolve) => {
      let settled = false;
      let checking = Promise.resolve();
      const check = (): void => {
        checking = checking.then(async () => {
          if (settled) return;
          const r = await readRun(this.runs, runId);
          if (!r || settled) return;
          if (isFinalStatus(r.status)) {
            settled = true;
            stop();
            out.final(r);
            resolve();
          } else if (r.awaiting?.length) {
            settled = true;
            stop();
            out.waiting(r, `run ${runId} waits for a decision: ${ANSWER}`);
            resolve();
          }
        }).catch(() => undefined); // the journal could not be read: the next check tries again
      };
      const unsubscribe = this.orchestrator.on(
        (e) => {
          if (settled) return;
          const text = progressText(e);
          if (text !== undefined) out.progress(runId, text);
          if (e.type === 'approval.requested' || e.type === 'run.ended') check();
        },
        { runId, stored: true },
      );
      // A run executing here, started here, is read at each of its events, which say when it ends
      // or waits. Any other (executing elsewhere, or taken over here and read from the store a tick
      // behind its events) is polled: its record every second, one read at a time, and the whole
      // run only once the record says it waits or has ended (a whole read of 10,000 tasks is
      // ~250 ms, the record's ~15 µs).
      let reading = false;
      const poll = setInterval(() => {
        if (reading || this.runs.followedHere(runId)) return;
        reading = true;
        this.runs
          .recordedStatus(runId)
          .then(
            (status) => status !== 'running' && check(),
            () => check(),
          )
          .finally(() => (reading = false));
      }, FOLLOW_POLL_MS);
      poll.unref();
      const stop = (): void => {
        clearInterval(poll);
        unsubscribe();
      };
      check();
    });
  }

  private publisher(taskId: string, contextId: string, bus: ExecutionEventBus): Publisher {
    const status = (state: TaskState, parts: Part[] | undefined, metadata: Record<string, unknown> = {}): void =>
      bus.publish(AgentEvent.statusUpdate({ taskId, contextId, status: { state, message: parts ? agentMessage(taskId, contextId, parts) : undefined, timestamp: new Date().toISOString() }, metadata }));
    const send = (s: RunStatusParts): void => status(s.state, s.parts, s.metadata);
    return {
      status,
      progress: (runId, text) => send(workingStatus(runId, text)),
      waiting: (r, text) => send(waitingStatus(r, text)),
      final: (r) => {
        for (const artifact of finalArtifacts(r)) bus.publish(AgentEvent.artifactUpdate({ taskId, contextId, artifact, append: false, lastChunk: true, metadata: undefined }));
        send(finalStatus(r));
      },
    };
  }
}

/** What the executor sends on one A2A task. */
interface Publisher {
  status(state: TaskState, parts: Part[] | undefined, metadata?: Record<string, unknown>): void;
  progress(runId: string, text: string): void;
  /** input-required: what waits, as a DataPart, and how to answer. */
  waiting(r: RunResult, text: string): void;
  /** The deliverable and the run's final state. */
  final(r: RunResult): void;
}
