// Tests the workflow with Node's test runner (`npm test`) and Baton's testing helpers: the shell
// agent is replaced by a scripted one that keeps its schema, so the test knows the facts and can
// make the agent fail or answer badly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadManifest, Orchestrator } from 'batonjs';
import type { Manifest } from 'batonjs';
import { scriptedAgent } from 'batonjs/testing';
import type { ScriptStep } from 'batonjs/testing';

const manifestFile = fileURLToPath(new URL('../baton.yaml', import.meta.url));
const facts = { system: 'Linux', release: '6.1', architecture: 'x86_64', processors: 1, diskTotalMB: 1000, diskFreeMB: 50, checkedAt: '2026-01-01T00:00:00Z' };

/** The `facts` agent of the manifest, played by a script, validated by the manifest's schema. */
function scriptedFacts(manifest: Manifest, script: ScriptStep[]) {
  const schema = manifest.agents['facts']?.output['machine-facts']?.schema;
  return scriptedAgent({ name: 'facts', produces: ['machine-facts'], ...(schema ? { schemas: { 'machine-facts': schema } } : {}), script });
}

test('the report is written from the facts, after the facts agent is retried once', async () => {
  const manifest = await loadManifest(manifestFile);
  const facts1 = scriptedFacts(manifest, [{ throw: 'df: cannot read the disk' }, { output: { 'machine-facts': facts } }]);
  const orchestrator = new Orchestrator({ manifest, agents: [facts1] });
  const result = await orchestrator.run('Describe this machine');

  assert.equal(result.status, 'succeeded');
  assert.deepEqual(result.plan.tasks.map((t) => t.agent), ['facts', 'report']);
  assert.equal(facts1.calls.length, 2, 'the failed attempt was retried');
  const report = result.deliverable.artifacts['machine-report'] as { headline: string; notes: string[] };
  assert.match(report.headline, /Linux x86_64 with 1 processor/);
  assert.ok(report.notes.some((n) => n.includes('Less than 10%')));
  await orchestrator.close();
});

test('an answer that does not match the schema is rejected, and the run fails', async () => {
  const manifest = await loadManifest(manifestFile);
  const orchestrator = new Orchestrator({ manifest, agents: [scriptedFacts(manifest, [{ output: { 'machine-facts': { system: 'Linux' } } }])] });
  const result = await orchestrator.run('Describe this machine');

  assert.equal(result.status, 'failed');
  const attempt = result.tasks.find((t) => t.agent === 'facts')?.attempts[0];
  assert.equal(attempt?.status, 'invalid');
  assert.match(attempt?.error ?? '', /processors/);
  await orchestrator.close();
});
