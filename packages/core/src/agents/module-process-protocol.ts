/** What an `isolation: process` module agent's process (`module-process.ts`) tells the agent that started it. */
import type { Usage } from '../core/types.ts';
import type { ThreadError } from './module-thread-protocol.ts';

/** The argument that makes the process print the module's `version` export (a line, empty when it has none) instead of running it. */
export const VERSION_ARG = '--version';

/**
 * The one line the process prints on stdout as it ends: the module's output (absent when it
 * returned nothing) or the error it threw, and the usage it reported that was not sent as it ran
 * (on fd 3, a line of JSON per report), added up.
 */
export type ModuleProcessAnswer = { output?: unknown; usage?: Usage } | { error: ThreadError; usage?: Usage };

/** Bytes of stdout allowed beside the output itself: the answer's keys and its usage. */
export const ANSWER_OVERHEAD_BYTES = 1024;
