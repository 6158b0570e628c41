/** ApiError (packages/server/src/http-errors.ts): what a handler throws to answer with an HTTP error. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/http-errors.ts';

describe('ApiError', () => {
  it('keeps its status, code, message and details, and collects no stack: it only ever becomes a response', () => {
    const limit = Error.stackTraceLimit;
    const e = new ApiError(404, 'RUN_NOT_FOUND', 'no run r1: list runs with GET /v1/runs', { runId: 'r1' });
    expect(e).toBeInstanceOf(Error);
    expect([e.status, e.code, e.message, e.details, e.name]).toEqual([404, 'RUN_NOT_FOUND', 'no run r1: list runs with GET /v1/runs', { runId: 'r1' }, 'ApiError']);
    expect(e.stack).toBe('ApiError: no run r1: list runs with GET /v1/runs');
    // Every other error still has its stack.
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('x').stack).toMatch(/\n\s+at /);
  });
});
