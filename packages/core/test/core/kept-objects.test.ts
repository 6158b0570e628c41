import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EVENT_SCHEMA_VERSION } from '../../src/core/events.ts';
import { kept, taskStarted, taskSucceeded } from '../../src/core/kept-objects.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { MemoryRunStore } from '../../src/store/index.ts';
import { scriptedAgent } from '../../src/testing/index.ts';

/** Equal as deep strict equality sees it (prototypes included), with the same keys in the same order. */
function expectSameAsLiteral(made: object, literal: object): void {
  expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
  expect(Object.keys(made)).toEqual(Object.keys(literal));
  expect(JSON.stringify(made)).toBe(JSON.stringify(literal));
  expect(isDeepStrictEqual(made, literal)).toBe(true);
}

describe('objects made by constructors for what a journal keeps', () => {
  it('are task.started events no reader can tell from literals, with and without feedback', () => {
    const stamps = { runId: 'r_1', seq: 0, at: '', v: EVENT_SCHEMA_VERSION };
    expectSameAsLiteral(taskStarted('t', 'a', '1.0.0', 1, 'r_1:t:1:x', undefined, 'r_1'), {
      type: 'task.started',
      taskId: 't',
      agent: 'a',
      agentVersion: '1.0.0',
      attempt: 1,
      attemptId: 'r_1:t:1:x',
      ...stamps,
    });
    expectSameAsLiteral(taskStarted('t', 'a', '1.0.0', 2, 'r_1:t:2:y', 'say more', 'r_1'), {
      type: 'task.started',
      taskId: 't',
      agent: 'a',
      agentVersion: '1.0.0',
      attempt: 2,
      attemptId: 'r_1:t:2:y',
      feedback: 'say more',
      ...stamps,
    });
  });

  it('are task.succeeded events no reader can tell from literals, with and without usage', () => {
    const stamps = { runId: 'r_1', seq: 0, at: '', v: EVENT_SCHEMA_VERSION };
    const output = { report: { pages: 2 } };
    const usage = { llmCalls: 1, inputTokens: 10, outputTokens: 5 };
    expectSameAsLiteral(taskSucceeded('t', 'a', 1, 'id', output, undefined, 'r_1'), { type: 'task.succeeded', taskId: 't', agent: 'a', attempt: 1, attemptId: 'id', output, ...stamps });
    expectSameAsLiteral(taskSucceeded('t', 'a', 1, 'id', output, usage, 'r_1'), { type: 'task.succeeded', taskId: 't', agent: 'a', attempt: 1, attemptId: 'id', output, usage, ...stamps });
  });

  it('copy a literal\'s own keys only, in order, onto a plain object', () => {
    const literal = { type: 'run.ended', status: 'succeeded', nested: { a: [1] } };
    const copy = kept(literal);
    expect(copy).not.toBe(literal);
    expect(copy.nested).toBe(literal.nested);
    expectSameAsLiteral(copy, literal);
    const withInherited = Object.assign(Object.create({ inherited: true }) as object, { own: 1 });
    expect(Object.keys(kept(withInherited))).toEqual(['own']);
    expect(Object.getPrototypeOf(kept(withInherited))).toBe(Object.prototype);
  });

  it('keep a `__proto__` key as an own key, as the literal had it, instead of setting a prototype', () => {
    const deliverable = { ...(JSON.parse('{"__proto__": {"polluted": true}, "artifacts": {}}') as object), files: [] };
    const copy = kept(deliverable);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'artifacts', 'files']);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
    expect(JSON.stringify(copy)).toBe(JSON.stringify(deliverable));
  });

  it('leave every event and record a run journals a plain object, equal to its JSON round trip', async () => {
    const store = new MemoryRunStore();
    const agents = [
      scriptedAgent({ name: 'data', description: 'Extracts the rows', produces: ['rows'], script: [{ output: { rows: [{ r: 1 }] } }] }),
      scriptedAgent({ name: 'summary', description: 'Summarises', consumes: ['rows'], produces: ['summary'], script: [{ output: { summary: 'ok' } }] }),
    ];
    const o = createOrchestrator({ name: 'plain', agents, deliverable: ['summary'], store });
    const result = await o.run('summarise the rows');
    expect(result.status).toBe('succeeded');
    const events = await store.readEvents(result.runId);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['run.started', 'plan.created', 'task.started', 'task.succeeded', 'integration.started', 'integration.ended', 'run.ended']));
    for (const event of events) {
      expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
      expect(isDeepStrictEqual(JSON.parse(JSON.stringify(event)), event)).toBe(true);
    }
    const record = await store.getRun(result.runId);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    await o.close();
  });
});
