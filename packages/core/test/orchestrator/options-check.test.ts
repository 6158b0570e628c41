import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import { createOrchestrator } from '../../src/create-orchestrator.ts';
import { Orchestrator } from '../../src/orchestrator.ts';
import { openStore } from '../../src/store/open-store.ts';
import { MemoryRunStore } from '../../src/store/index.ts';
import { scriptedAgent } from '../../src/testing/index.ts';
import { defineAgent } from '../../src/agents/define-agent.ts';
import { thrown } from '../support/thrown.ts';

const agent = () => scriptedAgent({ name: 'writer', produces: ['text'] });

function refusal(build: () => unknown): BatonError {
  try {
    build();
  } catch (e) {
    if (BatonError.isInstance(e)) return e;
    throw new Error(`expected a BatonError, got ${String(e)}`);
  }
  throw new Error('expected the options to be refused');
}

describe('the parts an orchestrator is built from are checked when it is built', () => {
  it("refuses a journal's name where the journal belongs, and says what to pass", () => {
    const e = refusal(() => createOrchestrator({ name: 'docs', agents: [agent()], store: 'memory' as never }));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain("store: expected a journal object, got the string 'memory'; pass await openStore('memory')");
  });

  it("refuses openStore()'s promise, not yet awaited", async () => {
    const pending = openStore('memory');
    const e = refusal(() => createOrchestrator({ name: 'docs', agents: [agent()], store: pending as never }));
    expect(e.message).toContain('store: got a promise; await it first');
    await (await pending).close();
  });

  it('names the methods an object given as the journal lacks', () => {
    const e = refusal(() => createOrchestrator({ name: 'docs', agents: [agent()], store: { createRun: async () => undefined } as never }));
    expect(e.message).toContain('store: not a journal: it has no append, readEvents, getRun, listRuns, close methods');
  });

  it('lists every bad part at once, each by its option name', () => {
    const e = refusal(() => createOrchestrator({ name: '', agents: [agent(), 'critic' as never], planner: {} as never, integrator: 'markdown' as never, outDir: 3 as never }));
    expect(e.details).toEqual([
      'name: expected the orchestrator\'s name, got ""',
      'planner: expected an object with a plan(goal, manifest) method, got a mapping',
      'integrator: expected a function (input) => deliverable, got "markdown"',
      'outDir: expected a folder path or a function of the run id, got number 3',
      'agents[1]: expected an agent with a spec and a run(input, ctx) method (defineAgent(...)), got "critic"',
    ]);
  });

  it('refuses an Orchestrator built without a manifest', () => {
    const e = refusal(() => new Orchestrator({ manifest: undefined as never, store: new MemoryRunStore() }));
    expect(e.message).toContain('manifest: expected a manifest');
  });

  it('refuses a manifest object built by hand without what a run reads, naming each field', () => {
    const manifest = { version: 1, baseDir: '.', orchestrator: { name: 'docs', description: 'd', policy: { maxParallel: -1, retries: 'x' } }, agents: {} };
    const e = refusal(() => new Orchestrator({ manifest: manifest as never, store: new MemoryRunStore() }));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.details).toEqual([
      'manifest.orchestrator.subagents: expected a list of names, got nothing',
      'manifest.orchestrator.deliverable: expected a list of names, got nothing',
      'manifest.orchestrator.policy.maxParallel: expected a number greater than 0, got number -1',
      'manifest.orchestrator.policy.retries: expected an integer, got "x"',
      'manifest.orchestrator.policy.taskTimeoutMs: missing',
      'manifest.orchestrator.policy.runTimeoutMs: missing',
      'manifest.orchestrator.policy.backoff: missing',
      'manifest: build it with loadManifest(), or use createOrchestrator({ name, agents }), which fill these in',
    ]);
    const noPolicy = refusal(() => new Orchestrator({ manifest: { ...manifest, orchestrator: { name: 'docs', subagents: [], deliverable: [] } } as never }));
    expect(noPolicy.details).toEqual([
      'manifest.orchestrator.policy: expected a policy (maxParallel, retries, taskTimeoutMs, runTimeoutMs, backoff), got nothing',
      'manifest: build it with loadManifest(), or use createOrchestrator({ name, agents }), which fill these in',
    ]);
  });

  it("refuses a policy's numbers as a manifest would, naming each field", () => {
    const e = thrown(() => createOrchestrator({ name: 'docs', agents: [agent()], policy: { maxParallel: 0, taskTimeoutMs: Number.NaN, retries: -1, backoff: { jitter: 2 } as never, maxTokenz: 5 } as never }));
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.details).toEqual([
      'policy.maxParallel: expected a number greater than 0, got number 0',
      'policy.taskTimeoutMs: expected an integer, got number NaN',
      'policy.retries: expected a number at least 0, got number -1',
      'policy: unknown key "maxTokenz" (did you mean "maxTokens"?); expected one of: maxParallel, retries, taskTimeoutMs, runTimeoutMs, maxOutputBytes, maxTokens, maxLlmCalls, maxReplans, approval, approvalTimeoutMs, backoff',
      'policy.backoff.jitter: expected a number from 0 to 1, got number 2',
    ]);
  });

  it("refuses an agent definition's bad fields when it is defined", () => {
    const e = thrown(() => defineAgent({ name: 'a', description: '', produces: [], retries: -1, timeoutMs: 1.5, run: () => ({}) }));
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toBe(
      "defineAgent 'a': description: expected a non-empty string, got \"\"; produces: expected at least one artifact type, got an empty list; timeoutMs: expected an integer, got number 1.5; retries: expected a number at least 0, got number -1",
    );
    expect(thrown(() => defineAgent({ name: 'a', description: 'd', produces: ['x'], run: 'nope' as never })).message).toBe("defineAgent 'a': run: expected a function (input, ctx) => output");
  });

  it('builds an orchestrator from good parts, which then runs', async () => {
    const store = new MemoryRunStore();
    const dir = mkdtempSync(join(tmpdir(), 'baton-options-'));
    try {
      const orchestrator = createOrchestrator({ name: 'docs', agents: [agent()], store, outDir: (id) => join(dir, id) });
      const result = await orchestrator.run('some text');
      expect(result.status).toBe('succeeded');
      expect((await store.getRun(result.runId))?.status).toBe('succeeded');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
