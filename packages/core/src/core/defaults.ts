import type { Policy } from './types.ts';

/** The default `policy.maxOutputBytes`: 16 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/**
 * The deepest nesting of arrays and objects an agent's output or a run's parameters may have (the
 * output or parameters object is level 1). Fixed, not a policy: past a few thousand levels
 * `JSON.stringify` overflows the stack on Node 20 and 24 but not on 26, so without a bound of its
 * own a value would be refused on one Node and journaled on another, where every reader of the
 * journal on an older Node then fails on it.
 */
export const MAX_JSON_DEPTH = 1000;

/**
 * The longest error text kept for one attempt (what an agent threw, or the problems found in its
 * output): each is journaled, kept in the RunResult and handed to the next attempt as feedback.
 * Command agents' stderr is cut to its last 8 KiB before it gets here.
 */
export const MAX_ERROR_CHARS = 8 * 1024;

/**
 * The largest file Baton reads as a manifest, a suite, a plan or parameters (`--plan`, `--params`,
 * stdin): 64 MiB, far past any real one. Without a bound, a path such as /dev/zero was read until
 * the process held over half a GiB and failed with V8's "Invalid string length".
 */
export const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

/**
 * The smallest `maxMemoryMb` of an `isolation: process` module agent: its process loads Baton's
 * runner and, for a TypeScript module, tsx and esbuild before the module.
 */
export const MIN_AGENT_MEMORY_MB = 32;

/** The longest delay `setTimeout` holds (~24.8 days); a longer one fires at once, with a warning. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The policy a manifest gets for every field it leaves out. */
export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  maxParallel: 4,
  retries: 2,
  taskTimeoutMs: 60_000,
  runTimeoutMs: 600_000,
  maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES,
  backoff: Object.freeze({ initialDelayMs: 200, factor: 2, maxDelayMs: 5_000, jitter: 0.2 }),
});

/** A full policy from a partial one. */
export function resolvePolicy(partial: Partial<Policy> = {}): Policy {
  return { ...DEFAULT_POLICY, ...partial, backoff: { ...DEFAULT_POLICY.backoff, ...partial.backoff } };
}
