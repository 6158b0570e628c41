import type { Agent, AgentContext } from 'batonjs/internal';
import type { AgentInput, AgentOutput, AgentSpec, Manifest } from 'batonjs/internal';
import type { Dispatcher } from './dispatcher.ts';
import type { AttemptJobData } from './payload.ts';

/**
 * An agent that runs elsewhere: each attempt is a BullMQ job on the agent's queue, run by a
 * `baton worker` process. It has the manifest's spec, so the orchestrator validates its output
 * exactly as it would an in-process agent's.
 */
export class RemoteAgent implements Agent {
  private readonly timeoutMs: number;

  constructor(
    private readonly dispatcher: Dispatcher,
    readonly spec: AgentSpec,
    manifest: Manifest,
  ) {
    // The same timeout the orchestrator applies to this agent's attempts.
    this.timeoutMs = spec.timeoutMs ?? manifest.orchestrator.policy.taskTimeoutMs;
  }

  run(input: AgentInput, ctx: AgentContext): Promise<AgentOutput> {
    const data: AttemptJobData = { agent: this.spec.name, input, timeoutMs: this.timeoutMs };
    if (ctx.maxOutputBytes !== undefined) data.maxOutputBytes = ctx.maxOutputBytes;
    if (this.spec.version !== undefined) data.agentVersion = this.spec.version;
    return this.dispatcher.dispatch(data, ctx);
  }
}
