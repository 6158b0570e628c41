import { randomUUID } from 'node:crypto';
import { Role, TaskState } from '@a2a-js/sdk';
import type { Message, Part } from '@a2a-js/sdk';
import { AgentEvent } from '@a2a-js/sdk/server';
import type { AgentExecutor, ExecutionEventBus, RequestContext } from '@a2a-js/sdk/server';
import { dataOf, dataPart, textOf, textPart } from './a2a-agent.ts';
import { errorMessage } from 'batonjs/internal';
import { newRunId } from 'batonjs/internal';
import type { RunEvent } from 'batonjs/internal';
import type { RunResult } from 'batonjs/internal';
import type { Orchestrator } from 'batonjs/internal';
import type { RunService } from '../run-service.ts';

/** The goal of an A2A message: a DataPart `{ goal }` (Baton's agent input has one), else its text. */
export function goalOf(message: Message): string {
  for (const v of dataOf(message.parts)) {
    if (typeof v === 'object' && v !== null && typeof (v as { goal?: unknown }).goal === 'string') return (v as { goal: string }).goal.trim();
  }
  return textOf(message.parts);
}

const FINAL_STATE: Record<Exclude<RunResult['status'], 'running'>, TaskState> = {
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
 * status and files. Cancelling the A2A task cancels the run.
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
    const agentMessage = (parts: Part[]): Message => ({ messageId: randomUUID(), contextId, taskId, role: Role.ROLE_AGENT, parts, metadata: {}, extensions: [], referenceTaskIds: [] });
    const status = (state: TaskState, parts: Part[] | undefined, metadata: Record<string, unknown> = {}): void =>
      bus.publish(AgentEvent.statusUpdate({ taskId, contextId, status: { state, message: parts ? agentMessage(parts) : undefined, timestamp: new Date().toISOString() }, metadata }));

    bus.publish(
      AgentEvent.task(
        rc.task ?? { id: taskId, contextId, status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() }, artifacts: [], history: [rc.userMessage], metadata: {} },
      ),
    );
    const goal = goalOf(rc.userMessage);
    if (!goal || goal.length > this.maxGoalLength) {
      const why = goal ? `the goal is longer than ${this.maxGoalLength} characters` : 'send the goal as a text part (or a data part { "goal": "..." })';
      status(TaskState.TASK_STATE_REJECTED, [textPart(why)]);
      return;
    }
    // Subscribed before the run starts: its plan is made (and `plan.created` emitted) while
    // start() is still pending. Progress waits until "run … started" has been sent.
    const runId = newRunId();
    const early: string[] = [];
    let live = false;
    const progress = (text: string): void => status(TaskState.TASK_STATE_WORKING, [textPart(text)], { batonRunId: runId });
    const stop = this.orchestrator.on((e) => {
      if (e.runId !== runId) return;
      const text = progressText(e);
      if (text === undefined) return;
      if (live) progress(text);
      else early.push(text);
    });
    let result: Promise<RunResult>;
    try {
      result = (await this.runs.start(goal, runId)).result;
    } catch (e) {
      stop();
      status(TaskState.TASK_STATE_FAILED, [textPart(`could not start the run: ${errorMessage(e)}`)]);
      return;
    }
    this.runsByTask.set(taskId, runId);
    progress(`run ${runId} started`);
    for (const text of early.splice(0)) progress(text);
    live = true;
    let final: RunResult;
    try {
      final = await result;
    } finally {
      stop();
      this.runsByTask.delete(taskId);
    }
    const summary = { runId, status: final.status, ...(final.reason ? { reason: final.reason } : {}), files: final.deliverable.files, missing: final.deliverable.missing ?? [] };
    const artifact = (name: string, description: string, value: unknown): void =>
      bus.publish(
        AgentEvent.artifactUpdate({ taskId, contextId, artifact: { artifactId: name, name, description, parts: [dataPart(value)], metadata: undefined, extensions: [] }, append: false, lastChunk: true, metadata: undefined }),
      );
    if (final.status !== 'cancelled') artifact('deliverable', 'the deliverable artifacts, keyed by artifact type', final.deliverable.artifacts);
    artifact('run', 'the Baton run: id, status, files', summary);
    const text = `run ${runId} ${final.status}${final.reason ? `: ${final.reason}` : ''}`;
    status(FINAL_STATE[final.status === 'running' ? 'failed' : final.status], [textPart(text)], { batonRunId: runId });
  };

  cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    const runId = this.runsByTask.get(taskId);
    if (runId && this.orchestrator.cancel(runId, 'cancelled by the A2A client')) return; // execute() publishes the final state
    bus.publish(
      AgentEvent.statusUpdate({ taskId, contextId: '', status: { state: TaskState.TASK_STATE_CANCELED, message: undefined, timestamp: new Date().toISOString() }, metadata: {} }),
    );
  };
}
