import type { Agent } from '../core/contracts.ts';

/** The `run` functions of Baton's own agents that send their input elsewhere (see {@link markSendsInput}). */
const sendingRuns = new WeakSet<object>();

/**
 * Marks `agent`'s `run` as one that sends its input elsewhere before it answers, as JSON or a
 * structured clone (a module agent's worker thread, a command agent's process), and keeps nothing
 * of it: the scheduler may hand it the run's artifacts as they are, where other agents are given
 * their own copies (the copy of a 2.6 MB dataset held the orchestrator's thread ~25 ms, and the
 * thread or the process made its own anyway). The function is marked, not the agent: an agent
 * whose `run` is another (a wrapper, which may change its input before it calls this one) is not.
 * Not part of the {@link Agent} contract.
 */
export function markSendsInput<T extends Agent>(agent: T): T {
  sendingRuns.add(agent.run);
  return agent;
}

/** Whether `run` (an agent's, read once by the caller, who then calls that very function) was marked by {@link markSendsInput}. */
export function sendsInput(run: unknown): boolean {
  return typeof run === 'function' && sendingRuns.has(run);
}
