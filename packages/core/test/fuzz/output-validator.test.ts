import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AgentSpec, JsonSchema } from '../../src/core/types.ts';
import { dataCopy, jsonCopy } from '../../src/validation/json-copy.ts';
import { checkOutput } from '../../src/validation/output-validator.ts';
import { compileSchema } from '../../src/validation/schema-compiler.ts';
import { fuzzRuns } from './arbitraries.ts';

// Agent outputs of any shape never crash the validator: it accepts a JSON object holding every
// expected, non-empty, schema-valid artifact, and otherwise lists problems.

const ROOT = path.resolve(import.meta.dirname, '../..');
const realSchemas: JsonSchema[] = ['dataset', 'metrics', 'charts', 'summary'].map((n) => JSON.parse(readFileSync(path.join(ROOT, '../../examples/sales-report/schemas', `${n}.json`), 'utf8')) as JsonSchema);

/** Small JSON Schemas (draft-07 and 2020-12) that strict ajv accepts. */
const schema: fc.Arbitrary<JsonSchema> = fc.letrec<{ node: JsonSchema }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<JsonSchema>({ type: 'string' }, { type: 'integer', minimum: 0 }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }, { type: 'string', minLength: 2, pattern: '^[a-z]+$' }, { type: 'string', format: 'date' }, {}),
    fc.record({ enum: fc.uniqueArray(fc.jsonValue({ maxDepth: 1 }), { minLength: 1, maxLength: 4, selector: (v) => JSON.stringify(v) }) }),
    fc.record({ const: fc.jsonValue({ maxDepth: 1 }) }),
    fc.record({ type: fc.constant('array'), items: tie('node'), minItems: fc.nat(3) }),
    fc.record({ anyOf: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tie('node'), { maxKeys: 4 }).chain((properties) =>
      fc.record({
        type: fc.constant('object'),
        properties: fc.constant(properties),
        required: fc.subarray(Object.keys(properties)),
        additionalProperties: fc.boolean(),
      }),
    ),
  ),
})).node;

const withDialect = fc.tuple(schema, fc.boolean()).map(([s, is2020]) => (is2020 ? { $schema: 'https://json-schema.org/draft/2020-12/schema', ...s } : s));

function specOf(produces: string[], schemas: (JsonSchema | undefined)[]): AgentSpec {
  const output: AgentSpec['output'] = {};
  produces.forEach((p, i) => {
    const s = schemas[i];
    if (s) output[p] = { schema: s };
  });
  return { name: 'fuzzed', description: 'fuzzed', version: '0.0.0', capabilities: [], consumes: [], produces, kind: 'code', output, fallback: [] };
}

const artifactNames = fc.uniqueArray(fc.oneof(fc.constantFrom('report', 'metrics', '__proto__', 'constructor', 'toString', ''), fc.string({ maxLength: 8 })), { minLength: 1, maxLength: 3 });

/** Values an agent might return, including ones JSON cannot hold. */
const anyValue = fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true, withBoxedValues: true, withObjectString: true, maxDepth: 4 });

function expectSound(spec: AgentSpec, expected: string[], raw: unknown): void {
  const check = checkOutput(spec, expected, raw);
  if (!check.ok) {
    expect(check.problems.length).toBeGreaterThan(0);
    for (const p of check.problems) expect(typeof p === 'string' && p.length > 0).toBe(true);
    return;
  }
  expect(typeof check.output).toBe('object');
  expect(Array.isArray(check.output)).toBe(false);
  // What is journaled is plain JSON: it survives a round trip unchanged.
  expect(isDeepStrictEqual(JSON.parse(JSON.stringify(check.output)), check.output)).toBe(true);
  for (const artifact of expected) {
    expect(Object.prototype.hasOwnProperty.call(check.output, artifact)).toBe(true);
    const s = spec.output[artifact]?.schema;
    if (s) expect(compileSchema(s)(check.output[artifact])).toBe(true);
  }
}

describe('output validator under fuzzing', () => {
  it('never throws on arbitrary values, with or without schemas', () => {
    fc.assert(
      fc.property(artifactNames, fc.array(fc.option(fc.oneof(withDialect, fc.constantFrom(...realSchemas)), { nil: undefined }), { maxLength: 3 }), anyValue, (names, schemas, raw) => {
        expectSound(specOf(names, schemas), names, raw);
      }),
      { numRuns: fuzzRuns(500) },
    );
  });

  it('judges objects that hold the expected artifacts with arbitrary JSON values', () => {
    fc.assert(
      fc.property(
        artifactNames.chain((names) => fc.tuple(fc.constant(names), fc.array(fc.option(withDialect, { nil: undefined }), { minLength: names.length, maxLength: names.length }), fc.tuple(...names.map(() => fc.jsonValue({ maxDepth: 4 }))))),
        ([names, schemas, values]) => {
          const raw: Record<string, unknown> = {};
          names.forEach((n, i) => Object.defineProperty(raw, n, { value: values[i], enumerable: true, writable: true, configurable: true }));
          expectSound(specOf(names, schemas), names, raw);
        },
      ),
      { numRuns: fuzzRuns(500) },
    );
  });

  it('reports, without crashing, a schema ajv cannot compile (an enum value with an own "toString" key)', () => {
    // Counterexample found by the property above (seed -20452753).
    const check = checkOutput(specOf(['report'], [{ enum: [{}, { toString: false }] }]), ['report'], { report: { a: 1 } });
    expect(check.ok ? [] : check.problems).toEqual([
      expect.stringMatching(/^artifact 'report' could not be checked against its schema: the schema cannot be compiled: a\.toString is not a function \(an enum or const value/),
    ]);
  });

  it('reports, without crashing, a value ajv cannot compare (an own "valueOf" key against an enum)', () => {
    // Counterexample found by the property above (seed 395649674).
    const check = checkOutput(specOf(['report'], [{ enum: [{}, ''] }]), ['report'], { report: { valueOf: '' } });
    expect(check.ok).toBe(false);
    expect(check.ok ? [] : check.problems).toEqual([expect.stringContaining("artifact 'report' could not be checked against its schema")]);
  });

  it('reports outputs JSON cannot hold (cycles, throwing toJSON, BigInt, deep nesting) as problems', () => {
    const spec = specOf(['report'], [undefined]);
    const cyclic: Record<string, unknown> = { report: {} };
    (cyclic.report as Record<string, unknown>).self = cyclic;
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const hostile = [cyclic, { report: { toJSON: () => { throw new Error('no JSON for you'); } } }, { report: 10n }, { report: deep }, Object.create(null) as unknown, new Proxy({}, {})];
    for (const raw of hostile) expectSound(spec, ['report'], raw);
    expect(checkOutput(spec, ['report'], cyclic).ok).toBe(false);
  });
});

describe('jsonCopy under fuzzing', () => {
  /** What JSON gives for a value: the copy, or the error it throws. */
  const viaJson = (v: unknown): { value: unknown } | { error: string } => {
    try {
      const text = JSON.stringify(v);
      return { value: text === undefined ? undefined : JSON.parse(text) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };
  const viaCopy = (v: unknown): { value: unknown } | { error: string } => {
    try {
      return { value: jsonCopy(v) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };

  it('gives exactly what a JSON round trip gives, for any value inside an object or an array', () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        for (const holder of [{ v }, [v], { a: [v, { b: v }] }]) {
          const expected = viaJson(holder);
          const got = viaCopy(holder);
          expect(isDeepStrictEqual(got, expected)).toBe(true);
        }
      }),
      { numRuns: fuzzRuns(1000) },
    );
  });

  it('copies -0, NaN, undefined, __proto__ keys, toJSON and cycles as JSON does', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    const cases: unknown[] = [
      { z: -0, n: Number.NaN, i: Number.POSITIVE_INFINITY, u: undefined, f: () => 1, s: Symbol('s') },
      [undefined, () => 1, -0],
      JSON.parse('{"__proto__": {"x": 1}, "y": 2}'),
      { d: new Date(0), m: new Map([[1, 2]]), t: { toJSON: () => 'T' } },
      Object.assign(Object.create(null) as object, { k: [1, { l: 'x' }] }),
      { deep: JSON.parse(`${'['.repeat(100)}1${']'.repeat(100)}`) },
      cyclic,
      { big: 1n },
    ];
    for (const c of cases) expect(viaCopy(c)).toEqual(viaJson(c));
    const copy = jsonCopy(JSON.parse('{"__proto__": {"x": 1}}')) as object;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__']);
  });

  it('dataCopy: the same copy of JSON data, a new object at every level, primitives as they are', () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        const data = viaJson({ v });
        if (!('value' in data)) return;
        const copy = dataCopy(data.value);
        expect(isDeepStrictEqual(copy, data.value)).toBe(true);
        expect(copy).not.toBe(data.value);
      }),
      { numRuns: fuzzRuns(500) },
    );
    const sent = JSON.parse('{"__proto__": {"x": 1}, "deep": ' + `${'['.repeat(100)}1${']'.repeat(100)}` + '}') as Record<string, unknown>;
    const copy = dataCopy(sent);
    expect(Object.keys(copy)).toEqual(['__proto__', 'deep']);
    expect(copy['deep']).toEqual(sent['deep']);
    expect(copy['deep']).not.toBe(sent['deep']);
    expect(dataCopy('text')).toBe('text');
    expect(dataCopy(null)).toBe(null);
  });
});
