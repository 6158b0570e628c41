// Type-checked with `tsc --strict` (module and moduleResolution nodenext) against the installed
// packages' declarations, then run with plain Node after tsc emits it: every entry point of
// every package, from a user's TypeScript file.
import assert from 'node:assert/strict';
import { createOrchestrator, defineAgent, loadManifest, pruneRuns, supportsRetention, MemoryRunStore, UnrecoverableAgentError } from 'batonjs';
import type { RunResult, RunStore, RunStoreRetention, AgentInput, Deliverable } from 'batonjs';
import { UnrecoverableAgentError as AgentEntryError, defineAgent as defineAgentFromAgentEntry } from 'batonjs/agent';
import type { AgentContext } from 'batonjs/agent';
import { scriptedAgent } from 'batonjs/testing';
import type { ScriptStep } from 'batonjs/testing';
import { createServer } from 'batonjs-server';
import type { BatonServer, ServerOptions } from 'batonjs-server';
import { a2aAgentFactory, createA2aAgent } from 'batonjs-server/a2a-agent';
import { parseConcurrency, queueNameOf } from 'batonjs-scale';
import { PostgresRunStore, POSTGRES_SCHEMA_VERSION } from 'batonjs-scale/postgres';
import { parseModelId, LlmPlanner } from 'batonjs-llm';
import { ScriptedModel } from 'batonjs-llm/testing';
import { otlpTracesUrl, startTelemetry } from 'batonjs-telemetry';

const steps: ScriptStep[] = [{ output: { rows: [1, 2] } }];
const rows = scriptedAgent({ name: 'rows', produces: ['rows'], script: steps });
const sum = defineAgent({
  name: 'sum',
  description: 'Adds the rows up',
  consumes: ['rows'],
  produces: ['sum'],
  run: (input: AgentInput) => ({ sum: (input.inputs['rows'] as number[]).reduce((a, b) => a + b, 0) }),
});
const store: RunStore = new MemoryRunStore();
const orchestrator = createOrchestrator({ name: 'sums', agents: [rows, sum], store });
const result: RunResult = await orchestrator.run('the sum');
const deliverable: Deliverable = result.deliverable;
assert.equal(deliverable.artifacts['sum'], 3);
assert.ok(supportsRetention(store));
const retention: RunStore & RunStoreRetention = store;
assert.deepEqual((await pruneRuns(retention, { olderThanMs: 1, now: Date.now() + 1000 })).deleted.map((d) => d.runId), [result.runId]);

// The service, with its dashboard assets.
const options: ServerOptions = { orchestrator, port: 0, telemetry: false };
const server: BatonServer = await createServer(options);
const agents = (await (await fetch(`${server.url}/v1/agents`)).json()) as { agents: { name: string }[] };
assert.deepEqual(agents.agents.map((a) => a.name), ['rows', 'sum']);
for (const asset of ['/', '/assets/app.js', '/assets/deliverable.js', '/assets/run.css']) {
  assert.equal((await fetch(`${server.url}${asset}`)).status, 200, `GET ${asset}`);
}
await server.close();
await orchestrator.close();

// Scale-out, LLM mode and telemetry load and answer without servers or models.
assert.deepEqual(parseConcurrency('2,analytics=8'), { default: 2, perAgent: { analytics: 8 } });
assert.equal(queueNameOf('data'), 'data');
assert.equal(typeof PostgresRunStore.connect, 'function');
assert.ok(POSTGRES_SCHEMA_VERSION >= 1);
assert.equal(typeof a2aAgentFactory, 'function');
assert.equal(typeof createA2aAgent, 'function');
assert.deepEqual(parseModelId('openai:gpt-4o-mini'), { provider: 'openai', name: 'gpt-4o-mini' });
assert.equal(typeof LlmPlanner, 'function');
assert.equal(typeof ScriptedModel, 'function');
assert.equal(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), 'http://collector:4318/v1/traces');
assert.equal(typeof startTelemetry, 'function');
assert.equal(typeof loadManifest, 'function');
// What an agent's own module imports: the main entry's classes, without the rest of it.
assert.equal(AgentEntryError, UnrecoverableAgentError);
assert.equal(defineAgentFromAgentEntry, defineAgent);
const context: Pick<AgentContext, 'signal'> = { signal: new AbortController().signal };
assert.equal(context.signal.aborted, false);
console.log('ok: every entry point of every package type-checks under tsc --strict and runs under plain Node');
