import type { Policy } from './types.ts';

/** The default `policy.maxOutputBytes`: 16 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

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
