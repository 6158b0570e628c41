import { afterEach, describe, expect, it, vi } from 'vitest';
import { OutputParseError, parseStdout } from '../../src/agents/command-stdout.ts';

const MB = 1024 * 1024;

/**
 * What JSON.parse read in all (characters) while parseStdout(stdout) ran, and what it returned or
 * threw: a text it parsed, or up to where it gave up when its message says (V8's "at position N").
 */
function measure(stdout: string): { chars: number; outcome: unknown } {
  let chars = 0;
  const parse = JSON.parse;
  const spy = vi.spyOn(JSON, 'parse').mockImplementation((text: string, reviver?: Parameters<typeof JSON.parse>[1]) => {
    try {
      const value = parse(text, reviver) as unknown;
      chars += text.length;
      return value;
    } catch (e) {
      const at = /at position (\d+)/.exec((e as Error).message);
      chars += at ? Number(at[1]) + 1 : text.length;
      throw e;
    }
  });
  let outcome: unknown;
  try {
    outcome = parseStdout(stdout);
  } catch (e) {
    outcome = e;
  } finally {
    spy.mockRestore();
  }
  return { chars, outcome };
}

afterEach(() => vi.restoreAllMocks());

describe("a command agent's stdout", () => {
  const big = 'x'.repeat(MB - 20);

  it.each([
    // Every line could open a result, and each fails only at its end.
    ['lines of one object and a stray brace each', `${Array.from({ length: 15 }, () => `{"a":"${big}"}}`).join('\n')}\nlog line`],
    // Every line from the third opens an object the next closes: each try runs to the text's end.
    ['nested objects each on a line of its own, and junk at the end', `{\n"a":\n${Array.from({ length: 12 }, (_, i) => `{\n"k${i}": "${big}",\n"n":`).join('\n')}\n1${'\n}'.repeat(13)}}\nlog line`],
  ])('is read by JSON.parse for at most twice its length and 1 MiB when it is not a result (%s)', (_, stdout) => {
    const text = stdout.trim();
    const { chars, outcome } = measure(stdout);
    expect(outcome).toBeInstanceOf(OutputParseError);
    expect(chars).toBeLessThanOrEqual(2 * text.length + MB);
  });

  it('still finds a large result after log lines, on one line or indented', () => {
    const result = { out: { rows: Array.from({ length: 50_000 }, (_, i) => ({ i, name: `row ${i}` })) } };
    expect(measure(`fetching\n${JSON.stringify(result)}\n`).outcome).toEqual(result);
    expect(measure(`fetching\nstill fetching\n${JSON.stringify(result, null, 2)}\n`).outcome).toEqual(result);
  });

  it('finds a result of over 1 MiB printed without indent, its inner objects each opening a line, after log lines', () => {
    // As Python's json.dumps(x, indent=0) prints it: every line from its first column.
    const result = { out: { rows: Array.from({ length: 5 }, (_, i) => ({ i, text: 'x'.repeat(300_000) })) } };
    const unindented = JSON.stringify(result, null, 1).replace(/\n +/g, '\n');
    expect(unindented.length).toBeGreaterThan(MB);
    expect(unindented.split('\n').filter((line) => line.startsWith('{')).length).toBe(6);
    expect(measure(`fetching\n${unindented}\n`).outcome).toEqual(result);
  });

  it('finds a large indented result after log lines written as JSON', () => {
    const result = { out: { rows: Array.from({ length: 30_000 }, (_, i) => ({ i, name: `row ${i}` })) } };
    const logs = Array.from({ length: 6 }, (_, i) => JSON.stringify({ level: 'info', msg: `step ${i}`, detail: 'd'.repeat(200_000) })).join('\n');
    expect(measure(`${logs}\n${JSON.stringify(result, null, 2)}\n`).outcome).toEqual(result);
  });

  it('says log lines follow a result of over 1 MiB', () => {
    const result = JSON.stringify({ out: 'x'.repeat(1.5 * MB) });
    for (const printed of [result, JSON.stringify(JSON.parse(result) as unknown, null, 2)]) {
      const { outcome } = measure(`fetching\n${printed}\ndone in 2 ms\n`);
      expect((outcome as Error).message).toBe('stdout has lines after its JSON object (the last: "done in 2 ms"): the result must be printed last; print logs to stderr, or before the result');
    }
  });

  describe('with log lines written as indented JSON, or several after the result', () => {
    const log = (i: number) => JSON.stringify({ level: 'info', msg: `step ${i}` }, null, 2);
    const result = (rows: number) => ({ out: { rows: Array.from({ length: rows }, (_, i) => ({ i, name: `row ${i}` })) } });
    const indent0 = (value: unknown) => JSON.stringify(value, null, 1).replace(/\n +/g, '\n');
    it.each([
      ['two indented JSON logs, a result of 0.7 MiB', 12_000],
      ['one indented JSON log, a result of 1.8 MiB', 30_000],
    ])('finds the result after %s', (_, rows) => {
      const value = result(rows);
      expect(measure(`starting\n${log(1)}\n${rows < 20_000 ? `${log(2)}\n` : ''}${JSON.stringify(value, null, 2)}\n`).outcome).toEqual(value);
    });
    it.each([
      ['a result of 0.4 MiB and four log lines', `fetching\n${JSON.stringify(result(5000), null, 2)}\nstats {'rows': 5000}\ntimings {'ms': 2}\ncache {'hits': 1}\ndone in 2 ms`],
      ['a result of 1.1 MiB without indent after a log line, then a log line', `fetching\n${indent0({ out: { rows: Array.from({ length: 20 }, (__, i) => ({ i, text: 'x'.repeat(60_000) })) } })}\ndone in 2 ms`],
      ['indented JSON logs, a result of 1.2 MiB, then a log line', `starting\n${log(1)}\n${JSON.stringify(result(20_000), null, 2)}\ndone in 2 ms`],
    ])('says log lines follow %s', (_, stdout) => {
      expect((measure(stdout).outcome as Error).message).toBe(
        'stdout has lines after its JSON object (the last: "done in 2 ms"): the result must be printed last; print logs to stderr, or before the result',
      );
    });
  });

  it('still says when log lines follow a result', () => {
    const { outcome } = measure('fetching\n{\n  "out": 1\n}\ndone in 2 ms\n');
    expect((outcome as Error).message).toBe('stdout has lines after its JSON object (the last: "done in 2 ms"): the result must be printed last; print logs to stderr, or before the result');
  });

  it('reads the whole result when it is all the stdout', () => {
    const { chars, outcome } = measure('  {"out": [1, 2]}\n');
    expect(outcome).toEqual({ out: [1, 2] });
    expect(chars).toBe('{"out": [1, 2]}'.length);
  });
});
