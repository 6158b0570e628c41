import type { Agent } from '../core/contracts.ts';

/**
 * What an agent starts ahead of its first attempt (a command agent's launcher process), once
 * something plans to call on it: a run whose plan names it, a worker that serves it. Building an
 * agent does not start it: an agent is also built only to read its version (a fallback, `baton
 * agents check`), and many never run. Not part of the {@link Agent} contract.
 */
export const WARM_UP = Symbol('baton.agent.warmUp');

/** An agent with something to start ahead of its first attempt. */
export type WarmableAgent = Agent & { [WARM_UP]?: () => void };

/** Starts what `agent` needs ahead of its first attempt, if anything. */
export function warmUp(agent: WarmableAgent | undefined): void {
  agent?.[WARM_UP]?.();
}
