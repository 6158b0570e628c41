import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/src/core/types.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { postJson, startTestServer, waitForEnd } from './support.ts';
import type { TestServer } from './support.ts';

type ErrorBody = { error: { code: string; message: string; details?: { field: string; message: string }[] } };

function nestedLists(levels: number): unknown {
  let value: unknown = 'Lisbon';
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

const PARAMS = { type: 'object', required: ['city'], properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1, default: 3 } } };

describe('run parameters over HTTP', () => {
  let t: TestServer;
  const flights = scriptedAgent({ name: 'flights', produces: ['flights'], script: [{ output: (i) => ({ flights: { to: i.params['city'] } }) }] });
  beforeAll(async () => {
    t = await startTestServer({ agents: [flights], orchestratorOptions: { params: PARAMS } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves the parameters schema in GET /v1/agents and documents it', async () => {
    const agents = (await (await fetch(`${t.url}/v1/agents`)).json()) as { orchestrator: { params?: unknown } };
    expect(agents.orchestrator.params).toEqual(PARAMS);
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { components: { schemas: { CreateRun: { properties: Record<string, unknown> } } } };
    expect(Object.keys(doc.components.schemas.CreateRun.properties)).toContain('params');
  });

  it('starts a run with params: agents get them, the RunResult shows them', async () => {
    const res = await postJson(`${t.url}/v1/runs`, { goal: 'find flights', params: { city: 'Lisbon' } });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const result = (await waitForEnd(t.url, runId)) as unknown as RunResult;
    expect(result.params).toEqual({ city: 'Lisbon', days: 3 });
    expect(result.deliverable.artifacts['flights']).toEqual({ to: 'Lisbon' });
  });

  const refusals: [string, unknown, { field: string; message: string }[]][] = [
    ['an unknown parameter', { city: 'Lisbon', cty: 'x' }, [{ field: 'params.cty', message: 'unknown parameter "cty" (did you mean "city"?); the parameters are: city, days' }]],
    ['a wrong type', { city: 'Lisbon', days: '2' }, [{ field: 'params.days', message: 'expected an integer, got "2"' }]],
    ['a missing required parameter', { days: 2 }, [{ field: 'params.city', message: 'missing required parameter "city" (expected a string)' }]],
    // As JSON sends it: an own key "__proto__", which an object literal here cannot make.
    ['a parameter named __proto__', JSON.parse('{"city":"Lisbon","__proto__":{"x":1}}'), [{ field: 'params.__proto__', message: 'unknown parameter "__proto__"; the parameters are: city, days' }]],
    ['parameters nested 2,000 levels deep', { city: nestedLists(2_000) }, [{ field: 'params', message: 'the parameters nest arrays and objects more than 1000 levels deep, past what Baton takes' }]],
  ];
  for (const [what, params, details] of refusals) {
    it(`answers 400 naming the field for ${what}, and starts no run`, async () => {
      const before = ((await (await fetch(`${t.url}/v1/runs`)).json()) as { runs: unknown[] }).runs.length;
      const res = await postJson(`${t.url}/v1/runs`, { goal: 'find flights', params });
      expect(res.status).toBe(400);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe('BAD_REQUEST');
      expect(body.error.details).toEqual(details);
      expect(body.error.message).toContain(details[0]!.field);
      const after = ((await (await fetch(`${t.url}/v1/runs`)).json()) as { runs: unknown[] }).runs.length;
      expect(after).toBe(before);
    });
  }

  it('answers 400 when params is not an object', async () => {
    const res = await postJson(`${t.url}/v1/runs`, { goal: 'find flights', params: ['Lisbon'] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/params must be an object/);
  });
});
