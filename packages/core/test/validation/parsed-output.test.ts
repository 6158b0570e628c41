/**
 * An answer Baton parsed itself from its agent's JSON text (a module agent's worker thread, a
 * command agent's stdout) is checked without a copy, since nobody else holds it; anything else an
 * attempt is given (an agent wrapping another and keeping its answer, a value past the limit or
 * too deep) is still copied or refused as before.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCommandAgent } from '../../src/agents/command-agent.ts';
import { createModuleAgent } from '../../src/agents/module-agent.ts';
import type { Agent } from '../../src/core/contracts.ts';
import { MAX_JSON_DEPTH } from '../../src/core/defaults.ts';
import type { AgentInput, AgentOutput, AgentSpec } from '../../src/core/types.ts';
import { runAttempt } from '../../src/execution/attempt.ts';
import { outputCopy } from '../../src/validation/output-size.ts';
import { markParsedOutput, takeParsedOutput } from '../../src/validation/parsed-output.ts';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/agents');
const input: AgentInput = { runId: 'r_parsed', goal: 'g', task: { id: 't1', title: 't', instructions: 'echo' }, inputs: { rows: [1, 2] }, params: {}, attempt: 1 };
const agents: Agent[] = [];
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close?.()));
});

function moduleAgent(): Agent {
  const spec: AgentSpec = {
    name: 'tricky', description: 'd', version: '1.2.0', capabilities: [], consumes: [], produces: ['report'], kind: 'module',
    module: path.join(fixtures, 'modules/tricky.ts'), output: {}, fallback: [],
  };
  const made = createModuleAgent(spec);
  agents.push(made);
  return made;
}

function commandAgent(json: string): Agent {
  const spec: AgentSpec = {
    name: 'cmd', description: 'd', version: '1.0.0', capabilities: [], consumes: [], produces: ['report'], kind: 'command',
    command: ['node', '-e', `process.stdout.write(${JSON.stringify(json)})`], output: {}, fallback: [], baseDir: fixtures,
  };
  return createCommandAgent(spec);
}

const ctx = () => ({ signal: new AbortController().signal });
const run = (agent: Agent) => runAttempt({ agent, input, produces: ['report'], timeoutMs: 20_000, controller: new AbortController() });

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

describe('outputs Baton parsed from its agents’ JSON text', () => {
  it('are taken as they are by the attempt of the agent that answered, once; anything else is copied', () => {
    const producer = {};
    const mine = { report: { rows: [1, 2] } };
    markParsedOutput(mine, 100, producer);
    expect(outputCopy(mine, 1_000, producer)).toBe(mine);
    // The mark is taken: the same value handed in again is copied.
    const again = outputCopy(mine, 1_000, producer);
    expect(again).toEqual(mine);
    expect(again).not.toBe(mine);

    const another = { report: { rows: [1] } };
    markParsedOutput(another, 100, producer);
    expect(outputCopy(another, 1_000, {})).not.toBe(another);
    const unmarked = { report: 1 };
    expect(outputCopy(unmarked, 1_000, producer)).not.toBe(unmarked);
  });

  it('are measured as before when their text may be over the limit, refused when too deep, and hold no -0 nor Infinity', () => {
    const producer = {};
    // An upper bound over the limit: measured exactly, and 28 bytes are within 30.
    const near = { report: 'x'.repeat(15) };
    markParsedOutput(near, 28 * 3, producer);
    expect(outputCopy(near, 30, producer)).toEqual(near);
    const deep = { report: nested(MAX_JSON_DEPTH + 1) };
    markParsedOutput(deep, 10_000, producer);
    expect(() => outputCopy(deep, Infinity, producer)).toThrow(/more than 1000 levels deep/);
    const zeros = JSON.parse('{"report":{"z":-0,"list":[-0,1],"__proto__":-0}}') as Record<string, Record<string, unknown>>;
    markParsedOutput(zeros, 100, producer);
    const taken = outputCopy(zeros, Infinity, producer) as typeof zeros;
    expect(taken).toBe(zeros);
    expect(Object.is(taken.report!['z'], 0)).toBe(true);
    expect(Object.is((taken.report!['list'] as number[])[0], 0)).toBe(true);
    expect(Object.is(Object.getOwnPropertyDescriptor(taken.report, '__proto__')?.value, 0)).toBe(true);
    expect(Object.getPrototypeOf(taken.report)).toBe(Object.prototype);
    // 1e400 parses to Infinity, which JSON writes as null.
    const huge = JSON.parse('{"report":{"v":1e400,"list":[-1e400,2]}}') as Record<string, unknown>;
    markParsedOutput(huge, 100, producer);
    expect(outputCopy(huge, Infinity, producer)).toEqual({ report: { v: null, list: [null, 2] } });
  });

  it("from a command are measured as before when JSON writes them longer than its stdout (exponents, bytes that are not UTF-8)", async () => {
    const limited = (agent: Agent) => runAttempt({ agent, input, produces: ['report'], timeoutMs: 20_000, maxOutputBytes: 50_000, controller: new AbortController() });
    const exponents = await limited(commandAgent(`{"report":[${Array.from({ length: 9_000 }, () => '1e20').join(',')}]}`));
    expect(exponents.status).toBe('invalid');
    expect(exponents.status !== 'succeeded' && exponents.error).toMatch(/the output is 198012 bytes .* as JSON/);
    const notUtf8: AgentSpec = {
      name: 'cmd', description: 'd', version: '1.0.0', capabilities: [], consumes: [], produces: ['report'], kind: 'command',
      command: ['node', '-e', "process.stdout.write(Buffer.concat([Buffer.from('{\"report\":\"'), Buffer.alloc(20000, 0xff), Buffer.from('\"}')]))"], output: {}, fallback: [], baseDir: fixtures,
    };
    const replaced = await limited(createCommandAgent(notUtf8));
    expect(replaced.status).toBe('invalid');
    expect(replaced.status !== 'succeeded' && replaced.error).toMatch(/the output is 60013 bytes .* as JSON/);
    // 9999999999999999 is written 10000000000000000.
    const rounded = await runAttempt({ agent: commandAgent(`{"report":[${Array.from({ length: 1_000 }, () => '9999999999999999').join(',')}]}`), input, produces: ['report'], timeoutMs: 20_000, maxOutputBytes: 17_500, controller: new AbortController() });
    expect(rounded.status !== 'succeeded' && rounded.error).toMatch(/the output is 18012 bytes .* as JSON/);
    const infinite = await run(commandAgent('{"report":1e400}'));
    expect(infinite).toMatchObject({ status: 'invalid', error: expect.stringMatching(/artifact 'report' is empty/) });
  });

  it("are marked as their agent's by a module agent's thread and by a command agent", async () => {
    const thread = moduleAgent();
    const fromThread = await thread.run(input, ctx());
    expect(fromThread).toEqual({ report: { echo: { rows: [1, 2] }, attempt: 1 } });
    expect(takeParsedOutput(fromThread, Infinity, thread.run)).toBe(true);
    // Past a third of the limit in UTF-16 units, the text's size in UTF-8 is counted, not guessed.
    const near = await thread.run({ ...input, task: { ...input.task, instructions: 'big:600' } }, { ...ctx(), maxOutputBytes: 1_000 });
    expect(takeParsedOutput(near, 1_000, thread.run)).toBe(true);

    const command = commandAgent('{"report":{"n":-0}}');
    const fromCommand = await command.run(input, ctx());
    expect(takeParsedOutput(fromCommand, Infinity, command.run)).toBe(true);
    // Through an attempt, a command's -0 is what JSON would make of it.
    const outcome = await run(commandAgent('{"report":{"n":-0}}'));
    if (outcome.status !== 'succeeded') throw new Error(`the attempt ended ${outcome.status}`);
    expect(Object.is((outcome.output['report'] as { n: number }).n, 0)).toBe(true);
  });

  it('are copied when another agent hands on the answer of one it wraps, so its later changes are not the run’s', async () => {
    const inner = moduleAgent();
    let kept: AgentOutput | undefined;
    const keeping = (run: Agent['run']): Agent['run'] => async (i, c) => {
      kept = await run(i, c);
      return kept;
    };
    // A wrapper of its own, and the agent itself with its run replaced by one that keeps the answer.
    const replaced = moduleAgent();
    replaced.run = keeping(replaced.run.bind(replaced));
    // One that puts the inner run in its own place while it is called, then hands on its answer.
    const swapping: Agent = {
      spec: { ...inner.spec, name: 'swapping' },
      run: async (i, c) => {
        swapping.run = inner.run;
        kept = await inner.run(i, c);
        return kept;
      },
    };
    for (const wrapper of [{ spec: { ...inner.spec, name: 'wrapper' }, run: keeping(inner.run) }, replaced, swapping]) {
      const outcome = await run(wrapper);
      expect(outcome.status).toBe('succeeded');
      (kept!['report'] as Record<string, unknown>)['echo'] = 'changed later';
      expect(outcome).toEqual({ status: 'succeeded', output: { report: { echo: { rows: [1, 2] }, attempt: 1 } } });
    }
  });
});
