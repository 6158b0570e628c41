import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasDuplicateKey } from '../../src/core/json-duplicate-key.ts';

describe('hasDuplicateKey', () => {
  it('finds a key given twice in one object, however deep and however escaped', () => {
    expect(hasDuplicateKey('{"a": 1, "a": 2}')).toBe(true);
    expect(hasDuplicateKey('{"x": [{"b": {"c": 1, "d": 2, "c": 3}}]}')).toBe(true);
    expect(hasDuplicateKey('{"a": 1, "\\u0061": 2}')).toBe(true);
    expect(hasDuplicateKey('{ "a\\"b" : 1 ,\n\t"a\\"b"\n: 2 }')).toBe(true);
  });

  it('does not take equal keys of different objects, values equal to keys, or keys inside strings for duplicates', () => {
    expect(hasDuplicateKey('{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}')).toBe(false);
    expect(hasDuplicateKey('{"a": "a", "b": ["a", "a"], "c": "{\\"c\\": 1, \\"c\\": 2}"}')).toBe(false);
    expect(hasDuplicateKey('{"a\\\\": 1, "a": 2, "\\\\a": 3}')).toBe(false);
    expect(hasDuplicateKey('["a", "a", {"a": 1}]')).toBe(false);
    expect(hasDuplicateKey('"a"')).toBe(false);
  });

  it('agrees with a parse of the text for any JSON written by JSON.stringify, and with one key repeated', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), fc.jsonValue(), (value, key, repeated) => {
        expect(hasDuplicateKey(JSON.stringify(value, null, 1))).toBe(false);
        const text = JSON.stringify({ [key]: value });
        const twice = `{${text.slice(1, -1)},${JSON.stringify(key)}:${JSON.stringify(repeated)}}`;
        expect(hasDuplicateKey(twice)).toBe(true);
      }),
    );
  });
});
