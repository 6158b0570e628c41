import type { AgentContext } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';

/**
 * Runs an agent's code that runs in this thread (`run(input, ctx)`: no closure per call) and holds its answer (or its error) to the
 * attempt's deadline: one that comes later is a timeout. Code that blocks the event loop keeps the
 * attempt's timer from firing, so without this a 15 s synchronous loop under an 8 s timeout would
 * be taken as a success when it finally returned.
 */
export async function withinDeadline<I, T>(ctx: AgentContext, run: (input: I, ctx: AgentContext) => Promise<T> | T, input: I): Promise<T> {
  let value: T;
  try {
    value = await run(input, ctx);
  } catch (e) {
    throwIfLate(ctx);
    throw e;
  }
  throwIfLate(ctx);
  return value;
}

function throwIfLate(ctx: AgentContext): void {
  if (ctx.deadline === undefined) return;
  const late = Date.now() - ctx.deadline;
  if (late > 0) {
    throw new BatonError('AGENT_TIMEOUT', `the agent answered ${late} ms past its deadline (it ran in this thread after its timeout, so the answer is not taken)`);
  }
}
