import { describe, expect, it } from 'vitest';
import { newRunId } from '../../src/core/ids.ts';

describe('newRunId', () => {
  it('is r_, the time in base 36 and 10 random hex digits', () => {
    const before = Date.now();
    const id = newRunId();
    const m = /^r_([0-9a-z]+)([0-9a-f]{10})$/.exec(id);
    expect(m).not.toBeNull();
    expect(parseInt(m![1]!, 36)).toBeGreaterThanOrEqual(before);
  });

  it('never repeats, across many refills of its random pool', () => {
    const ids = Array.from({ length: 5000 }, () => newRunId());
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.slice(-10))).size).toBe(ids.length);
  });
});
