/**
 * The builtin planner does only what was asked, on the sample's real manifest: exclusions,
 * "only", refusal of unrelated goals, the deliverable only when nothing more specific was asked.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import type { Manifest, Plan } from '../../src/core/types.ts';
import { loadManifest } from '../../src/manifest/index.ts';
import { planGoal } from '../../src/planning/builtin-planner.ts';
import { validatePlan } from '../../src/planning/validate-plan.ts';

let sales: Manifest;
beforeAll(async () => {
  sales = await loadManifest(path.resolve(import.meta.dirname, '../../../../examples/sales-report/baton.yaml'));
});

function plan(goal: string): Plan {
  const p = planGoal(goal, sales);
  expect(validatePlan(p, sales)).toEqual([]);
  return p;
}
const agents = (p: Plan): string[] => p.tasks.map((t) => t.agent);
const task = (p: Plan, agent: string) => p.tasks.find((t) => t.agent === agent);

function refusal(goal: string): BatonError {
  try {
    planGoal(goal, sales);
  } catch (e) {
    if (BatonError.isInstance(e)) return e;
    throw e;
  }
  throw new Error(`"${goal}" was planned, not refused`);
}

describe('exclusions', () => {
  it('never requests an excluded artifact, and does not plan a producer only it needed', () => {
    const p = plan('Q2 revenue by region, no summary');
    expect(agents(p)).toEqual(['data', 'analytics']);
    expect(p.requested).toEqual(['metrics', 'charts']);
    expect(p.excluded).toEqual(['summary']);
    expect(p.notes).toContain(`"summary" was excluded ('summary'): not planned, not delivered`);
  });

  it('trims an excluded artifact from the output of an agent that runs for something else', () => {
    const p = plan('Q2 sales report without charts');
    expect(p.requested).toEqual(['metrics', 'summary']);
    expect(task(p, 'analytics')?.produces).toEqual(['metrics']);
    expect(task(p, 'analytics')?.instructions).toContain('Return one JSON object with one key per artifact type: "metrics".');
    expect(p.notes).toContain(`"charts" was excluded ('charts'): "analytics" runs for "metrics" and does not deliver it`);
  });

  it('excludes every artifact of a list', () => {
    const p = plan('Q3 report, no charts or summary');
    expect(p.requested).toEqual(['metrics']);
    expect(p.excluded).toEqual(['charts', 'summary']);
  });

  it('still makes an excluded artifact that a requested one needs, and says so', () => {
    const p = plan('skip the data extraction and just write the summary');
    expect(agents(p)).toEqual(['data', 'analytics', 'summary']);
    expect(p.requested).toEqual(['summary']);
    expect(p.excluded).toEqual(['sales-dataset', 'charts']);
    expect(p.notes).toContain(`"sales-dataset" was excluded ('data', 'extraction') but "metrics" needs it: it is made as an input only and not delivered`);
  });

  it('says which excluded words named nothing', () => {
    const p = plan('Q2 report without the fluff');
    expect(p.excluded).toBeUndefined();
    expect(p.notes).toContain(`ignored the exclusion of 'fluff': it names no artifact, capability or agent of this orchestrator`);
  });

  it('refuses a goal that excludes everything the orchestrator would deliver', () => {
    const e = refusal('the report, but no metrics, no charts and no summary');
    expect(e.code).toBe('GOAL_REFUSED');
    expect(e.message).toContain('it excludes everything it would deliver ("metrics", "charts", "summary")');
  });
});

describe('only', () => {
  it('excludes everything else that what was asked for does not need', () => {
    const p = plan('only the summary for Q2');
    expect(agents(p)).toEqual(['data', 'analytics', 'summary']);
    expect(p.requested).toEqual(['summary']);
    expect(p.excluded).toEqual(['charts']);
    expect(task(p, 'analytics')?.produces).toEqual(['metrics']);
  });

  it('keeps task ids stable when "only" trims an agent’s outputs', () => {
    const p = plan('just the charts');
    expect(task(p, 'analytics')).toMatchObject({ id: 't2-compute-metrics', produces: ['charts'] });
    expect(p.excluded).toEqual(['metrics', 'summary']);
  });

  it('"just the report" is the whole deliverable', () => {
    expect(plan('just the report for Q2').requested).toEqual(['metrics', 'charts', 'summary']);
  });
});

describe('the deliverable only when nothing more specific was asked', () => {
  it('plans the specific thing the goal’s words are about', () => {
    const p = plan('the top products last quarter');
    expect(agents(p)).toEqual(['data', 'analytics']);
    expect(task(p, 'analytics')?.reason).toBe(`goal words 'top', 'products' are about it`);
  });

  it('plans the whole when the goal asks for the orchestrator’s thing, with named parts as additions', () => {
    const p = plan('Q4 2025 report with KPIs, charts and a short summary');
    expect(p.requested).toEqual(['metrics', 'charts', 'summary']);
    expect(task(p, 'summary')?.reason).toContain(`deliverable of the orchestrator (goal asks for a 'report' with 'charts', 'summary', 'kpis')`);
  });

  it('plans only a named artifact that the goal does not attach to the whole', () => {
    expect(plan('charts for the Q2 report').requested).toEqual(['charts']);
    expect(plan('executive summary of the Q2 sales report').requested).toEqual(['summary']);
  });

  it('plans the whole for domain words or no meaningful word at all', () => {
    for (const goal of ['Q2 sales', 'go', 'run it', 'do it now', '']) expect(plan(goal).requested, goal).toEqual(['metrics', 'charts', 'summary']);
    expect(plan('Q2 sales').notes).toContain(`goal mentions only the domain ('sales'); planned the deliverable: "metrics", "charts", "summary"`);
  });

  it('says which words it ignored', () => {
    expect(plan('Q2 sales report for the board meeting').notes).toContain(`ignored 'board', 'meeting': not a word of this orchestrator's agents or artifacts`);
  });
});

describe('refusal', () => {
  it('refuses a goal none of whose words relate to the manifest, naming what it can produce', () => {
    const e = refusal("what's the weather in Paris tomorrow?");
    expect(e.code).toBe('GOAL_REFUSED');
    expect(e.retryable).toBe(false);
    expect(e.message).toBe(
      `goal refused: none of its words ('weather', 'paris') relate to what its sub-agents make. Orchestrator "reports" (Builds sales performance reports from the company's sales database) can produce: metrics, charts, summary and sales dataset; ask for one of these`,
    );
  });

  it('refuses a goal whose thing asked for, before "about", relates to nothing', () => {
    expect(refusal('write me a poem about cats').message).toContain(`it asks for 'poem', which none of its sub-agents makes`);
    expect(refusal('a limerick about our Q2 sales').message).toContain(`it asks for 'limerick'`);
  });

  it('does not refuse a goal whose words relate through a typo', () => {
    const p = plan('executive sumary for Q2');
    expect(p.requested).toEqual(['summary']);
    expect(p.notes).toContain(`read 'sumary' as 'summary'`);
  });
});

describe('subjects and specific words (examples/support-triage)', () => {
  let triage: Manifest;
  beforeAll(async () => {
    triage = await loadManifest(path.resolve(import.meta.dirname, '../../../../examples/support-triage/baton.yaml'));
  });
  const planTriage = (goal: string): Plan => {
    const p = planGoal(goal, triage);
    expect(validatePlan(p, triage)).toEqual([]);
    return p;
  };

  it('reads an artifact named in a phrase as the subject, not a request', () => {
    const p = planTriage('draft replies for the billing tickets');
    expect(p.requested).toEqual(['replies']);
    expect(agents(p)).toEqual(['intake', 'classifier', 'responder']);
  });

  it('reads the input of the whole, after the orchestrator’s name, as what the whole is made from', () => {
    const p = planTriage("triage today's tickets");
    expect(p.requested).toEqual(['labels', 'assignments', 'replies', 'digest']);
  });

  it('asks for what the other words point at when they point at something made from the named artifact', () => {
    const p = planTriage('which tickets are urgent?');
    expect(p.requested).toEqual(['labels']);
    expect(p.notes).toContain(`goal named no artifact or capability to make; its words 'urgent' are about "labels", of "tickets"`);
  });

  it('of artifacts the words fit equally, keeps the ones the others are made from', () => {
    // "priority" is a word of the classifier, the router and the digest: the labels come first.
    expect(planTriage("prioritize today's tickets").requested).toEqual(['labels']);
  });

  it('lets specific words win over words of the orchestrator’s description, but not over its name', () => {
    expect(planTriage('write responses to the customers').requested).toEqual(['replies']);
    expect(planTriage('triage for our enterprise customers').requested).toEqual(['labels', 'assignments', 'replies', 'digest']);
  });
});
