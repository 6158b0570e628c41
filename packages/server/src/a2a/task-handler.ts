import type { AgentCard, CancelTaskRequest, Message, SendMessageRequest, StreamResponse, Task } from '@a2a-js/sdk';
import { DefaultExecutionEventBusManager, DefaultRequestHandler } from '@a2a-js/sdk/server';
import type { ServerCallContext } from '@a2a-js/sdk/server';
import type { OrchestratorExecutor } from './orchestrator-executor.ts';
import { isTerminalState, runIdOfTask } from './run-tasks.ts';
import type { RunTaskStore } from './run-tasks.ts';

/**
 * The SDK's request handler over the journal-backed task store, with what tasks that outlive
 * their process need:
 * - a new message without a contextId gets the task's derived one (the same after a restart);
 * - a message on a task not held in memory may carry the contextId the task had before (the
 *   journal does not keep it): the task takes it rather than the message being refused;
 * - cancelling a task no execution follows here (it waits for a decision, or the process
 *   restarted) cancels its run too, where the SDK alone would only mark the task canceled.
 */
export class RunTaskRequestHandler extends DefaultRequestHandler {
  private readonly buses: DefaultExecutionEventBusManager;

  constructor(
    card: AgentCard,
    private readonly tasks: RunTaskStore,
    private readonly executor: OrchestratorExecutor,
  ) {
    const buses = new DefaultExecutionEventBusManager();
    // No event bus outlives its execution: the SDK keeps the bus of a task that waits for input,
    // for a later message on it, but a decision taken elsewhere (HTTP, the CLI, another process)
    // publishes nothing there, so a resubscriber waited forever, and every such task kept its bus.
    // A resubscription to a waiting task gets the task and ends, as a stream does at input-required.
    super(card, tasks, executor, buses, undefined, undefined, undefined, undefined, { keepBusAliveStates: [] });
    this.buses = buses;
  }

  override async sendMessage(params: SendMessageRequest, context: ServerCallContext): Promise<Message | Task> {
    const { request, release } = await this.prepare(params);
    try {
      return await super.sendMessage(request, context);
    } finally {
      release();
    }
  }

  override async *sendMessageStream(params: SendMessageRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    const { request, release } = await this.prepare(params);
    try {
      yield* super.sendMessageStream(request, context);
    } finally {
      release();
    }
  }

  override async cancelTask(params: CancelTaskRequest, context: ServerCallContext): Promise<Task> {
    if (params.id && !this.buses.getByTaskId(params.id, context)) {
      const task = await this.tasks.load(params.id);
      if (task && !isTerminalState(task.status?.state)) await this.executor.cancelRun(runIdOfTask(params.id), 'cancelled by the A2A client');
    }
    return super.cancelTask(params, context);
  }

  private async prepare(params: SendMessageRequest): Promise<{ request: SendMessageRequest; release(): void }> {
    const message = params.message;
    const none = { request: params, release: () => undefined };
    if (!message) return none;
    if (message.taskId) {
      await this.tasks.adoptContext(message.taskId, message.contextId);
      return none;
    }
    if (message.contextId) return none;
    const auto = this.executor.autoContext();
    return { request: { ...params, message: { ...message, contextId: auto.contextId } }, release: auto.release };
  }
}
