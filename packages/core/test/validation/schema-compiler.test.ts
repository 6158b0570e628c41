import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../../src/core/types.ts';
import { compileSchema, compileSchemaWithDefaults, describeSchemaErrors } from '../../src/validation/schema-compiler.ts';

/** A schema that nests itself through its root: a tree of named nodes. */
const tree = (extra: JsonSchema = {}): JsonSchema => ({
  ...extra,
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#' } } },
});

describe('compileSchema: a schema that refers to its root ($ref "#")', () => {
  it.each([
    ['draft-07', tree()],
    ['draft 2020-12', tree({ $schema: 'https://json-schema.org/draft/2020-12/schema' })],
    ['"#/" as the reference', { type: 'object', properties: { next: { $ref: '#/' }, n: { type: 'integer' } } }],
  ])('compiles (%s) and checks every level', (_name, schema) => {
    const check = compileSchema(schema);
    if ('required' in schema) {
      expect(check({ name: 'a', children: [{ name: 'b', children: [{ name: 'c' }] }] })).toBe(true);
      expect(check({ name: 'a', children: [{ name: 'b', children: [{ size: 1 }] }] })).toBe(false);
      expect(describeSchemaErrors(check.errors)).toEqual(['/children/0/children/0/name is required']);
    } else {
      expect(check({ n: 1, next: { n: 2, next: {} } })).toBe(true);
      expect(check({ n: 1, next: { n: 'two' } })).toBe(false);
    }
  });

  it('keeps the base URI a schema gives itself', () => {
    const schema = tree({ $id: 'https://example.com/tree.json' });
    const check = compileSchema(schema);
    expect(check({ name: 'a', children: [{}] })).toBe(false);
    expect(schema['$id']).toBe('https://example.com/tree.json');
  });

  it('fills in defaults at every level of a run-parameters schema that nests itself', () => {
    const schema: JsonSchema = { type: 'object', properties: { depth: { type: 'integer', default: 1 }, sub: { $ref: '#' } } };
    const value: Record<string, unknown> = { sub: { sub: {} } };
    expect(compileSchemaWithDefaults(schema)(value)).toBe(true);
    expect(value).toEqual({ depth: 1, sub: { depth: 1, sub: { depth: 1 } } });
  });

  it('still refuses a reference to nothing, in the words it used before', () => {
    expect(() => compileSchema({ type: 'object', properties: { a: { $ref: '#/$defs/nope' } } })).toThrow("can't resolve reference #/$defs/nope from id #");
  });
});
