import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import type { JsonSchema, Manifest } from '../../src/core/types.ts';
import { resolvePolicy } from '../../src/core/defaults.ts';
import { resolveParams } from '../../src/validation/params.ts';
import type { ParamProblem } from '../../src/validation/params.ts';

function manifest(params?: JsonSchema): Manifest {
  return {
    version: 1,
    file: '/project/baton.yaml',
    baseDir: '/project',
    orchestrator: { name: 'o', description: 'o', instructions: '', subagents: [], deliverable: [], policy: resolvePolicy(), ...(params ? { params } : {}) },
    agents: {},
  };
}

const TRIP: JsonSchema = {
  type: 'object',
  required: ['city'],
  properties: {
    city: { type: 'string' },
    days: { type: 'integer', minimum: 1, default: 3 },
    unit: { enum: ['c', 'f'], default: 'c' },
    range: { type: 'object', properties: { from: { type: 'string', format: 'date' } } },
  },
};

function problemsOf(fn: () => unknown): { message: string; problems: ParamProblem[] } {
  try {
    fn();
  } catch (e) {
    if (!BatonError.isInstance(e)) throw e;
    expect(e.code).toBe('BAD_REQUEST');
    return { message: e.message, problems: e.details as ParamProblem[] };
  }
  throw new Error('expected the parameters to be refused');
}

describe('run parameters', () => {
  it('fills in the defaults of the schema and leaves the caller object as it was', () => {
    const given = { city: 'Lisbon' };
    expect(resolveParams(manifest(TRIP), given)).toEqual({ city: 'Lisbon', days: 3, unit: 'c' });
    expect(given).toEqual({ city: 'Lisbon' });
  });

  it('gives {} when the orchestrator declares no parameters and none are given', () => {
    expect(resolveParams(manifest(), undefined)).toEqual({});
    expect(resolveParams(manifest(), {})).toEqual({});
  });

  it('names a missing required parameter and what it expects', () => {
    const { problems } = problemsOf(() => resolveParams(manifest(TRIP), { days: 2 }));
    expect(problems).toEqual([{ field: 'params.city', message: 'missing required parameter "city" (expected a string)' }]);
  });

  it('names a parameter of the wrong type, with what was expected and what came', () => {
    const { message, problems } = problemsOf(() => resolveParams(manifest(TRIP), { city: 'Lisbon', days: 'three', unit: 'k' }));
    expect(problems).toEqual([
      { field: 'params.days', message: 'expected an integer, got "three"' },
      { field: 'params.unit', message: 'expected one of "c", "f", got "k"' },
    ]);
    expect(message).toContain('params.days: expected an integer, got "three"');
  });

  it('refuses an unknown parameter with a suggestion, unless the schema allows others', () => {
    const { problems } = problemsOf(() => resolveParams(manifest(TRIP), { cty: 'Lisbon', city: 'Porto' }));
    expect(problems).toEqual([{ field: 'params.cty', message: 'unknown parameter "cty" (did you mean "city"?); the parameters are: city, days, unit, range' }]);
    expect(resolveParams(manifest({ ...TRIP, additionalProperties: true }), { city: 'Porto', extra: 1 })).toMatchObject({ city: 'Porto', extra: 1 });
  });

  it('takes a schema that declares parameters through composition as written: allOf, $ref, if/then', () => {
    const allOf: JsonSchema = { type: 'object', allOf: [{ properties: { a: { type: 'string' } } }] };
    expect(resolveParams(manifest(allOf), { a: 'x' })).toEqual({ a: 'x' });
    const byRef: JsonSchema = { type: 'object', $ref: '#/$defs/P', $defs: { P: { type: 'object', properties: { city: { type: 'string', default: 'Porto' } } } } };
    expect(resolveParams(manifest(byRef), { city: 'Lisbon' })).toEqual({ city: 'Lisbon' });
    expect(problemsOf(() => resolveParams(manifest(byRef), { city: 5 })).problems).toEqual([{ field: 'params.city', message: 'expected a string, got number 5' }]);
    const conditional: JsonSchema = { type: 'object', properties: { kind: { type: 'string' } }, if: { properties: { kind: { const: 'a' } } }, then: { properties: { extra: { type: 'string' } } } };
    expect(resolveParams(manifest(conditional), { kind: 'a', extra: 'x' })).toEqual({ kind: 'a', extra: 'x' });
    // A plain properties schema stays closed: a misspelt name is still refused.
    expect(problemsOf(() => resolveParams(manifest({ type: 'object', properties: { kind: { type: 'string' } } }), { knd: 'a' })).problems).toEqual([
      { field: 'params.knd', message: 'unknown parameter "knd" (did you mean "kind"?); the parameters are: kind' },
    ]);
  });

  it('names nested fields and keyword failures', () => {
    const { problems } = problemsOf(() => resolveParams(manifest(TRIP), { city: 'Lisbon', days: 0, range: { from: 'yesterday' } }));
    expect(problems.map((p) => p.field)).toEqual(['params.days', 'params.range.from']);
    expect(problems[0]!.message).toBe('must be >= 1, got number 0');
    expect(problems[1]!.message).toMatch(/must match format "date", got "yesterday"/);
  });

  it('names an item of a list by its index and says what the items expect', () => {
    const tags: JsonSchema = { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' } }, pair: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] } } };
    const { message, problems } = problemsOf(() => resolveParams(manifest(tags), { tags: ['a', 1], pair: ['x', 'y'] }));
    expect(problems).toEqual([
      { field: 'params.tags[1]', message: 'expected a string, got number 1' },
      { field: 'params.pair[1]', message: 'expected an integer, got "y"' },
    ]);
    expect(message).toContain('params.tags[1]: expected a string, got number 1');
    // A schema Baton cannot follow (a $ref) still gets the type ajv checked, in the same words.
    const byRef: JsonSchema = { type: 'object', $defs: { n: { type: 'number' } }, properties: { n: { $ref: '#/$defs/n' } } };
    expect(problemsOf(() => resolveParams(manifest(byRef), { n: 'x' })).problems).toEqual([{ field: 'params.n', message: 'expected a number, got "x"' }]);
  });

  it('says null for null, and that Infinity or NaN (JSON would make them null) are not JSON numbers', () => {
    expect(problemsOf(() => resolveParams(manifest(TRIP), { city: null })).problems).toEqual([{ field: 'params.city', message: 'expected a string, got null' }]);
    const { problems } = problemsOf(() => resolveParams(manifest(TRIP), { city: 'Lisbon', days: Number.POSITIVE_INFINITY, range: { from: Number.NaN } }));
    expect(problems).toEqual([
      { field: 'params.days', message: 'the number is too large to be a JSON number (got Infinity; JSON numbers go from about -1.8e308 to 1.8e308)' },
      { field: 'params.range.from', message: 'got NaN, which is not a JSON number' },
    ]);
    // Refused even where the schema takes null, which is all JSON would have left of them.
    const open: JsonSchema = { type: 'object', properties: { q: {} } };
    expect(problemsOf(() => resolveParams(manifest(open), { q: [1, Number.NEGATIVE_INFINITY] })).problems).toEqual([
      { field: 'params.q[1]', message: 'the number is too small to be a JSON number (got -Infinity; JSON numbers go from about -1.8e308 to 1.8e308)' },
    ]);
  });

  it('refuses parameters given to an orchestrator that takes none, and a non-object', () => {
    expect(problemsOf(() => resolveParams(manifest(), { city: 'Lisbon' })).problems).toEqual([
      { field: 'params.city', message: 'unknown parameter "city": this orchestrator takes no parameters (declare them under orchestrator.params in /project/baton.yaml)' },
    ]);
    expect(problemsOf(() => resolveParams(manifest(TRIP), ['Lisbon'])).problems).toEqual([{ field: 'params', message: 'expected a mapping of parameter names to values, got a list of 1' }]);
  });

  it('refuses parameters nested more than 1,000 levels deep with the same problem on every Node (JSON.stringify overflows on 20 and 24 only)', () => {
    const nested = (levels: number): unknown => {
      let value: unknown = 'x';
      for (let i = 0; i < levels; i++) value = [value];
      return value;
    };
    const open: JsonSchema = { type: 'object', properties: { q: {} } };
    const tooDeep = [{ field: 'params', message: 'the parameters nest arrays and objects more than 1000 levels deep, past what Baton takes' }];
    expect(resolveParams(manifest(open), { q: nested(999) })).toEqual({ q: nested(999) });
    expect(problemsOf(() => resolveParams(manifest(open), { q: nested(1_000) })).problems).toEqual(tooDeep);
    expect(problemsOf(() => resolveParams(manifest(open), { q: nested(100_000) })).problems).toEqual(tooDeep);
  });

  it('tells the first 50 of many problems and keeps the first 100, with how many there are', () => {
    const given = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]));
    const { message, problems } = problemsOf(() => resolveParams(manifest(TRIP), { city: 'Lisbon', ...given }));
    const lines = message.split('\n');
    expect(lines[0]).toBe('invalid run parameters (20000 problems):');
    expect(lines[1]).toBe('  params.k0: unknown parameter "k0"; the parameters are: city, days, unit, range');
    expect(lines).toHaveLength(52);
    expect(lines[51]).toBe('  ... and 19950 more problems');
    expect(problems).toHaveLength(100);
  });
});
