import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStdout } from '../../src/agents/command-stdout.ts';
import { fuzzRuns } from './arbitraries.ts';

// A command agent's stdout means what a search with no bound makes of it (below): the budget that
// bounds the search on a huge stdout changes nothing for a stdout of less than 1 MiB.

const LINES_TRIED = 8;

function parsed(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** The result after log lines: the last line, else the nearest lines that open an object, 8 tries in all. */
function afterLogs(text: string): { value: unknown } | undefined {
  let tries = 0;
  for (let end = text.length; tries < LINES_TRIED; ) {
    const start = text.lastIndexOf('\n', end - 1);
    if (start < 0) return undefined;
    if (text.startsWith('{', start + 1) || tries === 0) {
      tries++;
      const found = parsed(text.slice(start + 1));
      if (found) return found;
    }
    end = start;
  }
  return undefined;
}

/** The last line, when one of the 8 last line ends has an object before it (by the same search). */
function logsAfter(text: string): string | undefined {
  let end = text.lastIndexOf('\n');
  if (end < 0) return undefined;
  const last = text.slice(end + 1).trim();
  if (last.startsWith('{') || last.startsWith('[')) return undefined;
  for (let n = 0; n < LINES_TRIED && end > 0; n++, end = text.lastIndexOf('\n', end - 1)) {
    const before = text.slice(0, end).trimEnd();
    if (!before.endsWith('}')) continue;
    const found = afterLogs(before) ?? parsed(before);
    if (found && typeof found.value === 'object' && found.value !== null && !Array.isArray(found.value)) return last;
  }
  return undefined;
}

function meaning(stdout: string): unknown {
  const text = stdout.trim();
  if (text === '') return 'the command printed nothing on stdout; expected one JSON object';
  const whole = parsed(text) ?? afterLogs(text);
  if (whole) return whole;
  const last = logsAfter(text);
  if (last !== undefined) return `lines after: ${last.length > 120 ? `${last.slice(0, 120)}…` : last}`;
  return 'not JSON';
}

function outcome(stdout: string): unknown {
  try {
    return { value: parseStdout(stdout) };
  } catch (e) {
    const message = (e as Error).message;
    const after = /^stdout has lines after its JSON object \(the last: (.*)\): the result must be printed last/.exec(message);
    if (after) return `lines after: ${JSON.parse(after[1]!) as string}`;
    if (message.startsWith('stdout is not JSON (')) return 'not JSON';
    return message;
  }
}

const object = fc.dictionary(fc.constantFrom('out', 'a', 'rows', 'level'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
const line = fc.oneof(
  fc.constantFrom('fetching rows', '', '   ', '{', '}', '{}', '[1, 2]', '"text"', '42', 'null', 'done in 2 ms', '{"a": 1}}', '{"level": "info"}', '}\r', '{\r'),
  fc.string({ maxLength: 6 }),
  object.map((o) => JSON.stringify(o)),
  fc.tuple(object, fc.constantFrom(0, 1, 2, '\t')).map(([o, indent]) => JSON.stringify(o, null, indent).replace(/\n +/g, indent === 0 ? '\n' : '$&')),
);
const stdout = fc.tuple(fc.array(line, { minLength: 1, maxLength: 14 }), fc.constantFrom('\n', '\r\n')).map(([lines, eol]) => lines.join(eol));

describe("a command agent's stdout (property)", () => {
  it('means what a search with no bound makes of it, for a stdout of less than 1 MiB', () => {
    fc.assert(
      fc.property(stdout, (s) => {
        expect(outcome(s)).toEqual(meaning(s));
      }),
      { numRuns: fuzzRuns(3000) },
    );
  });
});
