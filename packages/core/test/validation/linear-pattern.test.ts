/**
 * Schema patterns JavaScript's own engine matches in linear time, with RE2's result, are matched
 * by it; every other pattern is left to RE2 (re2js), as before.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type * as Re2js from 're2js';
import { matchesLinearly } from '../../src/validation/linear-pattern.ts';
import { linearRegExp } from '../../src/validation/linear-regexp.ts';

const { RE2JS } = createRequire(import.meta.url)('re2js') as typeof Re2js;

const LINEAR = [
  '^\\d{4}-\\d{2}-\\d{2}$',
  '^\\d{4}-\\d{2}$',
  '^[a-z][a-z0-9-]*$',
  '^/',
  '^\\d{3}-[A-Z]+$',
  '^\\u00e9/\\x41$',
  '[A-Z]{2}\\d{2}',
  '^[^\\d]+@[\\w.-]{1,3}$',
  '^\\+?\\d{1,3}$',
  '^a\\/b\\.c\\$$',
  '^\\W\\D?x{2}$',
  '^😀+$',
];

const NOT_LINEAR: [string, string][] = [
  ['nested repetition', '^(a+)+$'],
  ['a group', '^(ab)$'],
  ['alternation', '^a|b$'],
  ['two unbounded repetitions', '^a*b+$'],
  ['an unbounded repetition not anchored at the start', 'a*b'],
  ['a lazy repetition', '^a*?b$'],
  ['the dot (JavaScript skips \\r, RE2 does not)', '^.$'],
  ['\\s (JavaScript counts Unicode spaces)', '^\\s+$'],
  ['\\s in a class', '^[\\s\\S]*$'],
  ['a backreference', '^(a)\\1$'],
  ['a lookahead', '^(?!x)a$'],
  ['a Unicode property', '^\\p{Lu}$'],
  ['\\b in a class (a backspace)', '^[\\b]$'],
  ['too many bounded combinations', '^a{1,10}b{1,10}c{1,10}$'],
  ['a long unanchored match', 'a{300}'],
  ['many steps per character when not anchored', '\\d{0,63}\\d{190}x'],
  ['many steps back per character after a repetition', '^\\d*\\d{0,63}\\d{1000}x'],
  ['a few steps per character too many', '[A-Z]{2}\\d{2,4}'],
  ['a count with a leading zero (RE2 reads {01} as text)', '^a{01}$'],
  ['a count with a leading zero, at least', '^a{0001,}$'],
  ['surrogates written as \\u escapes (JavaScript joins the pair)', '^\\uD83D\\uDE00$'],
  ['a word boundary (JavaScript looks inside surrogate pairs)', '\\B'],
  ['a word boundary', '^a\\b'],
  ['a count past RE2’s limit', '^a{1001}$'],
  ['a quantified anchor', '^$*'],
];

/** A deterministic stream of texts made of characters where the two engines could differ. */
function* texts(count: number): Generator<string> {
  const alphabet = ['0', '5', '9', 'a', 'z', 'A', 'Z', 'x', '-', '/', '.', '$', '+', '@', '_', ' ', '\n', '\r', '\u00a0', '\u2028', 'é', '😀', 'É'];
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < count; i++) {
    const length = next(12);
    let text = '';
    for (let j = 0; j < length; j++) text += alphabet[next(alphabet.length)];
    yield text;
  }
}

describe('schema patterns JavaScript matches in linear time', () => {
  it.each(LINEAR)('include %s, which matches as RE2 does', (pattern) => {
    expect(matchesLinearly(pattern, 'u')).toBe(true);
    const native = linearRegExp(pattern, 'u');
    expect(native.toString()).toMatch(/^js:/);
    const re2 = RE2JS.compile(RE2JS.translateRegExp(pattern));
    const samples = [...texts(3000), '2026-12-06', '2026-12', 'abc-9', '/x', '123-AB', 'é/A', 'AB12', 'AB1234', 'x@a.b', '+44', 'a/b.c$', '!xx', '😀😀', '2026-12\n', '2026-12-06\n', 'ab\n', '\n2026-12'];
    for (const text of samples) expect(native.test(text), `${JSON.stringify(pattern)} on ${JSON.stringify(text)}`).toBe(re2.test(text));
  });

  it.each(NOT_LINEAR)('leave out %s (%s): RE2 matches it', (_, pattern) => {
    expect(matchesLinearly(pattern, 'u')).toBe(false);
  });

  it('leave out patterns without the u flag, and keep what RE2 refuses refused', () => {
    expect(matchesLinearly('^\\d{4}$', '')).toBe(false);
    expect(linearRegExp('^\\d{4}$', '').toString()).toMatch(/^re2:/);
    expect(() => linearRegExp('^(a)\\1$', 'u')).toThrow(/backreferences/);
    // Too large for RE2: refused as before.
    const large = `^${'a{1000}'.repeat(1400)}$`;
    expect(() => linearRegExp(large, 'u')).toThrow(/cannot be used/);
  });

  it('leave long texts to RE2, which matches them in time linear in the text and with no stack to overflow', () => {
    // JavaScript's engine overflows its stack on a `*` over 8.4 million characters past U+00FF.
    const text = `${'b'.repeat(8_500_000)}中`;
    expect(linearRegExp('^[^<>]*$', 'u').test(text)).toBe(true);
    expect(linearRegExp('^[a-z][a-z0-9-]*$', 'u').test(text)).toBe(false);
  });
});
