import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSizeAtLeast, outputAsJson } from '../../src/validation/output-size.ts';
import { fuzzRuns } from '../fuzz/arbitraries.ts';

describe('the size of an output as JSON', () => {
  it('is never overestimated before the JSON copy is made (so no output within the limit is refused)', () => {
    const anything = fc.anything({ withBoxedValues: true, withMap: true, withSet: true, withDate: true, withTypedArray: true, withNullPrototype: true, withSparseArray: true, withBigInt: false });
    fc.assert(
      fc.property(anything, (value) => {
        const json = JSON.stringify(value) as string | undefined;
        if (json === undefined) return;
        expect(jsonSizeAtLeast(value, Infinity)).toBeLessThanOrEqual(Buffer.byteLength(json, 'utf8'));
        expect(outputAsJson(value, Buffer.byteLength(json, 'utf8'))).toBe(json);
      }),
      { numRuns: fuzzRuns(2_000) },
    );
  });

  it('refuses an output far over the limit without counting all of it', () => {
    const huge = { report: { pages: Array.from({ length: 1_000 }, () => 'p'.repeat(100_000)) } };
    expect(() => outputAsJson(huge, 1_000_000)).toThrow(/^the output is at least 10010\d\d bytes \(977\.\d KiB\) as JSON: the output limit is 1000000 bytes \(976\.6 KiB\)/);
  });
});
