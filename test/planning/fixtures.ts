import type { AgentSpec, Manifest, OrchestratorSpec, Plan, PlanTask } from '../../src/core/types.ts';

/** An AgentSpec with defaults for what planning does not read. */
export function agent(name: string, fields: Partial<AgentSpec> & Pick<AgentSpec, 'description'>): AgentSpec {
  return {
    name,
    version: '1.0.0',
    capabilities: [],
    consumes: [],
    produces: [],
    kind: 'module',
    module: `/agents/${name}.ts`,
    output: {},
    fallback: [],
    ...fields,
  };
}

/** A Manifest built in code (no loader): sub-agents default to every agent, in the order given. */
export function manifest(
  orchestrator: Partial<OrchestratorSpec> & Pick<OrchestratorSpec, 'name' | 'description' | 'deliverable'>,
  agents: AgentSpec[],
): Manifest {
  return {
    version: 1,
    baseDir: '/tmp/baton-test',
    orchestrator: {
      instructions: '',
      subagents: agents.map((a) => a.name),
      policy: {
        maxParallel: 4,
        retries: 2,
        taskTimeoutMs: 60_000,
        runTimeoutMs: 600_000,
        backoff: { initialDelayMs: 100, factor: 2, maxDelayMs: 1000, jitter: 0 },
      },
      ...orchestrator,
    },
    agents: Object.fromEntries(agents.map((a) => [a.name, a])),
  };
}

/** The sales-report workflow: data → analytics (metrics, charts) → summary. */
export function salesManifest(): Manifest {
  return manifest(
    { name: 'reports', description: 'Builds business reports from company data', deliverable: ['metrics', 'charts', 'summary'] },
    [
      agent('data', {
        description: 'Extracts and prepares sales data from the sales database',
        capabilities: ['data extraction', 'sql', 'sales'],
        produces: ['sales-dataset'],
        fallback: ['data-replica'],
      }),
      agent('analytics', {
        description: 'Computes sales metrics and draws charts',
        capabilities: ['analytics', 'visualisation'],
        consumes: ['sales-dataset'],
        produces: ['metrics', 'charts'],
      }),
      agent('summary', {
        description: 'Writes an executive summary of the metrics',
        capabilities: ['executive writing'],
        consumes: ['metrics'],
        produces: ['summary'],
      }),
    ],
  );
}

/** A travel planner: three independent searches feed one itinerary. */
export function travelManifest(): Manifest {
  return manifest(
    { name: 'travel', description: 'Plans trips from flights, hotels and weather forecasts', deliverable: ['itinerary'] },
    [
      agent('flights', {
        description: 'Finds flights for a route and dates',
        capabilities: ['flight search', 'airfare'],
        produces: ['flights'],
      }),
      agent('hotels', {
        description: 'Finds hotels and rooms near the destination',
        capabilities: ['hotel search', 'accommodation'],
        produces: ['hotels'],
      }),
      agent('weather', {
        description: 'Forecasts the weather at the destination',
        capabilities: ['weather forecast'],
        produces: ['weather'],
      }),
      agent('itinerary', {
        description: 'Builds a day-by-day itinerary from flights, hotels and weather',
        capabilities: ['itinerary'],
        consumes: ['flights', 'hotels', 'weather'],
        produces: ['itinerary'],
      }),
    ],
  );
}

/** A task with defaults, for hand-written plans. */
export function task(id: string, fields: Partial<PlanTask> & Pick<PlanTask, 'agent' | 'produces'>): PlanTask {
  return { id, title: id, instructions: `do ${id}`, dependsOn: [], consumes: [], ...fields };
}

/** A valid hand-written plan for the sales manifest. */
export function validSalesPlan(): Plan {
  return {
    tasks: [
      task('t1-extract-sales-dataset', { agent: 'data', produces: ['sales-dataset'] }),
      task('t2-compute-metrics', {
        agent: 'analytics',
        dependsOn: ['t1-extract-sales-dataset'],
        consumes: ['sales-dataset'],
        produces: ['metrics', 'charts'],
      }),
      task('t3-write-summary', { agent: 'summary', dependsOn: ['t2-compute-metrics'], consumes: ['metrics'], produces: ['summary'] }),
    ],
    requested: ['metrics', 'charts', 'summary'],
  };
}
