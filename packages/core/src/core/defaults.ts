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
