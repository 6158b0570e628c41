import { it } from 'vitest';
import { LlmPlanner } from '../src/planning/llm-planner.ts';
import { scriptedAgent } from '../../core/src/testing/index.ts';
import { Orchestrator } from '../../core/src/orchestrator.ts';
import { ScriptedModel } from '../src/testing/index.ts';
import { manifestOf } from './helpers.ts';

function salesTeam() {
  return ['data', 'analytics', 'summary'].map((name, i) =>
    scriptedAgent({ name, consumes: i === 0 ? [] : [['sales-dataset', 'metrics'][i - 1]!], produces: [['sales-dataset', 'metrics', 'summary'][i]!] }),
  );
}
const t = (o: Record<string, unknown>) => ({ id: 't1', title: 'x', instructions: 'x', agent: 'data', dependsOn: [], consumes: [], produces: ['sales-dataset'], ...o });
const cases: Record<string, unknown> = {
  protoAgent: { tasks: [t({ agent: '__proto__' })], requested: ['sales-dataset'] },
  ctorAgent: { tasks: [t({ agent: 'constructor' })], requested: ['sales-dataset'] },
  protoProduces: { tasks: [t({ produces: ['__proto__'] })], requested: ['__proto__'] },
  protoId: { tasks: [t({ id: '__proto__' })], requested: ['sales-dataset'] },
  ctorDep: { tasks: [t({ dependsOn: ['constructor'] })], requested: ['sales-dataset'] },
  toStrConsumes: { tasks: [t({ consumes: ['toString'] })], requested: ['toString'] },
  cycle: { tasks: [t({ id: 'a', dependsOn: ['b'] }), t({ id: 'b', dependsOn: ['a'] })], requested: ['sales-dataset'] },
  dup: { tasks: [t({}), t({})], requested: ['sales-dataset'] },
  selfdep: { tasks: [t({ dependsOn: ['t1'] })], requested: ['sales-dataset'] },
  emptyId: { tasks: [t({ id: '' })], requested: ['sales-dataset'] },
  hugeId: { tasks: [t({ id: 'x'.repeat(1_000_000) })], requested: ['sales-dataset'] },
  refusedWithTasks: { tasks: [t({})], requested: ['sales-dataset'], refused: 'no' },
  emptyPlan: { tasks: [], requested: [] },
  emptyRefusal: { tasks: [], requested: [], refused: '   ' },
};
for (const [name, json] of Object.entries(cases)) {
  it(name, async () => {
    const model = new ScriptedModel(() => ({ json }));
    const m = manifestOf(salesTeam(), { deliverable: ['sales-dataset'] });
    const orch = new Orchestrator({ manifest: m, agents: salesTeam(), planner: new LlmPlanner({ resolveModel: model.resolver() }) });
    try {
      const r = await orch.run('Q2 sales dataset');
      console.log(name, r.status, r.planner, r.plan.tasks.map((x) => x.id.slice(0, 20)).join(','), (r.reason ?? '').slice(0, 200), '|', (r.plan.notes ?? []).join(';').slice(0, 300));
    } catch (e) { console.log(name, 'THREW', String(e).slice(0, 300)); }
    await orch.close();
  }, 60000);
}
