/**
 * The steps a match may take per character of the text, at most: the combinations of its bounded
 * repetitions (`?` is two, `{2,5}` four) times the longest text they match, plus one. It is what
 * each start of an unanchored pattern costs, and each step back of the one `*`, `+` or `{n,}` of
 * an anchored one.
 */
const MAX_STEPS_PER_CHARACTER = 16;
/** The same for a pattern anchored at the start with no unbounded repetition: all it may cost, whatever the text. */
const MAX_STEPS = 4096;
/** A repetition count above RE2's own limit: left to RE2, which refuses it. */
const MAX_COUNT = 1000;
/** A count as RE2 reads it: no leading zero (RE2 reads `{01}` as the text "{01}"). */
const COUNT = /^\{(0|[1-9]\d{0,3})(,(0|[1-9]\d{0,3})?)?\}/;

/** Escapes of one character that mean the same in JavaScript and in RE2. */
const CLASS_ESCAPES = new Set(['d', 'D', 'w', 'W', 't', 'n', 'r', 'f', 'v']);
/** Escaped syntax characters: the character itself. */
const SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/', '-']);
const HEX = /^[0-9a-fA-F]+$/;

/**
 * Whether JavaScript's own (backtracking) engine matches `pattern`, with `flags`, in time linear
 * in the text and with the same result as RE2: a conservative subset that most schema patterns are
 * in (`^\d{4}-\d{2}-\d{2}$`, `^[a-z][a-z0-9-]*$`, `^/`). Such a pattern has no group, alternation,
 * backreference, lookaround or word boundary; only literals, `\d \D \w \W` and character classes
 * of those, repeated at most by one `*`, `+` or `{n,}` in the whole pattern (and then anchored by a
 * leading `^`, so only one start is tried) and by bounded counts of a few steps per character
 * ({@link MAX_STEPS_PER_CHARACTER}). `.`, `\s`, `\S`, `\b` and `\B` are left out (their JavaScript
 * meaning, with line terminators, Unicode spaces and surrogate pairs, is not RE2's), so are counts
 * written with a leading zero and `\u` escapes of surrogates (RE2 reads both otherwise). RE2 runs
 * every other pattern, and every text past `maxText` (see linear-regexp.ts). Matching a date this
 * way takes ~50 ns where RE2 (re2js) takes microseconds, on every item of a large artifact.
 */
export function matchesLinearly(pattern: string, flags: string): boolean {
  if (flags !== 'u') return false;
  const anchored = pattern.startsWith('^');
  let unbounded = 0;
  let combinations = 1;
  let longest = 0;
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '^' || c === '$') {
      i++;
      if (isQuantifier(pattern[i])) return false;
      continue;
    }
    let next: number | undefined;
    if (c === '\\') {
      next = escapeEnd(pattern, i);
    } else if (c === '[') {
      next = classEnd(pattern, i);
    } else if (c === '.' || c === '(' || c === ')' || c === '|' || c === ']' || c === '}' || isQuantifier(c)) {
      return false;
    } else {
      // One code point: a surrogate pair is one character with the u flag.
      next = i + (c.codePointAt(0)! > 0xffff ? 2 : 1);
    }
    if (next === undefined) return false;
    i = next;
    const repeat = quantifier(pattern, i);
    if (repeat === undefined) return false;
    i = repeat.end;
    if (repeat.max === Infinity) {
      if (++unbounded > 1) return false;
    } else {
      combinations *= repeat.max - repeat.min + 1;
      longest += repeat.max;
      if (combinations * (longest + 1) > MAX_STEPS) return false;
    }
  }
  if (unbounded === 1 && !anchored) return false;
  return combinations * (longest + 1) <= (unbounded === 0 && anchored ? MAX_STEPS : MAX_STEPS_PER_CHARACTER);
}

function isQuantifier(c: string | undefined): boolean {
  return c === '*' || c === '+' || c === '?' || c === '{';
}

/** Where the escape at `i` ends, when it is one of the subset's. */
function escapeEnd(pattern: string, i: number): number | undefined {
  const e = pattern[i + 1];
  if (e === undefined) return undefined;
  if (CLASS_ESCAPES.has(e) || SYNTAX.has(e)) return i + 2;
  if (e === 'x') return /^[0-9a-fA-F]{2}$/.test(pattern.slice(i + 2, i + 4)) ? i + 4 : undefined;
  if (e === 'u') {
    const hex = pattern.slice(i + 2, i + 6);
    // A surrogate written as \uD83D: JavaScript joins a pair of them into one character, RE2 does not.
    return hex.length === 4 && HEX.test(hex) && (parseInt(hex, 16) < 0xd800 || parseInt(hex, 16) > 0xdfff) ? i + 6 : undefined;
  }
  return undefined;
}

/** Where the character class at `i` ends: literals, ranges and the subset's escapes, not empty. */
function classEnd(pattern: string, i: number): number | undefined {
  let j = i + 1;
  if (pattern[j] === '^') j++;
  if (pattern[j] === ']') return undefined;
  while (j < pattern.length) {
    const c = pattern[j]!;
    if (c === ']') return j + 1;
    if (c === '[') return undefined;
    if (c === '\\') {
      // \b is a backspace in a class in JavaScript, and not RE2's.
      if (pattern[j + 1] === 'b' || pattern[j + 1] === 'B') return undefined;
      const end = escapeEnd(pattern, j);
      if (end === undefined) return undefined;
      j = end;
      continue;
    }
    j += c.codePointAt(0)! > 0xffff ? 2 : 1;
  }
  return undefined;
}

/** The repetition after an atom (once when there is none), or undefined for what the subset leaves out (a lazy one). */
function quantifier(pattern: string, i: number): { min: number; max: number; end: number } | undefined {
  const c = pattern[i];
  let repeat: { min: number; max: number; end: number };
  if (c === '*') repeat = { min: 0, max: Infinity, end: i + 1 };
  else if (c === '+') repeat = { min: 1, max: Infinity, end: i + 1 };
  else if (c === '?') repeat = { min: 0, max: 1, end: i + 1 };
  else if (c === '{') {
    const m = COUNT.exec(pattern.slice(i, i + 12));
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === undefined ? Infinity : Number(m[3]);
    if (min > MAX_COUNT || (max !== Infinity && (max > MAX_COUNT || max < min))) return undefined;
    repeat = { min, max, end: i + m[0].length };
  } else return { min: 1, max: 1, end: i };
  return isQuantifier(pattern[repeat.end]) ? undefined : repeat;
}
