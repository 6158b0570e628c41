import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { nestsDeeperThan } from '../../src/validation/json-depth.ts';
import { jsonSizeAtLeast, jsonSizeAtMost, outputAsJson, outputCopy } from '../../src/validation/output-size.ts';
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

  it.each([
    ['a long sparse array (whose items, pushed to be counted, passed V8\'s largest array and aborted the process)', () => new Array(1e9)],
    ['a typed array (each item is at least "i":0 in its JSON)', () => new Uint8Array(3e6)],
    ['an array of dates', () => Array.from({ length: 700_000 }, () => new Date(0))],
  ])('refuses %s over the limit without making its JSON text', (_, make) => {
    const output = { result: make() };
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      expect(() => outputAsJson(output, 16 * 1024 * 1024)).toThrow(/^the output is at least \d+ bytes \(.*\) as JSON: the output limit is 16777216 bytes/);
      expect(stringify).not.toHaveBeenCalled();
    } finally {
      stringify.mockRestore();
    }
  });

  it('counts nothing of an array with a toJSON, nor the key of a member whose toJSON may leave it out', () => {
    class Summarised extends Array<number> {
      toJSON(): string {
        return 'n';
      }
    }
    const summarised = Summarised.from(Array.from({ length: 1_000 }, (_, i) => i));
    const gone = Object.assign([1, 2, 3], { toJSON: () => undefined });
    for (const value of [summarised, { list: summarised }, { gone }, [gone]]) {
      const json = JSON.stringify(value);
      expect(jsonSizeAtLeast(value, Infinity)).toBeLessThanOrEqual(json.length);
      expect(outputAsJson(value, json.length)).toBe(json);
    }
  });

  it('counts a date as its JSON only while nothing changes what Date.prototype.toJSON makes of it', () => {
    const odd = new Date(0);
    odd.toISOString = () => '';
    const alsoOdd = new Date(0);
    alsoOdd.valueOf = () => NaN;
    for (const value of [[new Date(0)], [new Date(NaN)], [odd], [alsoOdd], { at: odd }, { at: new Date(1e15) }]) {
      const json = JSON.stringify(value);
      const atLeast = jsonSizeAtLeast(value, Infinity);
      expect(atLeast).toBeLessThanOrEqual(json.length);
      if (Array.isArray(value) && value[0] === odd) expect(atLeast).toBeLessThan(26);
    }
    expect(jsonSizeAtLeast([new Date(0)], Infinity)).toBe(JSON.stringify([new Date(0)]).length);
    const getTime = Object.getOwnPropertyDescriptor(Date.prototype, 'getTime')!;
    Object.defineProperty(Date.prototype, 'getTime', { ...getTime, value: () => 0 });
    try {
      expect(jsonSizeAtLeast([new Date(NaN)], Infinity)).toBeLessThanOrEqual('[null]'.length);
    } finally {
      Object.defineProperty(Date.prototype, 'getTime', getTime);
    }
  });

  it('is never underestimated when the copy skips the JSON text (so no output over the limit passes)', () => {
    const anything = fc.anything({ withBoxedValues: true, withMap: true, withSet: true, withDate: true, withNullPrototype: true, withSparseArray: true, withBigInt: false });
    fc.assert(
      fc.property(anything, (value) => {
        const json = JSON.stringify(value) as string | undefined;
        if (json === undefined) return;
        const bytes = Buffer.byteLength(json, 'utf8');
        expect(jsonSizeAtMost(value, Infinity)).toBeGreaterThanOrEqual(bytes);
        expect(outputCopy(value, bytes)).toEqual(JSON.parse(json));
        if (bytes > 0) expect(() => outputCopy(value, bytes - 1)).toThrow(/output limit is/);
      }),
      { numRuns: fuzzRuns(2_000) },
    );
  });

  it('bounds the longest number text: 17 digits after -0.00000 (found by the property above, seed 1930910824)', () => {
    for (const n of [-0.0000010889470780382062, -1.7976931348623157e308, -123456789012345680000, 5e-324]) {
      const bytes = JSON.stringify(n).length;
      expect(jsonSizeAtMost(n, Infinity)).toBeGreaterThanOrEqual(bytes);
      expect(() => outputCopy({ n }, JSON.stringify({ n }).length - 1)).toThrow(/output limit is/);
    }
  });

  it('copies plain data far under the limit without measuring it exactly, and measures it near the limit', () => {
    const report = { title: 'Q2 \u00e9t\u00e9 "quoted"\n', rows: [1.5, -0, null, true, { region: 'EMEA' }] };
    const exact = Buffer.byteLength(JSON.stringify(report), 'utf8');
    expect(outputCopy(report, 1_000_000)).toEqual(JSON.parse(JSON.stringify(report)));
    expect(outputCopy(report, exact)).toEqual(JSON.parse(JSON.stringify(report)));
    expect(() => outputCopy(report, exact - 1)).toThrow(`the output is ${exact} bytes as JSON`);
  });
});

describe('the depth of an output', () => {
  const nested = (levels: number, make: (inner: unknown) => unknown): unknown => {
    let value: unknown = 'bottom';
    for (let i = 0; i < levels; i++) value = make(value);
    return value;
  };
  const tooDeep = /^the output nests arrays and objects more than 1000 levels deep/;

  it('takes 1,000 levels (the output object is the first) and refuses 1,001, in arrays or objects', () => {
    for (const make of [(v: unknown) => [v], (v: unknown) => ({ next: v })]) {
      const fits = { report: nested(999, make) };
      expect(outputCopy(fits, undefined)).toEqual(fits);
      expect(outputCopy(fits, 16 * 1024 * 1024)).toEqual(fits);
      for (const limit of [undefined, 16 * 1024 * 1024]) expect(() => outputCopy({ report: nested(1_000, make) }, limit)).toThrow(tooDeep);
    }
  });

  it('refuses an output deep enough to overflow JSON.stringify with the same message on every Node (20 and 24 overflow, 26 does not)', () => {
    const deep = { report: nested(100_000, (v) => [v]) };
    for (const limit of [undefined, 16 * 1024 * 1024]) expect(() => outputCopy(deep, limit)).toThrow(tooDeep);
  });

  it('measures any depth without recursion', () => {
    expect(nestsDeeperThan(nested(1_000_000, (v) => ({ v })), 999_999)).toBe(true);
    expect(nestsDeeperThan(nested(1_000_000, (v) => [v, 1, 'x']), 1_000_000)).toBe(false);
    expect(nestsDeeperThan('text', 0)).toBe(false);
  });
});
