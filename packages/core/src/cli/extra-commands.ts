import type { Command } from 'commander';

/** Wraps a command action so its returned number becomes the exit code. */
export type ActWrapper = <A extends (...args: never[]) => Promise<number>>(fn: A) => (...args: Parameters<A>) => Promise<void>;

/** Commands contributed by optional parts (serve, worker), added without touching main.ts. */
export const extraCommands: ((program: Command, act: ActWrapper) => void)[] = [];
