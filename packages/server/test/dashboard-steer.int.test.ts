import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { useDashboardBrowser } from './chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/src/core/types.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { startTestServer } from './support.ts';
import type { TestServer } from './support.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const PARAMS = {
  type: 'object',
  required: ['city'],
  properties: { city: { type: 'string', description: 'Where to go' }, days: { type: 'integer', minimum: 1, default: 3 }, unit: { enum: ['km', 'mi'] } },
};

function agents() {
  return [
    scriptedAgent({ name: 'flights', capabilities: ['flights'], produces: ['flights'], script: [{ output: (i) => ({ flights: { to: i.params['city'], days: i.params['days'] } }), delayMs: 50 }] }),
    scriptedAgent({ name: 'hotels', capabilities: ['hotels'], produces: ['hotels'], script: [{ output: { hotels: ['h1'] }, delayMs: 50 }] }),
    scriptedAgent({ name: 'itinerary', capabilities: ['itinerary'], consumes: ['flights', 'hotels'], produces: ['itinerary'] }),
    scriptedAgent({ name: 'mailer', capabilities: ['mail'], consumes: ['itinerary'], produces: ['receipt'], approval: 'required' }),
  ];
}

async function runOf(t: TestServer, runId: string): Promise<RunResult> {
  return (await (await fetch(`${t.url}/v1/runs/${runId}`)).json()) as RunResult;
}

describe('steering runs from the dashboard (Chromium)', () => {
  const newPage = useDashboardBrowser();
  let t: TestServer;
  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    t = await startTestServer({
      agents: agents(),
      policy: { approval: 'plan', retries: 0 },
      orchestratorOptions: { params: PARAMS, workflows: { quick: { description: 'Flights and hotels only', tasks: [{ id: 'f', agent: 'flights' }, { id: 'h', agent: 'hotels' }] } } },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Starts a run from the form with these parameters; returns its id once its page shows. */
  async function startFromForm(page: Page, goal: string, city: string): Promise<string> {
    await page.goto(`${t.url}/`);
    await page.getByLabel('Goal').fill(goal);
    await page.locator('#param-city').fill(city);
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/#\/runs\/r_/);
    return /#\/runs\/(r_\w+)/.exec(page.url())![1]!;
  }

  it('starts a run with parameters from a form built from the schema, shows the plan waiting, runs an edited plan once approved', { timeout: 120_000 }, async () => {
    const page = await newPage();
    await page.goto(`${t.url}/`);
    expect(await page.locator('#params-form legend').textContent()).toBe('Parameters');
    expect(await page.locator('#param-days').inputValue()).toBe('3');
    expect(await page.locator('#param-unit option').allTextContents()).toEqual(['(default)', 'km', 'mi']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-params.png') });
    const runId = await startFromForm(page, 'an itinerary', 'Lisbon');
    await page.locator('#run-status[data-status="awaiting-approval"]').waitFor({ timeout: 30_000 });
    expect((await runOf(t, runId)).params).toEqual({ city: 'Lisbon', days: 3 });

    // A bad edit is refused and the run keeps waiting.
    const editor = page.locator('#plan-editor');
    await editor.fill(JSON.stringify({ tasks: [{ id: 'it', agent: 'itinerary' }] }));
    expect(await page.locator('#approve-plan').textContent()).toBe('Approve edited plan');
    await page.locator('#approve-plan').click();
    await expect.poll(() => page.locator('#approval .form-error').textContent()).toMatch(/plan\.tasks\[0\]: task "it" consumes "flights"/);
    expect((await runOf(t, runId)).status).toBe('awaiting-approval');

    // A good edit runs as edited, and the decision shows who, when, and the plan before and after.
    await editor.fill(JSON.stringify({ tasks: [{ id: 'f', agent: 'flights' }] }, null, 2));
    await page.locator('#decider').fill('Dana');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-approval.png'), fullPage: true });
    await page.locator('#approve-plan').click();
    await page.locator('#run-status[data-status="succeeded"]').waitFor({ timeout: 30_000 });
    const decision = page.locator('#decisions .decision');
    await expect.poll(() => decision.first().textContent()).toMatch(/The plan \(edited\) approved by Dana at/);
    expect(await page.locator('#decisions .plan-diff h4').allTextContents()).toEqual(['Plan before the edit', 'Plan as approved']);
    expect(await page.locator('#approval .pending').count()).toBe(0);
    const final = await runOf(t, runId);
    expect(final.plan.tasks.map((x) => x.id)).toEqual(['f']);
    expect(final.approvals[0]).toMatchObject({ by: 'Dana', planEdited: true });
    // The page drew the plan as edited (a read of what changed would not carry it: it reads it whole).
    await expect.poll(() => page.locator('.plan-graph .node').evaluateAll((nodes) => nodes.map((n) => (n as unknown as { dataset: { task: string; status: string } }).dataset))).toEqual([{ task: 'f', status: 'succeeded' }]);
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-decided.png'), fullPage: true });
    await page.close();
  });

  it('rejects with a reason: the run ends cancelled and the decision says why', { timeout: 60_000 }, async () => {
    const page = await newPage();
    const runId = await startFromForm(page, 'an itinerary', 'Porto');
    await page.locator('#reject-plan').waitFor({ timeout: 30_000 });
    await page.locator('#words-plan').fill('dates are wrong');
    await page.locator('#reject-plan').click();
    await page.locator('#run-status[data-status="cancelled"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('#decisions .decision.rejected').textContent()).toMatch(/The plan rejected by dashboard .*Reason: dates are wrong/);
    expect((await runOf(t, runId)).reason).toBe('the plan was rejected by dashboard: dates are wrong');
    await page.close();
  });

  it('shows a gated task with its input and approves it; a workflow runs with no goal', { timeout: 90_000 }, async () => {
    const page = await newPage();
    const runId = await startFromForm(page, 'an itinerary, then mail it', 'Faro');
    await page.locator('#approve-plan').click();
    const task = page.locator('#approval .pending[data-kind="task"]');
    await task.waitFor({ timeout: 30_000 });
    expect(await task.locator('h3').textContent()).toMatch(/^Task t4-\S+ waits for your decision/);
    expect(await task.locator('pre.json').textContent()).toContain('"city": "Faro"');
    await task.getByRole('button', { name: 'Approve' }).click();
    await page.locator('#run-status[data-status="succeeded"]').waitFor({ timeout: 30_000 });
    expect((await runOf(t, runId)).approvals.map((a) => a.kind)).toEqual(['plan', 'task']);

    await page.goto(`${t.url}/`);
    await page.locator('#workflow').selectOption('quick');
    await page.locator('#param-city').fill('Braga');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/#\/runs\/r_/);
    await page.locator('#approve-plan').click();
    await page.locator('#run-status[data-status="succeeded"]').waitFor({ timeout: 30_000 });
    const wf = await runOf(t, /#\/runs\/(r_\w+)/.exec(page.url())![1]!);
    expect(wf).toMatchObject({ planner: 'workflow', params: { city: 'Braga', days: 3 } });
    await page.close();
  });
});
