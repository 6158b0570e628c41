import { inspect } from 'node:util';
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
 * files is written to stderr, named for the agent, and the process goes on: the agent's attempt
 * still ends by its answer or its timeout. Any other stray error may be Baton's own, after which a
 * run could wait for ever in a live process; that one ends the process with code 1, as Node would,
 * and a durable journal's runs are carried on by the next process (takeover).
 */
export function containStrayAgentErrors(): void {
  const shown = new Map<string, number>();
  const stray = (error: unknown, what: string): void => {
    const origin = inThreadAgentOf(error);
    if (!origin) crash(error, what);
    else warn(origin, error, what, shown);
  };
  process.on('unhandledRejection', (reason) => stray(reason, 'a rejected promise that nothing awaited'));
  process.on('uncaughtException', (error) => stray(error, 'an error thrown where nothing caught it'));
}

function warn(origin: StrayOrigin, error: unknown, what: string, shown: Map<string, number>): void {
  const who = origin.agents.length === 1 ? `agent '${origin.agents[0]!}'` : `one of the agents ${origin.agents.map((name) => `'${name}'`).join(', ')}`;
  const count = (shown.get(who) ?? 0) + 1;
  shown.set(who, count);
  if (count > STRAY_ERRORS_SHOWN + 1) return;
  if (count === STRAY_ERRORS_SHOWN + 1) {
    process.stderr.write(`baton: ${who} left more errors nobody handled; they are not shown.\n`);
    return;
  }
  process.stderr.write(
    `baton: ${who} (isolation: none) left ${what}, raised in ${origin.file}; Baton goes on, and the agent's attempt ends by its answer or its timeout. ` +
      `With isolation: thread, what an agent leaves stays in its own thread.\n${described(error)}\n`,
  );
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
