import { randomUUID } from 'node:crypto';
import { Role, TaskState } from '@a2a-js/sdk';
import type { Message, Part } from '@a2a-js/sdk';
import { AgentEvent } from '@a2a-js/sdk/server';
import type { AgentExecutor, ExecutionEventBus, RequestContext } from '@a2a-js/sdk/server';
import { dataOf, dataPart, textOf, textPart } from './a2a-agent.ts';
import { BatonError, errorMessage } from 'batonjs/internal';
import { newRunId } from 'batonjs/internal';
import type { RunEvent } from 'batonjs/internal';
import { isFinalStatus } from 'batonjs/internal';
import type { ApprovalDecision, FinalRunStatus, RunResult } from 'batonjs/internal';
import type { Orchestrator } from 'batonjs/internal';
import type { RunInputs, RunService } from '../run-service.ts';

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
 */
export function runInputsOf(message: Message): RunInputs {
  const inputs: RunInputs = {};
  for (const v of dataOf(message.parts)) {
    if (!isRecord(v)) continue;
    if (v['params'] !== undefined) inputs.params = v['params'] as Record<string, unknown>;
    if (typeof v['workflow'] === 'string') inputs.workflow = v['workflow'];
    if (isRecord(v['plan'])) inputs.plan = v['plan'] as NonNullable<RunInputs['plan']>;
  }
  return inputs;
}

/** A decision sent on a task that waits: the DataPart `{ "approve": true }` or `{ "approve": false, "reason": "..." }`. */
export function decisionOf(message: Message): ApprovalDecision | undefined {
  for (const v of dataOf(message.parts)) {
    if (!isRecord(v) || typeof v['approve'] !== 'boolean') continue;
    const d: ApprovalDecision = { decision: v['approve'] ? 'approved' : 'rejected', by: typeof v['by'] === 'string' && v['by'].trim() ? v['by'] : 'a2a' };
    if (typeof v['taskId'] === 'string') d.taskId = v['taskId'];
    if (typeof v['reason'] === 'string') d.reason = v['reason'];
    if (typeof v['note'] === 'string') d.note = v['note'];
    if (v['plan'] !== undefined) d.plan = v['plan'];
    return d;
  }
  return undefined;
}

const ANSWER = 'send a message on this task with the DataPart {"approve": true}, or {"approve": false, "reason": "..."} (add "taskId" when several tasks wait; "plan" to approve an edited plan)';

const FINAL_STATE: Record<FinalRunStatus, TaskState> = {
  succeeded: TaskState.TASK_STATE_COMPLETED,
  partial: TaskState.TASK_STATE_COMPLETED,
  failed: TaskState.TASK_STATE_FAILED,
  cancelled: TaskState.TASK_STATE_CANCELED,
};

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
 * Publishes the orchestrator as an A2A agent: each A2A task is one Baton run. Progress is sent as
 * `working` status updates; at the end the deliverable's artifacts come back as one DataPart
 * artifact named `deliverable` (keyed by artifact type) plus a `run` artifact with the run id,
 * status and files. Cancelling the A2A task cancels the run. A run that waits for a decision is an
 * `input-required` task whose status message holds what waits as a DataPart; a message on the task
 * with `{ "approve": true }` or `{ "approve": false, "reason": "..." }` decides.
 */
export class OrchestratorExecutor implements AgentExecutor {
  private readonly runsByTask = new Map<string, string>();

  constructor(
    private readonly orchestrator: Orchestrator,
    private readonly runs: RunService,
    private readonly maxGoalLength: number,
  ) {}

  execute = async (rc: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const { taskId, contextId } = rc;
    const out = this.publisher(taskId, contextId, bus);
    bus.publish(
      AgentEvent.task(
        rc.task ?? { id: taskId, contextId, status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() }, artifacts: [], history: [rc.userMessage], metadata: {} },
      ),
    );
    const existing = this.runsByTask.get(taskId);
    if (rc.task && existing) return this.answer(existing, rc.userMessage, out);
    const goal = goalOf(rc.userMessage);
    const inputs = runInputsOf(rc.userMessage);
    const fixed = inputs.plan !== undefined || inputs.workflow !== undefined;
    if ((!goal && !fixed) || goal.length > this.maxGoalLength) {
      const why = goal ? `the goal is longer than ${this.maxGoalLength} characters` : 'send the goal as a text part (or a data part { "goal": "..." }; { "params": {...} } beside it)';
      out.status(TaskState.TASK_STATE_REJECTED, [textPart(why)]);
      return;
    }
    // Subscribed before the run starts: its plan is made (and `plan.created` emitted) while
    // start() is still pending. Progress waits until "run … started" has been sent.
    const runId = newRunId();
    const early: string[] = [];
    let live = false;
    const stop = this.orchestrator.on((e) => {
      if (e.runId !== runId || live) return;
      const text = progressText(e);
      if (text !== undefined) early.push(text);
    });
    try {
      await this.runs.start(goal, runId, inputs);
    } catch (e) {
      stop();
      const refused = BatonError.isInstance(e) && e.code === 'BAD_REQUEST';
      out.status(refused ? TaskState.TASK_STATE_REJECTED : TaskState.TASK_STATE_FAILED, [textPart(`could not start the run: ${errorMessage(e)}`)]);
      return;
    }
    this.runsByTask.set(taskId, runId);
    out.progress(runId, `run ${runId} started`);
    for (const text of early.splice(0)) out.progress(runId, text);
    live = true;
    stop();
    await this.follow(taskId, runId, out);
  };

  cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    const runId = this.runsByTask.get(taskId);
    if (runId && this.orchestrator.cancel(runId, 'cancelled by the A2A client')) return; // execute() publishes the final state
    bus.publish(
      AgentEvent.statusUpdate({ taskId, contextId: '', status: { state: TaskState.TASK_STATE_CANCELED, message: undefined, timestamp: new Date().toISOString() }, metadata: {} }),
    );
  };

  /** A message on the task of a run that waits: a decision, or a reminder of what to send. */
  private async answer(runId: string, message: Message, out: Publisher): Promise<void> {
    const decision = decisionOf(message);
    if (!decision) {
      const now = await this.runs.result(runId);
      if (now?.awaiting?.length) return out.waiting(now, `run ${runId} waits for a decision: ${ANSWER}`);
      out.progress(runId, `run ${runId} is ${now?.status ?? 'gone'}; it waits for no decision`);
      return this.follow(message.taskId, runId, out);
    }
    try {
      await this.runs.decide(runId, decision);
      out.progress(runId, `${decision.decision} by ${decision.by}`);
    } catch (e) {
      const now = await this.runs.result(runId);
      if (now?.awaiting?.length) return out.waiting(now, `the decision was not taken: ${errorMessage(e)}`);
      out.progress(runId, `the decision was not taken: ${errorMessage(e)}`);
    }
    return this.follow(message.taskId, runId, out);
  }

  /**
   * Sends the run's progress until it ends (the deliverable and its final state) or waits for a
   * decision (`input-required`, what waits as a DataPart): then returns, and a later message on
   * the task carries on.
   */
  private follow(taskId: string, runId: string, out: Publisher): Promise<void> {
    return new Promise((resolve) => {
      let settled = false;
      let checking = Promise.resolve();
      const check = (): void => {
        checking = checking.then(async () => {
          if (settled) return;
          const r = await this.runs.result(runId);
          if (!r || settled) return;
          if (isFinalStatus(r.status)) {
            settled = true;
            stop();
            this.runsByTask.delete(taskId);
            out.final(r);
            resolve();
          } else if (r.awaiting?.length) {
            settled = true;
            stop();
            out.waiting(r, `run ${runId} waits for a decision: ${ANSWER}`);
            resolve();
          }
        });
      };
      const stop = this.orchestrator.on((e) => {
        if (e.runId !== runId || settled) return;
        const text = progressText(e);
        if (text !== undefined) out.progress(runId, text);
        if (e.type === 'approval.requested' || e.type === 'run.ended') check();
      });
      check();
    });
  }

  private publisher(taskId: string, contextId: string, bus: ExecutionEventBus): Publisher {
    const agentMessage = (parts: Part[]): Message => ({ messageId: randomUUID(), contextId, taskId, role: Role.ROLE_AGENT, parts, metadata: {}, extensions: [], referenceTaskIds: [] });
    const status = (state: TaskState, parts: Part[] | undefined, metadata: Record<string, unknown> = {}): void =>
      bus.publish(AgentEvent.statusUpdate({ taskId, contextId, status: { state, message: parts ? agentMessage(parts) : undefined, timestamp: new Date().toISOString() }, metadata }));
    const artifact = (name: string, description: string, value: unknown): void =>
      bus.publish(
        AgentEvent.artifactUpdate({ taskId, contextId, artifact: { artifactId: name, name, description, parts: [dataPart(value)], metadata: undefined, extensions: [] }, append: false, lastChunk: true, metadata: undefined }),
      );
    return {
      status,
      progress: (runId, text) => status(TaskState.TASK_STATE_WORKING, [textPart(text)], { batonRunId: runId }),
      waiting: (r, text) => {
        const [first, ...more] = r.awaiting ?? [];
        const approval = first ? { ...first } : undefined;
        status(TaskState.TASK_STATE_INPUT_REQUIRED, [textPart(text), dataPart({ runId: r.runId, status: r.status, approval, ...(more.length > 0 ? { alsoWaiting: more.map((p) => p.taskId ?? p.kind) } : {}) })], { batonRunId: r.runId });
      },
      final: (r) => {
        const summary = { runId: r.runId, status: r.status, ...(r.reason ? { reason: r.reason } : {}), files: r.deliverable.files, missing: r.deliverable.missing ?? [], approvals: r.approvals };
        if (r.status !== 'cancelled') artifact('deliverable', 'the deliverable artifacts, keyed by artifact type', r.deliverable.artifacts);
        artifact('run', 'the Baton run: id, status, files, decisions', summary);
        const text = `run ${r.runId} ${r.status}${r.reason ? `: ${r.reason}` : ''}`;
        status(FINAL_STATE[isFinalStatus(r.status) ? r.status : 'failed'], [textPart(text)], { batonRunId: r.runId });
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
