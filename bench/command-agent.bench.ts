/**
 * `node --import tsx bench/command-agent.bench.ts [otherProcesses]`: what Baton adds to a command
 * agent's attempt, from the built dist/. A one-task run whose agent is `sh` reading its input and
 * printing one small JSON object, 30 times after two unmeasured runs, with `otherProcesses`
 * (default 0) sleeping processes added to the host's. Every attempt ends with a pass over /proc
 * that kills whatever the agent left running (found by the token in each process's environment),
 * so its cost grows with the processes on the host: `passMs` is that pass alone, finding nothing.
 * Medians; figures only. The last line is the JSON of them.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { manifestFromObject, MemoryRunStore, Orchestrator, StaticPlanner } from 'batonjs';
import { killAgentProcesses } from 'batonjs/internal';

const otherProcesses = Number(process.argv[2] ?? 0);
const RUNS = 30;

const manifest = await manifestFromObject(
  {
    version: 1,
    orchestrator: { name: 'bench', description: 'one command agent', instructions: 'none', subagents: ['echo'], deliverable: ['answer'] },
    agents: {
      echo: { description: 'prints one small JSON object', produces: ['answer'], kind: 'command', command: ['sh', '-c', 'cat > /dev/null; echo \'{"answer": {"ok": true}}\''] },
    },
  },
  { baseDir: process.cwd() },
);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const sleepers = Array.from({ length: otherProcesses }, () => spawn('sleep', ['600'], { stdio: 'ignore' }));
try {
  await new Promise((resolve) => setTimeout(resolve, 1_000 + otherProcesses));
  const plan = { tasks: [{ id: 'echo', title: 'echo', instructions: '', agent: 'echo', dependsOn: [], consumes: [], produces: ['answer'] }], requested: ['answer'] };
  const o = new Orchestrator({ manifest, planner: new StaticPlanner(plan), store: new MemoryRunStore() });
  const attempts: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const t0 = performance.now();
    const r = await o.run('bench');
    if (r.status !== 'succeeded') throw new Error(`run ended ${r.status}: ${r.reason ?? ''}`);
    if (i >= 2) attempts.push(performance.now() - t0);
  }
  await o.close();
  const passes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await killAgentProcesses(['nobody.0']);
    passes.push(performance.now() - t0);
  }
  const hostProcesses = process.platform === 'linux' ? readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length : undefined;
  console.log(JSON.stringify({ case: `command-agent ${otherProcesses}`, hostProcesses, runMs: median(attempts), passMs: median(passes) }));
} finally {
  for (const s of sleepers) s.kill('SIGKILL');
}
