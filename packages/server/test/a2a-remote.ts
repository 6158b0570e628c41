import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { A2A_PROTOCOL_VERSION, AGENT_CARD_PATH, Role, TaskState } from '@a2a-js/sdk';
import type { AgentCard, Message } from '@a2a-js/sdk';
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore } from '@a2a-js/sdk/server';
import type { AgentExecutor, ExecutionEventBus, RequestContext } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import express from 'express';
import { dataOf, dataPart, textPart } from '../src/a2a/a2a-agent.ts';

/** How a fake remote agent behaves. */
/**
 * `auth`: asks for authentication (`auth-required`) and, as an SDK agent does, keeps the stream open for credentials.
 * `drop`: ends the stream while its task is still `working`, and works on until cancelled.
 * `large`: an artifact of {@link LARGE_TEXT_CHARS} characters, one SSE event larger than the SDK's client reads (4 MiB).
 * `large-reply`: the same as a reply message, with no task.
 */
export type RemoteBehaviour = 'artifact' | 'reply' | 'fail' | 'hang' | 'auth' | 'drop' | 'large' | 'large-reply';

/** The length of the text a `large` remote answers with. */
export const LARGE_TEXT_CHARS = 5 * 1024 * 1024;

/** A real A2A server (the SDK's express handlers) hosting one fake agent, on 127.0.0.1. */
export interface RemoteAgent {
  url: string;
  /** The DataPart inputs received, in order. */
  inputs: unknown[];
  /** Ids of tasks the client asked to cancel. */
  cancelled: string[];
  /** The A2A-Version header of each JSON-RPC call. */
  versions: string[];
  close(): Promise<void>;
}

class FakeExecutor implements AgentExecutor {
  readonly inputs: unknown[] = [];
  readonly cancelled: string[] = [];
  private readonly waiting = new Map<string, () => void>();

  constructor(private readonly behaviour: RemoteBehaviour) {}

  execute = async (rc: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const { taskId, contextId } = rc;
    const input = dataOf(rc.userMessage.parts)[0] as { task?: { id: string }; inputs?: unknown };
    this.inputs.push(input);
    const status = (state: TaskState, text?: string): void =>
      bus.publish(
        AgentEvent.statusUpdate({
          taskId,
          contextId,
          status: { state, message: text ? agentMessage(taskId, contextId, [textPart(text)]) : undefined, timestamp: new Date().toISOString() },
          metadata: {},
        }),
      );
    if (this.behaviour === 'reply') {
      bus.publish(AgentEvent.message(agentMessage('', contextId, [textPart('here you go'), dataPart({ forecast: { next: 7 } })])));
      return;
    }
    if (this.behaviour === 'large-reply') {
      bus.publish(AgentEvent.message(agentMessage('', contextId, [dataPart({ summary: { text: 'x'.repeat(LARGE_TEXT_CHARS) } })])));
      return;
    }
    bus.publish(AgentEvent.task({ id: taskId, contextId, status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() }, artifacts: [], history: [rc.userMessage], metadata: {} }));
    status(TaskState.TASK_STATE_WORKING, 'working');
    if (this.behaviour === 'fail') {
      status(TaskState.TASK_STATE_FAILED, 'the ledger service is down');
      return;
    }
    if (this.behaviour === 'auth') status(TaskState.TASK_STATE_AUTH_REQUIRED, 'sign in to the ledger first');
    if (this.behaviour === 'drop') bus.finished();
    if (this.behaviour === 'hang' || this.behaviour === 'auth' || this.behaviour === 'drop') {
      await new Promise<void>((resolve) => this.waiting.set(taskId, resolve));
      status(TaskState.TASK_STATE_CANCELED, 'stopped on request');
      return;
    }
    bus.publish(
      AgentEvent.artifactUpdate({
        taskId,
        contextId,
        artifact: { artifactId: randomUUID(), name: 'summary', description: '', parts: [dataPart({ text: this.behaviour === 'large' ? 'x'.repeat(LARGE_TEXT_CHARS) : `summary of ${input.task?.id ?? '?'}` })], metadata: undefined, extensions: [] },
        append: false,
        lastChunk: true,
        metadata: undefined,
      }),
    );
    status(TaskState.TASK_STATE_COMPLETED);
  };

  cancelTask = async (taskId: string): Promise<void> => {
    this.cancelled.push(taskId);
    this.waiting.get(taskId)?.();
    this.waiting.delete(taskId);
  };
}

function agentMessage(taskId: string, contextId: string, parts: Message['parts']): Message {
  return { messageId: randomUUID(), contextId, taskId, role: Role.ROLE_AGENT, parts, metadata: {}, extensions: [], referenceTaskIds: [] };
}

/** Starts a fake remote A2A agent; `protocol: '0.3'` makes it speak only A2A 0.3 on the wire. */
export async function startRemoteAgent(name: string, behaviour: RemoteBehaviour, protocol: '1.0' | '0.3' = '1.0', options: { streaming?: boolean; getTaskAnswersAnother?: boolean } = {}): Promise<RemoteAgent> {
  const card: AgentCard = {
    name,
    description: `fake remote agent (${behaviour})`,
    supportedInterfaces: [{ url: 'http://127.0.0.1/', protocolBinding: 'JSONRPC', tenant: '', protocolVersion: protocol === '1.0' ? A2A_PROTOCOL_VERSION : '0.3' }],
    provider: undefined,
    version: '1.0.0',
    capabilities: { streaming: options.streaming ?? true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['application/json'],
    defaultOutputModes: ['application/json'],
    skills: [{ id: name, name, description: behaviour, tags: [], examples: [], inputModes: [], outputModes: [], securityRequirements: [] }],
    signatures: [],
  };
  const executor = new FakeExecutor(behaviour);
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor);
  if (options.getTaskAnswersAnother) {
    const getTask = handler.getTask.bind(handler);
    handler.getTask = async (params, context) => ({ ...(await getTask(params, context)), id: randomUUID() });
  }
  const app = express();
  const legacyCompat = { enabled: protocol === '0.3' };
  const versions: string[] = [];
  app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: handler, legacyCompat }));
  app.post('/', (req, _res, next) => {
    versions.push(req.header('A2A-Version') ?? '(none)');
    next();
  });
  app.use(jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication, legacyCompat }));
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const iface = card.supportedInterfaces[0];
  if (iface) iface.url = `${url}/`;
  return {
    url,
    inputs: executor.inputs,
    cancelled: executor.cancelled,
    versions,
    close: () =>
      new Promise<void>((resolve) => {
        for (const resolveWait of executor['waiting'].values()) resolveWait();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
