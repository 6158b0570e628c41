import { describe, expect, it } from 'vitest';
import type { Manifest, Plan } from '../../src/core/types.ts';
import { BuiltinPlanner, planGoal } from '../../src/planning/builtin-planner.ts';
import { validatePlan } from '../../src/planning/validate-plan.ts';
import { agent, manifest, salesManifest, travelManifest } from './fixtures.ts';
import { thrown } from '../support/thrown.ts';

const sales = salesManifest();
const travel = travelManifest();

/** Plans and checks the plan passes validation: every plan the planner makes must be valid. */
function plan(goal: string, m: Manifest = sales): Plan {
  const p = planGoal(goal, m);
  expect(validatePlan(p, m)).toEqual([]);
  return p;
}

const ids = (p: Plan): string[] => p.tasks.map((t) => t.id);
const byAgent = (p: Plan, name: string) => p.tasks.find((t) => t.agent === name);

describe('builtin planner on the sales-report manifest', () => {
  it('plans the full report, with readable ids in dependency order', () => {
    const p = plan('Create a Q2 sales performance report with charts and an executive summary');
    expect(ids(p)).toEqual(['t1-extract-sales-dataset', 't2-compute-metrics', 't3-write-summary']);
    expect(p.requested).toEqual(['metrics', 'charts', 'summary']);
    expect(p.tasks.map((t) => [t.agent, t.dependsOn, t.consumes, t.produces])).toEqual([
      ['data', [], [], ['sales-dataset']],
      ['analytics', ['t1-extract-sales-dataset'], ['sales-dataset'], ['metrics', 'charts']],
      ['summary', ['t2-compute-metrics'], ['metrics'], ['summary']],
    ]);
  });

  it('explains each task', () => {
    const p = plan('Create a Q2 sales performance report with charts and an executive summary');
    expect(byAgent(p, 'data')?.reason).toBe("capability 'sales' matches; needed by t2-compute-metrics");
    const whole = "deliverable of the orchestrator (goal asks for a 'report' with 'charts', 'summary')";
    expect(byAgent(p, 'analytics')?.reason).toBe(`goal mentions 'charts'; ${whole}; needed by t3-write-summary`);
    expect(byAgent(p, 'summary')?.reason).toBe(`goal mentions 'summary'; ${whole}`);
    expect(p.notes).toContain(`${whole}: "metrics", "charts", "summary"`);
    expect(p.notes).toContain(`ignored 'performance': not a word of this orchestrator's agents or artifacts`);
  });

  it('tells each agent what to produce, from what, for which goal', () => {
    const goal = 'Create a Q2 sales performance report with charts and an executive summary';
    const analytics = byAgent(plan(goal), 'analytics');
    expect(analytics?.title).toBe('Compute metrics and charts');
    expect(analytics?.instructions).toContain(`Goal: ${goal}`);
    expect(analytics?.instructions).toContain('Produce "metrics" and "charts" for this goal from "sales-dataset".');
    expect(analytics?.instructions).toContain('"sales-dataset" (made by t1-extract-sales-dataset)');
    expect(analytics?.instructions).toContain('Return one JSON object with one key per artifact type: "metrics", "charts".');
  });

  it('plans only the charts and what they need for "just the charts for Q2"', () => {
    const p = plan('just the charts for Q2');
    expect(ids(p)).toEqual(['t1-extract-sales-dataset', 't2-compute-metrics']);
    expect(p.requested).toEqual(['charts']);
    expect(byAgent(p, 'analytics')?.reason).toBe("goal mentions 'charts'");
  });

  it('plans the chain behind the summary, requesting only the summary', () => {
    const p = plan('sales summary for the first half of 2026');
    expect(ids(p)).toEqual(['t1-extract-sales-dataset', 't2-compute-metrics', 't3-write-summary']);
    expect(p.requested).toEqual(['summary']);
    expect(byAgent(p, 'analytics')?.reason).toBe('needed by t3-write-summary');
    expect(p.notes).toContain(`capability 'sales' of "data" matches, but "data" already works for "analytics", so it adds no request of its own`);
  });

  it('plans the deliverable when the goal has no meaningful word', () => {
    const p = plan('Do the thing by Friday');
    expect(ids(p)).toEqual(['t1-extract-sales-dataset', 't2-compute-metrics', 't3-write-summary']);
    expect(p.requested).toEqual(['metrics', 'charts', 'summary']);
    expect(byAgent(p, 'summary')?.reason).toBe('deliverable of the orchestrator (goal named no artifact)');
  });

  it('treats an empty goal as naming nothing', () => {
    expect(plan('').requested).toEqual(['metrics', 'charts', 'summary']);
  });

  it('names an artifact by its head noun but not by a modifier alone', () => {
    const p = plan('Export the dataset');
    expect(ids(p)).toEqual(['t1-extract-sales-dataset']);
    expect(p.requested).toEqual(['sales-dataset']);
    expect(byAgent(p, 'data')?.reason).toBe("goal mentions 'dataset'");
  });

  it('lets a capability phrase request its agent’s output', () => {
    const p = plan('Run the data extraction for March');
    expect(ids(p)).toEqual(['t1-extract-sales-dataset']);
    expect(byAgent(p, 'data')?.reason).toBe("capability 'data extraction' matches");
  });

  it('matches singular and plural forms', () => {
    expect(plan('one chart please').requested).toEqual(['charts']);
    expect(plan('two summaries').requested).toEqual(['summary']);
  });

  it('gives the same ids to the same agents whatever the goal', () => {
    const full = plan('Create a Q2 sales report');
    const none = plan('Do the thing');
    expect(ids(full)).toEqual(ids(none));
    // An agent keeps its id when an exclusion trims what it outputs.
    const noCharts = plan('Q2 report, no charts');
    expect(byAgent(noCharts, 'analytics')).toMatchObject({ id: 't2-compute-metrics', produces: ['metrics'] });
  });
});

describe('builtin planner on the travel manifest', () => {
  it('plans only the hotel search for "Find hotels in Lisbon"', () => {
    const p = plan('Find hotels in Lisbon', travel);
    expect(p.tasks).toHaveLength(1);
    expect(p.tasks[0]).toMatchObject({ id: 't1-find-hotels', agent: 'hotels', dependsOn: [], produces: ['hotels'] });
    expect(p.requested).toEqual(['hotels']);
  });

  it('plans the whole trip for "Plan a trip to Lisbon"', () => {
    const p = plan('Plan a trip to Lisbon', travel);
    expect(ids(p)).toEqual(['t1-find-flights', 't2-find-hotels', 't3-forecast-weather', 't4-build-itinerary']);
    expect(p.tasks[3]?.dependsOn).toEqual(['t1-find-flights', 't2-find-hotels', 't3-forecast-weather']);
    expect(p.requested).toEqual(['itinerary']);
    expect(p.tasks[3]?.reason).toBe("deliverable of the orchestrator (goal mentions 'trip')");
    expect(p.tasks[0]?.reason).toBe('needed by t4-build-itinerary');
  });

  it('plans two independent searches for two named artifacts', () => {
    const p = plan('Compare flights and hotels for Porto in May', travel);
    expect(ids(p)).toEqual(['t1-find-flights', 't2-find-hotels']);
  });

  it('matches a capability with no artifact named', () => {
    const p = plan('Book accommodation in Porto', travel);
    expect(ids(p)).toEqual(['t1-find-hotels']);
    expect(p.tasks[0]?.reason).toBe("capability 'accommodation' matches");
  });

  it('falls back on description words only when nothing stronger matched, and says so', () => {
    const p = plan('rooms near the destination, please', travel);
    expect(ids(p)).toEqual(['t1-find-hotels']);
    expect(p.tasks[0]?.reason).toBe(`goal words 'rooms', 'near', 'destination' are about it`);
    expect(p.notes).toEqual([`goal named no artifact or capability to make; its words 'rooms', 'near', 'destination' are about "hotels"`]);
  });

  it('takes every artifact a description word points at equally', () => {
    const p = plan('anything at the destination?', travel);
    expect(p.requested).toEqual(['hotels', 'weather']);
  });

  it('plans the deliverable for a goal with no meaningful word', () => {
    const p = plan('go', travel);
    expect(p.tasks).toHaveLength(4);
    expect(p.notes).toEqual(['goal named no artifact, capability or word of the orchestrator; planned the deliverable: "itinerary"']);
  });

  it('refuses a goal whose words relate to nothing it makes', () => {
    const error = thrown(() => planGoal('What should I pack?', travel));
    expect(error.code).toBe('GOAL_REFUSED');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      `goal refused: none of its words ('pack') relate to what its sub-agents make. Orchestrator "travel" (Plans trips from flights, hotels and weather forecasts) can produce: itinerary, flights, hotels and weather; ask for one of these`,
    );
  });

  it('quotes the first words of a long goal, not all of them again, in its refusal and its notes', () => {
    const words = Array.from({ length: 5000 }, (_, i) => `zork${i}`).join(' ');
    const error = thrown(() => planGoal(words, travel));
    expect(error.code).toBe('GOAL_REFUSED');
    expect(error.message).toContain(`none of its words ('zork0', 'zork1', 'zork2', 'zork3', 'zork4', 'zork5', 'zork6', 'zork7', 'zork8', 'zork9', 'zork10', 'zork11' and 4988 more) relate`);
    expect(error.message.length).toBeLessThan(400);
    expect((error.details as { unrelated?: unknown[] } | undefined)?.unrelated).toHaveLength(5000);
    const p = plan(`hotels in Lisbon ${words}`, travel);
    expect(p.notes).toContain(`ignored 'lisbon', 'zork0', 'zork1', 'zork2', 'zork3', 'zork4', 'zork5', 'zork6', 'zork7', 'zork8', 'zork9', 'zork10' and 4989 more: not a word of this orchestrator's agents or artifacts`);
  });
});

describe('artifacts named with a modifier (flight-options, hotel-options)', () => {
  // The consumer's description names its inputs ("from flights and hotels"): the goal's "hotels"
  // is still about the hotel options, not a request for the itinerary made from them.
  const trips = manifest({ name: 'trips', description: 'Plans trips', deliverable: ['itinerary'] }, [
    agent('flights', { description: 'Searches airline fares', capabilities: ['flight search'], produces: ['flight-options'] }),
    agent('hotels', { description: 'Finds rooms and accommodation', capabilities: ['hotel search'], produces: ['hotel-options'] }),
    agent('weather', { description: 'Forecasts the weather', capabilities: ['weather forecast'], produces: ['forecast'] }),
    agent('itinerary', {
      description: 'Writes a day-by-day itinerary from flights, hotels and the forecast',
      capabilities: ['itinerary'],
      consumes: ['flight-options', 'hotel-options', 'forecast'],
      produces: ['itinerary'],
    }),
  ]);

  it('plans only the hotel search for "hotels only"', () => {
    const p = plan('hotels only', trips);
    expect(p.tasks.map((t) => t.agent)).toEqual(['hotels']);
    expect(p.requested).toEqual(['hotel-options']);
  });

  it('plans the two searches, not the itinerary, for "find me flights and hotels"', () => {
    const p = plan('find me flights and hotels', trips);
    expect(p.tasks.map((t) => t.agent)).toEqual(['flights', 'hotels']);
  });

  it('plans what the other words of the goal point at beside a capability ("flight search and the weather")', () => {
    const p = plan('flight search to Rome and the weather', trips);
    expect(p.tasks.map((t) => t.agent)).toEqual(['flights', 'weather']);
    expect(p.notes).toContain(`goal words 'weather' are about "forecast" too`);
  });

  it('plans what the itinerary is made from for "all but the itinerary", instead of refusing it', () => {
    const p = plan('all but the itinerary', trips);
    expect(p.tasks.map((t) => t.agent)).toEqual(['flights', 'hotels', 'weather']);
    expect(p.excluded).toEqual(['itinerary']);
    expect(p.notes?.[0]).toBe(`the goal asks for everything but "itinerary": planned what that is made from, "flight-options", "hotel-options", "forecast"`);
  });

  it('excludes by a word only one artifact\'s producer describes ("but no airline fares")', () => {
    const p = plan('plan a trip, but no airline fares', trips);
    expect(p.excluded).toEqual(['flight-options']);
    expect(p.notes?.find((n) => n.startsWith('"flight-options" was excluded'))).toMatch(/but "itinerary" needs it/);
  });

  it('still refuses "no itinerary" and "no itinerary at all": nothing else was asked for', () => {
    expect(thrown(() => planGoal('no itinerary', trips)).code).toBe('GOAL_REFUSED');
    expect(thrown(() => planGoal('no itinerary at all', trips)).code).toBe('GOAL_REFUSED');
  });

  it('plans the two searches for "flights and hotels, no itinerary" instead of refusing it', () => {
    const p = plan('flights and hotels, no itinerary', trips);
    expect(p.tasks.map((t) => t.agent)).toEqual(['flights', 'hotels']);
    expect(p.excluded).toEqual(['itinerary']);
  });
});

describe("words of the orchestrator's description that do not name it", () => {
  // "weekly" and "sensor" are the orchestrator's words (its description) but not its name: an
  // adjective or the domain, not a request for the whole report.
  const etl = manifest({ name: 'etl', description: 'Turns raw sensor readings into a weekly report', deliverable: ['report'] }, [
    agent('extract', { description: 'Reads the CSV export', capabilities: ['extraction'], produces: ['raw-readings'] }),
    agent('aggregate', { description: 'Computes daily averages', capabilities: ['statistics'], consumes: ['raw-readings'], produces: ['daily-stats'] }),
    agent('chart', { description: 'Draws line charts', capabilities: ['plotting'], consumes: ['daily-stats'], produces: ['charts'] }),
    agent('report', { description: 'Writes the report', capabilities: ['report writing'], consumes: ['daily-stats', 'charts'], produces: ['report'] }),
  ]);

  it('plans the charts alone for "the weekly charts"', () => {
    expect(plan('the weekly charts', etl).requested).toEqual(['charts']);
  });

  it('plans the statistics alone for "statistics for each sensor", as for "sensor statistics"', () => {
    expect(plan('statistics for each sensor', etl).requested).toEqual(['daily-stats']);
    expect(plan('sensor statistics', etl).requested).toEqual(['daily-stats']);
  });

  it('plans the whole and the charts for "weekly report with charts"', () => {
    expect([...(plan('weekly report with charts', etl).requested ?? [])].sort()).toEqual(['charts', 'report']);
  });
});

describe('choosing among several producers', () => {
  function withViz(): Manifest {
    const m = salesManifest();
    m.agents['viz'] = agent('viz', {
      description: 'Renders charts with Vega',
      capabilities: ['vega charts'],
      consumes: ['sales-dataset'],
      produces: ['charts'],
    });
    m.orchestrator.subagents.push('viz');
    return m;
  }

  it('takes the producer the goal matches best and records the alternative', () => {
    const m = withViz();
    const p = plan('Vega charts of Q2 revenue', m);
    expect(byAgent(p, 'viz')?.produces).toEqual(['charts']);
    expect(byAgent(p, 'analytics')).toBeUndefined();
    expect(p.notes).toContain(`"charts" is also produced by "analytics"; chose "viz" (goal matches 'vega', 'charts')`);
    expect(byAgent(p, 'viz')?.reason).toBe(
      `goal mentions 'charts'; capability 'vega charts' matches; chosen over "analytics" for "charts": goal matches 'vega', 'charts'`,
    );
  });

  it('takes the first declared when the goal matches none better', () => {
    const p = plan('the charts', withViz());
    expect(byAgent(p, 'analytics')?.produces).toEqual(['metrics', 'charts']);
    expect(byAgent(p, 'viz')).toBeUndefined();
    expect(p.notes).toContain(`"charts" is also produced by "viz"; chose "analytics" (first declared; the goal matches none better)`);
    expect(byAgent(p, 'analytics')?.reason).toBe(`goal mentions 'charts'; chosen over "viz" for "charts": first declared; the goal matches none better`);
  });

  it('keeps one producer per artifact when two planned agents could make it', () => {
    const p = plan('Vega charts and an executive summary', withViz());
    // analytics is needed for the metrics behind the summary; viz makes the charts.
    expect(byAgent(p, 'viz')?.produces).toEqual(['charts']);
    expect(byAgent(p, 'analytics')?.produces).toEqual(['metrics']);
  });
});

describe('capabilities that restate artifact names (as in examples/sales-report)', () => {
  /** The example's shape: a replica producing the same dataset, capabilities named after artifacts. */
  function exampleLike(): Manifest {
    const m = salesManifest();
    const analytics = m.agents['analytics'];
    const summary = m.agents['summary'];
    if (analytics) analytics.capabilities = ['analysis', 'metrics', 'charts'];
    if (summary) summary.capabilities = ['executive summary'];
    m.agents['data-replica'] = agent('data-replica', {
      description: 'Extracts sales data in a separate process',
      capabilities: ['data extraction'],
      produces: ['sales-dataset'],
    });
    m.orchestrator.subagents = ['data', 'data-replica', 'analytics', 'summary'];
    return m;
  }

  it('adds only a reason when the capability just repeats a named artifact', () => {
    const p = plan('just the charts for Q2', exampleLike());
    expect(p.requested).toEqual(['charts']);
    expect(ids(p)).toEqual(['t1-extract-sales-dataset', 't2-compute-metrics']);
    expect(byAgent(p, 'analytics')?.reason).toBe("goal mentions 'charts'; capability 'charts' matches");
    expect(byAgent(p, 'data')?.reason).toBe(
      'needed by t2-compute-metrics; chosen over "data-replica" for "sales-dataset": first declared; the goal matches none better',
    );
    expect(p.notes).toEqual([
      `the goal asks only for "charts": left out "metrics" and "summary"`,
      `"sales-dataset" is also produced by "data-replica"; chose "data" (first declared; the goal matches none better)`,
    ]);
  });

  it('does not plan an agent whose capability only repeats an artifact another agent makes', () => {
    const m = exampleLike();
    m.agents['viz'] = agent('viz', { description: 'Renders Vega charts', capabilities: ['vega'], consumes: ['sales-dataset'], produces: ['charts'] });
    m.orchestrator.subagents.push('viz');
    const p = plan('vega charts', m);
    expect(p.tasks.map((t) => t.agent)).toEqual(['data', 'viz']);
  });
});

describe('unsatisfiable goals', () => {
  it('names the artifact and the agent that needs it', () => {
    const m = travelManifest();
    const itinerary = m.agents['itinerary'];
    if (itinerary) itinerary.consumes = [...itinerary.consumes, 'visa-rules'];
    const error = thrown(() => planGoal('Plan a trip to Lisbon', m));
    expect(error.code).toBe('GOAL_UNSATISFIABLE');
    expect(error.message).toBe(
      'cannot plan the goal: no subagent of orchestrator "travel" produces "visa-rules", and agent "itinerary" consumes it; add an agent that produces "visa-rules" to the manifest and to orchestrator.subagents',
    );
    // Goals that do not need the itinerary are still fine.
    expect(ids(plan('Find hotels in Lisbon', m))).toEqual(['t1-find-hotels']);
  });

  it('says when the goal itself asks for something nobody makes', () => {
    const m = travelManifest();
    m.orchestrator.deliverable = ['itinerary', 'packing-list'];
    const error = thrown(() => planGoal('a packing list for Lisbon', m));
    expect(error.message).toContain(`produces "packing-list", and the goal asks for it (goal mentions 'packing', 'list')`);
  });

  it('points at an agent that produces it but is not a subagent', () => {
    const m = travelManifest();
    m.orchestrator.subagents = m.orchestrator.subagents.filter((s) => s !== 'weather');
    const error = thrown(() => planGoal('Plan a trip', m));
    expect(error.message).toContain('agent "weather" produces it but is not in orchestrator.subagents: add it there');
  });

  it('refuses a goal that names nothing when there is no deliverable', () => {
    const m = travelManifest();
    m.orchestrator.deliverable = [];
    const error = thrown(() => planGoal('go', m));
    expect(error.code).toBe('GOAL_UNSATISFIABLE');
    expect(error.message).toContain('orchestrator.deliverable is empty');
  });
});

describe('determinism', () => {
  const goals = [
    'Create a Q2 sales performance report with charts and an executive summary',
    'just the charts for Q2',
    'Plan a trip to Lisbon',
    'Find hotels in Lisbon',
  ];

  it('gives the same plan for the same goal and manifest, across fresh manifest objects', () => {
    const outcome = (goal: string, m: Manifest): Plan | string => {
      try {
        return planGoal(goal, m);
      } catch (e) {
        return thrown(() => {
          throw e;
        }).message;
      }
    };
    for (const goal of goals) {
      const first = outcome(goal, salesManifest());
      expect(outcome(goal, salesManifest())).toEqual(first);
      expect(outcome(goal, sales)).toEqual(first);
      const trip = outcome(goal, travelManifest());
      expect(outcome(goal, travel)).toEqual(trip);
    }
  });

  it('orders ready tasks by subagent order, not by declaration of the agents map', () => {
    const m = travelManifest();
    m.orchestrator.subagents = ['weather', 'itinerary', 'hotels', 'flights'];
    expect(ids(plan('Plan a trip', m))).toEqual(['t1-forecast-weather', 't2-find-hotels', 't3-find-flights', 't4-build-itinerary']);
  });
});

describe('BuiltinPlanner', () => {
  it('implements the Planner contract', async () => {
    const outcome = await new BuiltinPlanner().plan('just the charts', sales);
    expect(outcome.planner).toBe('builtin');
    expect(outcome.plan.requested).toEqual(['charts']);
  });

  it('rejects (not throws) when the goal cannot be planned', async () => {
    const m = manifest({ name: 'empty', description: 'Does nothing', deliverable: [] }, []);
    await expect(new BuiltinPlanner().plan('anything', m)).rejects.toMatchObject({ code: 'GOAL_UNSATISFIABLE' });
  });

  it('does not plan once the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(new BuiltinPlanner().plan('report', sales, { signal: controller.signal })).rejects.toMatchObject({ code: 'RUN_CANCELLED' });
  });
});

describe('a replica that matches the same words as its primary', () => {
  it('is not planned: one producer per artifact, the replica stays a fallback', () => {
    const m = salesManifest();
    const replica = agent('data-replica', {
      description: 'Extracts and prepares sales data from the sales database, in a separate process',
      capabilities: ['data extraction', 'sql', 'sales'],
      produces: ['sales-dataset'],
    });
    m.agents['data-replica'] = replica;
    m.orchestrator.subagents.push('data-replica');
    const plan = planGoal('extract sales data with sql', m);
    expect(plan.tasks.map((t) => t.agent)).toEqual(['data']);
    expect(validatePlan(plan, m)).toEqual([]);
    expect(plan.notes?.join('\n')).toContain('"data-replica" also matches the goal, but "data" already produces "sales-dataset"');
  });
});
