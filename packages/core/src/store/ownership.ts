import type { OwnershipStore, RunStore } from '../core/contracts.ts';

const METHODS = ['heartbeat', 'retire', 'claim', 'release', 'unfinished', 'ownership', 'requestCancel', 'requests', 'requestDecision', 'decisionRequests', 'clearDecision'] as const;

const answers = new WeakMap<RunStore, boolean>();

/** True when the journal records run ownership (every store Baton ships does; a user's may not). Asked once per store. */
export function supportsOwnership(store: RunStore): store is RunStore & OwnershipStore {
  let answer = answers.get(store);
  if (answer === undefined) {
    const s = store as unknown as Record<string, unknown>;
    answer = METHODS.every((m) => typeof s[m] === 'function');
    answers.set(store, answer);
  }
  return answer;
}
