import { describe, expect, it } from 'vitest';
import type { RunOwner, RunOwnership } from '../../src/core/contracts.ts';
import { ownerGone } from '../../src/execution/owner-identity.ts';

const self: RunOwner = { id: 'here:1:aa', host: 'here', pid: 1, startedAt: 0 };
const LEASE = 15_000;
const ownerless = (extra: Partial<RunOwnership>): RunOwnership => ({ runId: 'r1', status: 'running', fence: 1, ...extra });

describe('ownerGone: a run without owner', () => {
  it('is gone at once when another process handed it over, even if it was written just now', () => {
    expect(ownerGone(ownerless({ updatedAgeMs: 0, handedOverBy: 'there:7:bb' }), LEASE, self)).toBe('it was handed over by there:7:bb');
  });

  it('is left alone while the lease runs when nobody handed it over (someone may still write it)', () => {
    expect(ownerGone(ownerless({ updatedAgeMs: 1_000 }), LEASE, self)).toBeUndefined();
    expect(ownerGone(ownerless({ updatedAgeMs: LEASE + 1 }), LEASE, self)).toContain('it has no owner');
  });

  it('is not taken back at once by the process that handed it over', () => {
    expect(ownerGone(ownerless({ updatedAgeMs: 1_000, handedOverBy: self.id }), LEASE, self)).toBeUndefined();
    expect(ownerGone(ownerless({ updatedAgeMs: LEASE + 1, handedOverBy: self.id }), LEASE, self)).toContain('it has no owner');
  });
});
