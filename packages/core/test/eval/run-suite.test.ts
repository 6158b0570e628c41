import { existsSync } from 'node:fs';
import path from 'node:path';
import { MockLanguageModelV3 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import type { Manifest } from '../../src/core/types.ts';
import { loadManifest } from '../../src/manifest/index.ts';
import { AgentRegistry } from '../../src/agents/registry.ts';
import { BuiltinPlanner } from '../../src/planning/builtin-planner.ts';
import { LlmPlanner } from '../../../llm/src/planning/llm-planner.ts';
// Imported the way a user imports it: from the testing entry (`batonjs/testing`).
import { runEvalSuite, scriptedAgent } from '../../src/testing/index.ts';
import { ScriptedModel } from '../../../llm/src/testing/index.ts';
import type { CaseReport, EvalProgress, EvalReport, EvalSuiteInput } from '../../src/testing/index.ts';

const dir = path.resolve(import.meta.dirname, '../fixtures/eval');
const manifestFile = path.join(dir, 'baton.yaml');

const byName = (report: EvalReport, name: string): CaseReport => {
  const found = report.cases.find((c) => c.name === name);
  if (!found) throw new Error(`no case ${name}`);
  return found;
};

/** A planner that refuses goals about poems, as the builtin planner will for unrelated goals. */
class RefusingPlanner extends BuiltinPlanner {
  override async plan(goal: string, manifest: Manifest) {
    if (/poem/i.test(goal)) throw new BatonError('GOAL_REFUSED', 'this orchestrator makes flight-options, hotel-options and itinerary; the goal asks for none of them', { retryable: false });
    return super.plan(goal, manifest);
  }
}

/** The three trips agents in code, recording their calls and when each attempt ran. */
function tripsAgents(delayMs = 0) {
  const spans: { agent: string; start: number; end: number }[] = [];
  const timed = (agent: string, out: (goal: string) => Record<string, unknown>) => async (input: { goal: string }) => {
    const start = Date.now();
    await new Promise((r) => setTimeout(r, delayMs));
    spans.push({ agent, start, end: Date.now() });
    return out(input.goal);
  };
  const flights = scriptedAgent({ name: 'flights', produces: ['flight-options'] });
  const hotels = scriptedAgent({ name: 'hotels', produces: ['hotel-options'] });
  const itinerary = scriptedAgent({ name: 'itinerary', consumes: ['flight-options', 'hotel-options'], produces: ['itinerary'] });
  flights.run = timed('flights', () => ({ 'flight-options': [{ to: 'Lisbon', price: 100 }] })) as typeof flights.run;
  hotels.run = timed('hotels', () => ({ 'hotel-options': [{ name: 'Inn', price: 80 }] })) as typeof hotels.run;
  itinerary.run = timed('itinerary', () => ({ itinerary: { to: 'Lisbon' } })) as typeof itinerary.run;
  return { agents: [flights, hotels, itinerary], spans };
}

describe('runEvalSuite', () => {
  it('runs a suite file and reports every case in suite order, with plan agents and status', async () => {
    const report = await runEvalSuite(path.join(dir, 'trips.yaml'));
    expect(report).toMatchObject({ suite: 'trips', manifest: manifestFile, planner: 'builtin', passed: 4, failed: 0, skipped: 0 });
    expect(report.cases.map((c) => c.name)).toEqual(['hotels only', 'whole trip', 'hotels with prices', 'flights agent alone']);
    expect(byName(report, 'hotels only')).toMatchObject({ outcome: 'passed', passed: true, planAgents: ['hotels'], line: 5, differences: [] });
    expect(byName(report, 'hotels only').status).toBeUndefined();
    expect(byName(report, 'whole trip')).toMatchObject({ status: 'succeeded', planAgents: ['flights', 'hotels', 'itinerary'] });
    expect(byName(report, 'flights agent alone')).toMatchObject({ agent: 'flights', attempt: 'succeeded' });
  });

  it('shows what differed in each failing case', async () => {
    const report = await runEvalSuite(path.join(dir, 'mixed.yaml'));
    expect(report).toMatchObject({ passed: 1, failed: 4, skipped: 1 });

    const wrong = byName(report, 'wrong agents');
    expect(wrong.differences.map((d) => d.expectation)).toEqual(['agents', 'exclude']);
    expect(wrong.differences[0]).toMatchObject({ expected: ['hotels'], actual: ['flights', 'hotels', 'itinerary'] });
    expect(wrong.differences[0]?.message).toBe('expected exactly [hotels], planned [flights, hotels, itinerary] (not expected flights, itinerary)');
    expect(wrong.differences[1]?.message).toBe('flights was planned (t1-find-flight-options: needed by t3-combine-itinerary)');

    const failing = byName(report, 'failing run');
    expect(failing.status).toBe('failed');
    expect(failing.differences).toEqual([expect.objectContaining({ expectation: 'status', expected: 'succeeded', actual: 'failed', message: expect.stringContaining('the itinerary service is down') })]);

    const unpriced = byName(report, 'hotels without prices');
    expect(unpriced.differences).toEqual([
      { expectation: 'artifacts', artifact: 'hotel-options', path: '/0', message: 'artifact hotel-options: /0/price is required' },
      { expectation: 'artifacts', artifact: 'hotel-options', path: '/1', message: 'artifact hotel-options: /1/price is required' },
    ]);

    const judged = byName(report, 'judged by a model');
    expect(judged).toMatchObject({ outcome: 'skipped', passed: true, status: 'succeeded' });
    expect(judged.skipped).toBe(`rubric not judged: ${manifestFile} has no orchestrator.model to judge it with`);

    const output = byName(report, 'agent output differs');
    expect(output.differences).toEqual([{ expectation: 'output', artifact: 'flight-options', path: '/flight-options/0/to', expected: 'Lisbon', actual: 'Porto', message: '/flight-options/0/to expected "Lisbon", got "Porto"' }]);
  });

  it('passes a refused case when the planner refuses, and fails an unexpected refusal with its message; no agent runs', async () => {
    const { agents } = tripsAgents();
    const suite: EvalSuiteInput = {
      suite: 'refusals',
      manifest: 'baton.yaml',
      cases: [
        { name: 'poem refused', goal: 'write me a poem about cats', expect: { refused: true, status: 'failed' } },
        { name: 'refusal not expected', goal: 'a poem about Lisbon hotels', run: false },
        { name: 'refusal expected, plan made', goal: 'hotel options in Rome', run: false, expect: { refused: true } },
      ],
    };
    const report = await runEvalSuite(suite, { baseDir: dir, planner: new RefusingPlanner(), agents });
    expect(byName(report, 'poem refused')).toMatchObject({ outcome: 'passed', status: 'failed', refused: expect.stringContaining('asks for none of them') });
    expect(byName(report, 'refusal not expected').differences).toEqual([
      { expectation: 'refused', expected: false, actual: true, message: 'the planner refused the goal: this orchestrator makes flight-options, hotel-options and itinerary; the goal asks for none of them' },
    ]);
    expect(byName(report, 'refusal expected, plan made').differences[0]?.message).toBe('expected the planner to refuse the goal (GOAL_REFUSED), but it planned [hotels]');
    expect(agents.every((a) => a.calls.length === 0)).toBe(true);
  });

  it('runs cases in parallel up to the concurrency, each with its own run and output folder, removed afterwards', async () => {
    const { agents, spans } = tripsAgents(150);
    const manifest = await loadManifest(manifestFile);
    manifest.orchestrator.integrator = path.join(dir, 'integrators/record-out.mjs');
    const outDirs = ((globalThis as { batonEvalOutDirs?: string[] }).batonEvalOutDirs = []);
    const seen: EvalProgress[] = [];
    const cases = ['Rome', 'Porto', 'Lisbon', 'Madrid'].map((city) => ({ name: `trip to ${city}`, goal: `Plan my trip to ${city}`, expect: { status: 'succeeded' as const } }));
    const report = await runEvalSuite({ suite: 'parallel', cases }, { manifest, agents, concurrency: 2, onProgress: (p) => seen.push(p) });

    expect(report.passed).toBe(4);
    expect(new Set(report.cases.map((c) => c.runId)).size).toBe(4);
    expect(new Set(outDirs).size).toBe(4);
    for (const d of outDirs) expect(existsSync(d)).toBe(false);
    const most = Math.max(...seen.map((p) => p.running.length));
    expect(most).toBe(2);
    // Two cases' attempts overlapped in time: they ran in parallel, not one after the other.
    const flights = spans.filter((s) => s.agent === 'flights').sort((a, b) => a.start - b.start);
    expect(flights[1]!.start).toBeLessThan(flights[0]!.end);
    expect(seen.at(-1)).toMatchObject({ total: 4, done: 4, passed: 4, running: [] });
  });

  it("leaves the caller's agents open: a case's end does not close them under the next cases", async () => {
    const { agents } = tripsAgents();
    const closed: string[] = [];
    for (const agent of agents) agent.close = async () => void closed.push(agent.spec.name);
    const cases = ['Rome', 'Porto', 'Lisbon'].map((city) => ({ name: `trip to ${city}`, goal: `Plan my trip to ${city}`, expect: { status: 'succeeded' as const } }));
    const report = await runEvalSuite({ suite: 'lent', cases: [...cases, { name: 'hotels alone', agent: 'hotels' }] }, { manifest: await loadManifest(manifestFile), agents, concurrency: 1 });
    expect(report.passed).toBe(4);
    expect(closed).toEqual([]);
  });

  it('judges rubrics with the orchestrator model, and passes run parameters to an agent case', async () => {
    const manifest = await loadManifest(manifestFile);
    manifest.orchestrator.model = 'openai-compatible:judge';
    const model = new ScriptedModel((call) => {
      const unpriced = !call.transcript.includes('"price"');
      return { json: { verdicts: [{ rubric: 1, pass: !unpriced, reason: unpriced ? 'no hotel has a price' : 'two hotels with prices' }] } };
    });
    const hotels = scriptedAgent({ name: 'hotels', produces: ['hotel-options'], script: [{ output: (input) => ({ 'hotel-options': [{ name: 'Inn', ...((input as { params?: { priced?: boolean } }).params?.priced ? { price: 80 } : {}) }] }) }] });
    const rubric = 'Lists at least two hotels with prices';
    const report = await runEvalSuite(
      {
        suite: 'judged',
        cases: [
          { name: 'run without prices', goal: 'hotel options in Rome', expect: { rubric } },
          { name: 'agent with params', agent: 'hotels', params: { priced: true }, expect: { rubric: [rubric] } },
        ],
      },
      { manifest, planner: 'builtin', resolveModel: model.resolver(), agents: [hotels] },
    );
    expect(byName(report, 'run without prices').differences).toEqual([{ expectation: 'rubric', expected: rubric, actual: 'no hotel has a price', message: `rubric "${rubric}" failed: no hotel has a price` }]);
    expect(byName(report, 'agent with params')).toMatchObject({ outcome: 'passed', differences: [] });
    expect(hotels.calls.map((c) => (c as { params?: unknown }).params)).toContainEqual({ priced: true });
    expect(model.calls).toHaveLength(2);
    const judged = model.calls.find((c) => c.transcript.includes('The deliverable for the goal: hotel options in Rome'));
    expect(judged?.transcript).toContain(`1. ${rubric}`);
  });

  it('fails a rubric case whose judge gives no verdict within policy.taskTimeoutMs, and says so', async () => {
    const manifest = await loadManifest(manifestFile);
    manifest.orchestrator.model = 'openai-compatible:judge';
    manifest.orchestrator.policy.taskTimeoutMs = 300;
    // A judge whose server never answers (its calls end only when aborted).
    const silent = new MockLanguageModelV3({
      doGenerate: (options) => new Promise((_, reject) => options.abortSignal?.addEventListener('abort', () => reject(options.abortSignal?.reason as Error), { once: true })),
    });
    const suite: EvalSuiteInput = { suite: 'judged', cases: [{ name: 'flights judged', agent: 'flights', goal: 'Flights to Porto', expect: { rubric: 'Lists flights to Porto' } }] };
    const started = Date.now();
    const report = await Promise.race([
      runEvalSuite(suite, { manifest, resolveModel: (id) => ({ id, model: silent, providerOptions: {} }) }),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5_000)),
    ]);
    expect(report, 'the case was still waiting for the judge after 5 s').toBeDefined();
    expect(report?.cases[0]).toMatchObject({ outcome: 'failed', differences: [{ expectation: 'rubric', message: expect.stringMatching(/the judge \(openai-compatible:judge\) gave no verdict within 300 ms \(policy.taskTimeoutMs\)/) }] });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails a rubric case whose judge answers prose, naming the judge once and what it said', async () => {
    const manifest = await loadManifest(manifestFile);
    manifest.orchestrator.model = 'openai-compatible:judge';
    const model = new ScriptedModel(() => ({ text: 'Looks fine to me!' }));
    const suite: EvalSuiteInput = { suite: 'judged', cases: [{ name: 'flights judged', agent: 'flights', goal: 'Flights to Porto', expect: { rubric: 'Lists flights to Porto' } }] };
    const report = await runEvalSuite(suite, { manifest, resolveModel: model.resolver() });
    expect(report.cases[0]).toMatchObject({ outcome: 'failed', differences: [{ expectation: 'rubric' }] });
    const message = report.cases[0]!.differences[0]!.message;
    expect(message).toMatch(/^the judge \(openai-compatible:judge\) gave an unreadable verdict on flights: the reply was not one JSON object \(.*Looks fine to me!/);
    expect(message.match(/the judge \(/g)).toHaveLength(1);
  });

  it('runs the same suite through the LLM planner when asked, and says which planner planned', async () => {
    const manifest = await loadManifest(manifestFile);
    manifest.orchestrator.model = 'openai-compatible:planner';
    const plan = { tasks: [{ id: 't1-find-hotels', title: 'Find hotels', instructions: 'Find hotels in Lisbon', agent: 'hotels', dependsOn: [], consumes: [], produces: ['hotel-options'] }], requested: ['hotel-options'] };
    const model = new ScriptedModel(() => ({ json: plan }));
    const suite: EvalSuiteInput = { suite: 'compare', cases: [{ name: 'hotels', goal: 'Just find me hotel options in Lisbon', run: false, expect: { agents: ['hotels'] } }] };
    const llm = await runEvalSuite(suite, { manifest, planner: new LlmPlanner({ resolveModel: model.resolver() }) });
    expect(llm).toMatchObject({ planner: 'llm', passed: 1 });
    expect(llm.cases[0]?.planner).toBe('llm');
    const viaName = await runEvalSuite(suite, { manifest, planner: 'llm', resolveModel: model.resolver() });
    expect(viaName.planner).toBe('llm');
    const builtin = await runEvalSuite(suite, { manifest, planner: 'builtin' });
    expect(builtin).toMatchObject({ planner: 'builtin', passed: 1 });
    expect(model.calls).toHaveLength(2);
  });

  it('cancels a plan-only case whose planner is still planning when the suite is stopped', async () => {
    const controller = new AbortController();
    // A planner that plans until its signal says stop (an LLM planner waiting for its model); the
    // suite is stopped (Ctrl-C) while it plans.
    const waiting = {
      name: 'llm' as const,
      plan: (_goal: string, _manifest: Manifest, options: { signal?: AbortSignal } = {}) => {
        setTimeout(() => controller.abort(new Error('cancelled by SIGINT')), 50);
        return new Promise<never>((_, reject) => options.signal?.addEventListener('abort', () => reject(options.signal?.reason as Error), { once: true }));
      },
      replan: async () => undefined,
    };
    const suite: EvalSuiteInput = { suite: 'stopped', cases: [{ name: 'plans', goal: 'hotels in Lisbon', run: false, expect: { agents: ['hotels'] } }] };
    const started = Date.now();
    const report = await Promise.race([
      runEvalSuite(suite, { manifest: await loadManifest(manifestFile), planner: waiting, signal: controller.signal }),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5_000)),
    ]);
    expect(report, 'the suite was still waiting for the planner 5 s after it was stopped').toBeDefined();
    expect(report?.cases[0]).toMatchObject({ outcome: 'skipped', skipped: 'cancelled: the suite was stopped while this case ran' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("reports an agent case whose agent's close() fails or hangs, and keeps what its attempt showed", { timeout: 30_000 }, async () => {
    // Agents built by the suite (from a registry of the caller's) whose close() throws or never ends.
    const registry = new AgentRegistry().register('module', (spec) => ({
      spec,
      run: async () => ({ [spec.produces[0]!]: [{ to: 'Porto', name: 'Inn' }] }),
      close: spec.name === 'flights' ? async () => Promise.reject(new Error('socket already closed')) : () => new Promise<void>(() => undefined),
    }));
    const suite: EvalSuiteInput = {
      suite: 'closing',
      cases: [
        { name: 'flights', agent: 'flights', expect: { output: { 'flight-options': [{ to: 'Lisbon' }] } } },
        { name: 'hotels', agent: 'hotels', expect: {} },
      ],
    };
    const report = await Promise.race([
      runEvalSuite(suite, { manifest: await loadManifest(manifestFile), registry }),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 25_000)),
    ]);
    expect(report, "the suite was still waiting for an agent's close() after 25 s").toBeDefined();
    expect(byName(report!, 'flights')).toMatchObject({ outcome: 'failed', attempt: 'succeeded' });
    expect(byName(report!, 'flights').differences.map((d) => d.message)).toEqual([
      '/flight-options/0/to expected "Lisbon", got "Porto"',
      "could not close agent 'flights': its close() failed: socket already closed",
    ]);
    expect(byName(report!, 'hotels')).toMatchObject({ outcome: 'failed', attempt: 'succeeded', differences: [{ expectation: 'attempt', message: "could not close agent 'hotels': its close() did not finish within 10000 ms" }] });
  });

  it('compares agent output exactly when asked, and refuses an agent outside its version pin', async () => {
    const manifest = await loadManifest(manifestFile);
    const exact = await runEvalSuite(
      { suite: 'exact', agent: 'flights', cases: [{ name: 'exact', goal: 'Flights to Porto', expect: { match: 'exact', output: { 'flight-options': [{ to: 'Porto' }] } } }] },
      { manifest },
    );
    expect(exact.cases[0]?.differences).toEqual([
      { expectation: 'output', artifact: 'flight-options', path: '/flight-options/0/price', expected: undefined, actual: 120, message: '/flight-options/0/price is not expected' },
    ]);
    manifest.agents['flights']!.versionPin = '^2.0.0';
    const pinned = await runEvalSuite({ suite: 'pinned', cases: [{ name: 'pinned', agent: 'flights', expect: {} }] }, { manifest });
    expect(pinned.cases[0]?.differences[0]).toMatchObject({ expectation: 'version', expected: '^2.0.0', actual: '1.2.0', message: expect.stringContaining("agent 'flights' reports version 1.2.0") });
  });
});
