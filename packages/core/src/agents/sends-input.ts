import type { Agent } from '../core/contracts.ts';

const SENDS_INPUT = Symbol('baton.agent.sendsInput');

/**
 * Marks `agent` as one whose `run` sends its input elsewhere before it answers, as JSON or a
 * structured clone (a module agent's worker thread, a command agent's process), and keeps nothing
 * of it: the scheduler may hand it the run's artifacts as they are, where other agents are given
 * their own copies (the copy of a 2.6 MB dataset held the orchestrator's thread ~25 ms, and the
 * thread or the process made its own anyway). Not enumerable, so an agent made by spreading this
 * one (`{ ...agent, run }`), whose `run` may change its input, is not marked. Not part of the
 * {@link Agent} contract.
 */
export function markSendsInput<T extends Agent>(agent: T): T {
  return Object.defineProperty(agent, SENDS_INPUT, { value: true });
}

/** Whether `agent` was marked by {@link markSendsInput}. */
export function sendsInput(agent: Agent): boolean {
  return (agent as { [SENDS_INPUT]?: true })[SENDS_INPUT] === true;
}
