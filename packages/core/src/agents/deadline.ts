import type { Agent, AgentContext } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import type { AgentInput, AgentOutput } from '../core/types.ts';

/**
 * Runs an agent's code that runs in this thread (`run(input, ctx)`: no closure per call) and
 * holds its answer (or its error) to the attempt's deadline: one that comes later is a timeout.
 * Code that blocks the event loop keeps the attempt's timer from firing, so without this a 15 s
 * synchronous loop under an 8 s timeout would be taken as a success when it finally returned.
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

/** The error of an answer (or error) that came after the attempt's deadline, if it did. */
export function lateAnswer(ctx: AgentContext): BatonError | undefined {
  if (ctx.deadline === undefined) return undefined;
  const late = Date.now() - ctx.deadline;
  if (late <= 0) return undefined;
  return new BatonError('AGENT_TIMEOUT', `the agent answered ${late} ms past its deadline (it ran in this thread after its timeout, so the answer is not taken)`);
}

function throwIfLate(ctx: AgentContext): void {
  const late = lateAnswer(ctx);
  if (late) throw late;
}

type InThreadRun = (input: AgentInput, ctx: AgentContext) => Promise<AgentOutput> | AgentOutput;

/** The code of an agent defined in code, next to the `run` that wraps it in {@link withinDeadline}. */
interface InThread {
  wrapper: Agent['run'];
  code: InThreadRun;
}

const IN_THREAD = Symbol('baton.inThread');

/**
 * Makes an agent whose `run` is `code` held to its deadline by {@link withinDeadline}. The attempt
 * runner calls `code` itself and applies the same rule ({@link inThreadCode}): one async layer less
 * per attempt. Kept on a non-enumerable symbol, and used only while `run` is still that wrapper, so a
 * copy or a replaced `run` goes through `run` as usual.
 */
export function inThreadAgent<A extends Omit<Agent, 'run'>>(agent: A, code: InThreadRun): A & Pick<Agent, 'run'> {
  const wrapper: Agent['run'] = (input, ctx) => withinDeadline(ctx, code, input);
  const made = Object.assign(agent, { run: wrapper });
  const inThread: InThread = { wrapper, code };
  Object.defineProperty(made, IN_THREAD, { value: inThread });
  return made;
}

/** The in-thread code behind `agent.run`, when `agent` was made by {@link inThreadAgent} and its `run` is unchanged. */
export function inThreadCode(agent: Agent): InThreadRun | undefined {
  const inThread = (agent as { [IN_THREAD]?: InThread })[IN_THREAD];
  return inThread && inThread.wrapper === agent.run ? inThread.code : undefined;
}
