/**
 * A report workflow of `llm` agents whose model answers after 300 ms (a simulated LLM):
 * extract → analyze ∥ chart → summarize → integrate. The tasks' critical path is 900 ms
 * (extract, one of analyze/chart, summarize); with the LLM planner, planning is one more 300 ms
 * model call before it. Measures the wall time of whole runs against that critical path, and
 * counts the model calls (from the RunResult's usage).
 *
 * `node --import tsx bench/llm-workflow.bench.ts <builtin|llm>` prints one JSON line.
 */
import { createLlmAgentFactory } from '../packages/llm/src/llm-agent.ts';
import { AgentRegistry } from '../packages/core/src/agents/registry.ts';
import type { Integrator, Planner } from '../packages/core/src/core/contracts.ts';
import { resolvePolicy } from '../packages/core/src/core/defaults.ts';
import type { AgentSpec, Manifest, Plan } from '../packages/core/src/core/types.ts';
import type { ResolvedModel } from '../packages/llm/src/model-config.ts';
import { Orchestrator } from '../packages/core/src/orchestrator.ts';
import { BuiltinPlanner } from '../packages/core/src/planning/builtin-planner.ts';
import { LlmPlanner } from '../packages/llm/src/planning/llm-planner.ts';
import { ScriptedModel } from '../packages/llm/src/testing/scripted-model.ts';
import type { ModelReply } from '../packages/llm/src/testing/scripted-model.ts';
import { rssSampler } from './machine-info.ts';

const LATENCY_MS = 300;
const TASKS_CRITICAL_PATH_MS = 3 * LATENCY_MS;
const RUNS = 10;
const plannerName = process.argv[2] === 'llm' ? 'llm' : 'builtin';

/** A model that answers every call after LATENCY_MS (abortable), as `reply` says. */
function simulatedModel(id: string, reply: () => ModelReply): ResolvedModel {
  const model = new ScriptedModel(() => reply(), { modelId: id });
  const answer = model.doGenerate;
  model.doGenerate = async (options: Parameters<ScriptedModel['doGenerate']>[0]) => {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, LATENCY_MS);
      options.abortSignal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(options.abortSignal?.reason as Error);
      });
    });
    return answer(options);
  };
  return { id, model, providerOptions: {} };
}

function llmAgent(name: string, description: string, consumes: string[], produces: string): AgentSpec {
  return { name, description, version: '1.0.0', capabilities: [], consumes, produces: [produces], kind: 'llm', model: `openai:sim-${name}`, output: {}, fallback: [] };
}

const AGENTS: AgentSpec[] = [
  llmAgent('extract', 'Extracts the sales dataset from the sales records', [], 'sales-dataset'),
  llmAgent('analyze', 'Analyzes the sales dataset into an analysis', ['sales-dataset'], 'analysis'),
  llmAgent('chart', 'Draws a chart of the sales dataset', ['sales-dataset'], 'chart'),
  llmAgent('summarize', 'Summarizes the analysis and the chart into a summary', ['analysis', 'chart'], 'summary'),
];

const manifest: Manifest = {
  version: 1,
  baseDir: process.cwd(),
  orchestrator: {
    name: 'reports',
    description: 'Builds sales reports',
    instructions: 'Extract the data, analyse it and chart it, then summarise.',
    ...(plannerName === 'llm' ? { model: 'openai:sim-planner' } : {}),
    subagents: AGENTS.map((a) => a.name),
    deliverable: ['summary'],
    policy: resolvePolicy({ maxParallel: 4, retries: 0, taskTimeoutMs: 30_000, runTimeoutMs: 120_000 }),
  },
  agents: Object.fromEntries(AGENTS.map((a) => [a.name, a])),
};

/** The plan the simulated planner model returns (the builtin planner finds the same DAG). */
const LLM_PLAN: Plan = {
  tasks: [
    { id: 't1-extract-sales-dataset', title: 'Extract', instructions: 'Extract the sales dataset', agent: 'extract', dependsOn: [], consumes: [], produces: ['sales-dataset'] },
    { id: 't2-analyze-analysis', title: 'Analyze', instructions: 'Analyse the dataset', agent: 'analyze', dependsOn: ['t1-extract-sales-dataset'], consumes: ['sales-dataset'], produces: ['analysis'] },
    { id: 't3-draw-chart', title: 'Chart', instructions: 'Chart the dataset', agent: 'chart', dependsOn: ['t1-extract-sales-dataset'], consumes: ['sales-dataset'], produces: ['chart'] },
    { id: 't4-summarize-summary', title: 'Summarize', instructions: 'Summarise', agent: 'summarize', dependsOn: ['t2-analyze-analysis', 't3-draw-chart'], consumes: ['analysis', 'chart'], produces: ['summary'] },
  ],
  requested: ['summary'],
};

const registry = new AgentRegistry().register(
  'llm',
  createLlmAgentFactory({
    resolveModel: (id) => {
      const agent = AGENTS.find((a) => a.model === id)!;
      const artifact = agent.produces[0]!;
      return simulatedModel(id, () => ({ json: { [artifact]: { by: agent.name, text: `${artifact} of the quarter` } } }));
    },
  }),
);

const integrator: Integrator = ({ artifacts, provenance }) => ({ artifacts: { report: { summary: artifacts['summary'], chart: artifacts['chart'] } }, files: [], provenance });

const planner: Planner = plannerName === 'llm' ? new LlmPlanner({ model: simulatedModel('openai:sim-planner', () => ({ json: LLM_PLAN })) }) : new BuiltinPlanner();
const orchestrator = new Orchestrator({ manifest, registry, planner, integrator });
const goal = 'Sales report of the quarter with an analysis, a chart and a summary';

const rss = rssSampler();
const walls: number[] = [];
let llmCalls = 0;
let tasks = 0;
for (let i = 0; i <= RUNS; i++) {
  const t0 = performance.now();
  const result = await orchestrator.run(goal);
  const ms = performance.now() - t0;
  if (result.status !== 'succeeded') throw new Error(`run ${result.runId} ended ${result.status}: ${result.reason}`);
  if (i === 0) continue; // warm-up: module loading
  walls.push(ms);
  llmCalls = result.usage.llmCalls;
  tasks = result.plan.tasks.length;
}
await orchestrator.close();
rss.stop();

walls.sort((a, b) => a - b);
const median = walls[Math.floor(walls.length / 2)]!;
const criticalPathMs = TASKS_CRITICAL_PATH_MS + (plannerName === 'llm' ? LATENCY_MS : 0);
process.stdout.write(
  `${JSON.stringify({
    case: `llm-workflow (${tasks} tasks, ${LATENCY_MS} ms per model call)`,
    planner: plannerName,
    wallMs: median,
    minWallMs: walls[0],
    maxWallMs: walls[walls.length - 1],
    criticalPathMs,
    overheadMs: median - criticalPathMs,
    llmCalls,
    runs: RUNS,
    peakRssMb: rss.peakMb(),
  })}\n`,
);
