import { defineAgent } from '../agents/define-agent.ts';
import type { AgentDefinition } from '../agents/define-agent.ts';
import type { Agent } from '../core/contracts.ts';
import { UnrecoverableAgentError } from '../core/errors.ts';
import type { AgentInput, AgentOutput } from '../core/types.ts';

/** One scripted reaction of a fake agent to one attempt. */
export type ScriptStep =
  | { output: AgentOutput | ((input: AgentInput) => AgentOutput); delayMs?: number }
  | { throw: string; delayMs?: number; unrecoverable?: boolean }
  /** Never answers until aborted (to exercise timeouts and cancellation). */
  | { hang: true };

export interface ScriptedAgentOptions extends Omit<AgentDefinition, 'run' | 'description'> {
  description?: string;
  /** Reactions in order, one per attempt; the last one repeats. Default: a valid output. */
  script?: ScriptStep[];
}

/** A fake agent and the record of what it was asked. */
export interface ScriptedAgent extends Agent {
  /** Every input it received, in order. */
  readonly calls: AgentInput[];
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The output a fake agent gives when no step says otherwise: each artifact names its maker. */
export function defaultOutput(name: string, produces: readonly string[], input: AgentInput): AgentOutput {
  const out: AgentOutput = {};
  for (const p of produces) out[p] = { by: name, task: input.task.id, attempt: input.attempt, inputs: Object.keys(input.inputs) };
  return out;
}

/**
 * A sub-agent that follows a script, for testing manifests, integrators and failure handling
 * without real agents: `scriptedAgent({ name: 'data', produces: ['rows'], script: [{ throw: 'db down' }, { output: { rows: [1] } }] })`.
 */
export function scriptedAgent(options: ScriptedAgentOptions): ScriptedAgent {
  const calls: AgentInput[] = [];
  const script = options.script ?? [];
  const agent = defineAgent({
    ...options,
    description: options.description ?? `scripted agent ${options.name}`,
    async run(input, ctx) {
      calls.push(input);
      const step = script[Math.min(calls.length - 1, script.length - 1)];
      if (!step) return defaultOutput(options.name, options.produces, input);
      if ('hang' in step) {
        await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error), { once: true }));
        throw new Error('unreachable');
      }
      if (step.delayMs) await sleep(step.delayMs, ctx.signal);
      if ('throw' in step) throw step.unrecoverable ? new UnrecoverableAgentError(step.throw) : new Error(step.throw);
      return typeof step.output === 'function' ? step.output(input) : step.output;
    },
  });
  return Object.assign(agent, { calls });
}
