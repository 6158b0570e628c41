import { indexManifest } from '../../src/planning/manifest-index.ts';
import { GoalWords } from '../../src/planning/text-match.ts';
import { readGoal } from '../../src/planning/goal-match.ts';
import { ProducerChain } from '../../src/planning/producer-chain.ts';
import { buildTasks } from '../../src/planning/build-tasks.ts';
import { agent, manifest } from './fixtures.ts';
import type { AgentSpec } from '../../src/core/types.ts';
function layered(size: number, inputsOf: (i: number) => number[]) {
  const agents: AgentSpec[] = [];
  for (let i = 0; i < size; i++) agents.push(agent(`agent-${i}`, { description: `Builds part ${i} of the product for the warehouse team`, capabilities: [`skill${i}`, `assembly line ${i}`], consumes: inputsOf(i).map((j) => `part-${j}`), produces: [`part-${i}`] }));
  return manifest({ name: 'factory', description: 'Assembles products', deliverable: [`part-${size - 1}`] }, agents);
}
const N = Number(process.env.N); for (let k = 0; k < 4; k++) {
  const m = layered(N, (i) => (i === 0 ? [] : [i - 1]));
  let t = process.cpuUsage(); const lap = (l: string) => { const n = process.cpuUsage(t); process.stdout.write(`${l} ${((n.user + n.system) / 1000).toFixed(1)}  `); t = process.cpuUsage(); };
  const idx = indexManifest(m); lap('index');
  const g = new GoalWords('the product please'); readGoal(g, idx); lap('read');
  const c = new ProducerChain(idx, g, m); c.need(`part-${N-1}`, { kind: 'requested', reason: 'x' }); lap('chain');
  buildTasks('the product please', c, idx, new Set(['part-${N-1}'])); lap('tasks'); console.log();
}
