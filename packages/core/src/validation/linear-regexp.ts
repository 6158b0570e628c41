import { createRequire } from 'node:module';
import type { RegExpEngine } from 'ajv/dist/types/index.js';
import type * as Re2js from 're2js';
import { errorMessage } from '../core/errors.ts';
import type { JsonSchema } from '../core/types.ts';
import { matchesLinearly } from './linear-pattern.ts';

// re2js loads on the first schema pattern compiled (its CommonJS build: synchronously, as ajv
// compiles): most schemas have no pattern.
const requireCjs = createRequire(import.meta.url);
let re2js: typeof Re2js | undefined;
const loadRe2 = (): typeof Re2js.RE2JS => (re2js ??= requireCjs('re2js') as typeof Re2js).RE2JS;

/** A schema pattern that cannot be used; `compileSchema` says where it is. */
export class PatternError extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
  ) {
    super(`the pattern ${JSON.stringify(pattern)} ${reason}`);
    this.name = 'PatternError';
  }
}

/** `\k<name>`, not preceded by an escaping backslash. */
const NAMED_BACKREFERENCE = /(?:^|[^\\])(?:\\\\)*\\k</;
const UNSUPPORTED = 'cannot be used: Baton matches schema patterns with RE2, in time linear in the text, and RE2 has no lookahead, lookbehind or backreferences';

/**
 * The regular expression engine of Baton's JSON Schema validator (ajv's `code.regExp`): RE2
 * (re2js), whose matching time is linear in the text. Schema patterns come from manifests, and a
 * backtracking engine lets a pattern like `^(a+)+$` take minutes on a 30-character string. The
 * pattern is first compiled as a JavaScript RegExp (never run), so its syntax is checked as the
 * JSON Schema specification says; a pattern RE2 cannot run throws a {@link PatternError}. A
 * pattern JavaScript's own engine matches in linear time too, with the same result, is matched by
 * it (`matchesLinearly`): most schema patterns are, and re2js takes microseconds per text.
 */
export const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string, flags: string) => {
    try {
      new RegExp(pattern, flags);
    } catch (e) {
      throw new PatternError(pattern, `is not a valid regular expression: ${errorMessage(e)}`);
    }
    // re2js would read \k<name> as the letters k<name>: refuse it as the backreference it is.
    if (NAMED_BACKREFERENCE.test(pattern)) throw new PatternError(pattern, `${UNSUPPORTED} (it has a named backreference)`);
    const engine = loadRe2();
    let re: Re2js.RE2JS;
    try {
      re = engine.compile(engine.translateRegExp(pattern));
    } catch (e) {
      throw new PatternError(pattern, `${UNSUPPORTED} (${errorMessage(e)})`);
    }
    // Compiled by RE2 all the same: what it refuses is refused whichever engine matches.
    if (matchesLinearly(pattern, flags)) return nativeFirst(pattern, flags, re);
    // ajv keys its compiled patterns by toString().
    return { test: (text: string) => re.test(text), toString: () => `re2:/${pattern}/${flags}` };
  },
  { code: 'linearRegExp' },
);

/**
 * Texts longer than this go to RE2 even for a pattern JavaScript matches in linear time: its
 * steps per character are bounded, not its stack (a `*` over 8 million characters past U+00FF
 * overflows it), and on a long text made to make it step back RE2 is the faster (~8 ms against
 * ~0.6 for 100,000 characters). The texts schema patterns are for (dates, ids, names) are short.
 */
const MAX_NATIVE_TEXT = 10_000;

/**
 * A pattern JavaScript's own engine matches in linear time, as RE2 would (see linear-pattern.ts):
 * matched by it, but for a long text, or one it cannot match (RE2 then says).
 */
function nativeFirst(pattern: string, flags: string, re2: Re2js.RE2JS): { test(text: string): boolean; toString(): string } {
  // Without the g or y flag, test() keeps no state between texts.
  const re = new RegExp(pattern, flags);
  const test = (text: string): boolean => {
    if (text.length > MAX_NATIVE_TEXT) return re2.test(text);
    try {
      return re.test(text);
    } catch {
      return re2.test(text);
    }
  };
  return { test, toString: () => `js:/${pattern}/${flags}` };
}

/** The JSON Pointer of the first `pattern` or `patternProperties` key in `schema` that is `pattern`. */
export function findPattern(schema: JsonSchema, pattern: string): string | undefined {
  const escape = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');
  const stack: { value: unknown; at: string }[] = [{ value: schema, at: '' }];
  while (stack.length > 0) {
    const { value, at } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    for (const [key, child] of Object.entries(value)) {
      const here = `${at}/${escape(key)}`;
      if (key === 'pattern' && child === pattern) return here;
      if (key === 'patternProperties' && typeof child === 'object' && child !== null && Object.hasOwn(child, pattern)) return `${here}/${escape(pattern)}`;
      stack.push({ value: child, at: here });
    }
  }
  return undefined;
}
