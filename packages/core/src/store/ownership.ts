import type { OwnershipStore, RunStore } from '../core/contracts.ts';

const METHODS = ['heartbeat', 'retire', 'claim', 'release', 'unfinished', 'ownership', 'requestCancel', 'requests'] as const;

/** True when the journal records run ownership (every store Baton ships does; a user's may not). */
export function supportsOwnership(store: RunStore): store is RunStore & OwnershipStore {
  const s = store as unknown as Record<string, unknown>;
  return METHODS.every((m) => typeof s[m] === 'function');
}
