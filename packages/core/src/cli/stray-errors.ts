import { inspect } from 'node:util';
import { BatonError, errorMessage } from '../core/errors.ts';
import { inThreadAgentOf } from '../agents/in-thread-agents.ts';
import type { StrayOrigin } from '../agents/in-thread-agents.ts';
import { EXIT } from './exit-codes.ts';

/** How many of one agent's stray errors are written out in full; the rest are counted in one line. */
export const STRAY_ERRORS_SHOWN = 5;

/**
 * Keeps an agent that runs in Baton's thread (`isolation: none`) from taking the `baton` process
 * down with an error nobody handles: a promise it rejected and never awaited, or a throw in a timer
 * it set. Node ends the process on either, and with it `baton run`'s run, or every run `baton serve`
 * or `baton worker` has in flight. Such an error whose stack shows it was raised in the agent's own
 * files fails the agent's attempts in flight, as the death of its worker thread fails them under
 * `isolation: thread` (retries and reassignment follow, as for any failed attempt), is written to
 * stderr, named for the agent, and the process goes on. Any other stray error may be Baton's own,
 * after which a run could wait for ever in a live process; that one ends the process with code 1,
 * as Node would, and a durable journal's runs are carried on by the next process (takeover).
 */
export function containStrayAgentErrors(): void {
  const shown = new Map<string, number>();
  const stray = (error: unknown, what: string): void => {
    const origin = inThreadAgentOf(error);
    if (!origin) crash(error, what);
    else warn(origin, error, what, origin.failAttempts(attemptError(origin, error, what)), shown);
  };
  process.on('unhandledRejection', (reason) => stray(reason, 'a rejected promise that nothing awaited'));
  process.on('uncaughtException', (error) => stray(error, 'an error thrown where nothing caught it'));
}

/** What an attempt in flight fails with: the stray error, said to be the agent's. */
function attemptError(origin: StrayOrigin, error: unknown, what: string): BatonError {
  return new BatonError('AGENT_FAILED', `${who(origin)} left an error nobody handled (${what}), raised in ${origin.file}: ${errorMessage(error)}`);
}

function who(origin: StrayOrigin): string {
  return origin.agents.length === 1 ? `agent '${origin.agents[0]!}'` : `one of the agents ${origin.agents.map((name) => `'${name}'`).join(', ')}`;
}

function warn(origin: StrayOrigin, error: unknown, what: string, failed: number, shown: Map<string, number>): void {
  const agent = who(origin);
  const count = (shown.get(agent) ?? 0) + 1;
  shown.set(agent, count);
  if (count > STRAY_ERRORS_SHOWN + 1) return;
  if (count === STRAY_ERRORS_SHOWN + 1) {
    process.stderr.write(`baton: ${agent} left more errors nobody handled; they are not shown (each still fails the attempts of its agent in flight).\n`);
    return;
  }
  const attempts = failed === 0 ? 'no attempt of it was in flight' : `${failed === 1 ? 'its attempt' : `its ${failed} attempts`} in flight failed with it, as in a worker thread of its own`;
  process.stderr.write(`baton: ${agent} (isolation: none) left ${what}, raised in ${origin.file}: ${attempts}; Baton goes on.\n${described(error)}\n`);
}

/** The error as Node would print it, or what can be told of one that cannot be inspected (its `stack` a getter that throws). */
function described(error: unknown): string {
  try {
    return inspect(error);
  } catch {
    return `(an error that cannot be printed: ${Object.prototype.toString.call(error)})`;
  }
}

function crash(error: unknown, what: string): never {
  process.stderr.write(
    `baton: an error nobody handled (${what}), and its stack does not show it raised in the files of an agent with isolation: none (its module's folder, less node_modules), so it may be Baton's own: the process ends with code ${EXIT.failed}, as Node ends it.\n${described(error)}\n`,
  );
  process.exit(EXIT.failed);
}
