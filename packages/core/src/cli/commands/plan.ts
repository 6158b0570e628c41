import { Orchestrator } from '../../orchestrator.ts';
import { explainPlan } from '../../planning/index.ts';
import type { CommonOptions } from '../context.ts';
import { readManifest } from '../context.ts';
import { createPlanner } from '../planner-choice.ts';

/** `baton plan "<goal>"`: the plan only, nothing runs. */
export async function planCommand(goal: string, opts: CommonOptions & { json?: boolean; planner?: string }): Promise<number> {
  const manifest = await readManifest(opts);
  const planner = await createPlanner(opts.planner, manifest);
  const orchestrator = new Orchestrator({ manifest, ...(planner ? { planner } : {}) });
  const outcome = await orchestrator.plan(goal);
  if (opts.json) process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
  else process.stdout.write(`${explainPlan(outcome.plan)}\n${outcome.reason ? `\n(${outcome.planner} planner: ${outcome.reason})\n` : ''}`);
  return 0;
}
