import { Hono } from 'hono';
import type { AgentSpec, Manifest } from 'batonjs/internal';
import type { ServerContext } from '../context.ts';

/** What the API shows of an agent: its contract, never its command line, environment or secrets. */
export function publicAgent(a: AgentSpec, manifest: Manifest): Record<string, unknown> {
  return {
    name: a.name,
    description: a.description,
    version: a.version,
    kind: a.kind,
    capabilities: a.capabilities,
    consumes: a.consumes,
    produces: a.produces,
    fallback: a.fallback,
    subagent: manifest.orchestrator.subagents.includes(a.name),
    ...(a.timeoutMs !== undefined ? { timeoutMs: a.timeoutMs } : {}),
    ...(a.retries !== undefined ? { retries: a.retries } : {}),
    ...(a.approval !== undefined ? { approval: a.approval } : {}),
  };
}

/** `GET /v1/agents`: the orchestrator and its sub-agents. */
export function agentRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.get('/agents', (c) => {
    const m = ctx.orchestrator.manifest;
    return c.json({
      orchestrator: {
        name: m.orchestrator.name,
        description: m.orchestrator.description,
        subagents: m.orchestrator.subagents,
        deliverable: m.orchestrator.deliverable,
        planner: m.orchestrator.model ? 'llm' : 'builtin',
        // The JSON Schema of the run parameters (POST /v1/runs {params}); the dashboard builds its form from it.
        ...(m.orchestrator.params ? { params: m.orchestrator.params } : {}),
      },
      agents: Object.values(m.agents).map((a) => publicAgent(a, m)),
      // Fixed plans a run can be started with (POST /v1/runs {workflow}).
      workflows: Object.values(m.workflows ?? {}).map((w) => ({ name: w.name, ...(w.description ? { description: w.description } : {}), plan: w.plan })),
    });
  });
  return app;
}
