import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VersionGate } from '../../src/agents/version-gate.ts';
import { WARM_UP } from '../../src/agents/warm-up.ts';
import type { Agent } from '../../src/core/contracts.ts';
import type { AgentSpec, Manifest, Plan } from '../../src/core/types.ts';
import { REPO_ROOT, TS_NODE_ARGS } from '../support/paths.ts';

const dir = path.resolve(import.meta.dirname, '../fixtures/versions');
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-gate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Agents of a gate, each reporting `reported` (a promise that never settles when 'hangs'), with what was built and warmed. */
function gateOf(agents: Record<string, { pin?: string; reported?: string | 'hangs'; fallback?: string[] }>) {
  const built: string[] = [];
  const warmed: string[] = [];
  const specs: Record<string, AgentSpec> = {};
  const made = new Map<string, Agent>();
  for (const [name, a] of Object.entries(agents)) {
    const spec = { name, kind: 'code', version: a.pin ?? '0.0.0', ...(a.pin === undefined ? {} : { versionPin: a.pin }), fallback: a.fallback ?? [] } as unknown as AgentSpec;
    specs[name] = spec;
    const agent = {
      spec,
      run: async () => ({}),
      version: () => (a.reported === 'hangs' ? new Promise<string>(() => undefined) : Promise.resolve(a.reported)),
      [WARM_UP]: () => warmed.push(name),
    };
    made.set(name, agent);
  }
  const manifest = { agents: specs } as unknown as Manifest;
  // As the orchestrator's pool: each agent built once, whoever asks.
  const builds = new Map<string, Promise<Agent>>();
  const build = (name: string): Promise<Agent> => {
    let p = builds.get(name);
    if (!p) {
      built.push(name);
      p = Promise.resolve(made.get(name)!);
      builds.set(name, p);
    }
    return p;
  };
  const gate = new VersionGate(manifest, build, (name) => made.get(name));
  return { gate, built, warmed };
}

const planOf = (...agents: string[]): Plan => ({ tasks: agents.map((agent, i) => ({ id: `t${i}`, title: agent, instructions: '', agent, dependsOn: [], consumes: [], produces: [`a${i}`] })) });
const settled = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10));

describe('the version gate', () => {
  it('waits for every agent the plan names and their fallbacks, pinned or not', async () => {
    const { gate, built } = gateOf({ data: { pin: '^1', reported: '1.2.0', fallback: ['loose'] }, loose: { reported: '2.0.0' }, report: { reported: '0.3.0' } });
    expect(await gate.refusal(planOf('data', 'report'))).toBeUndefined();
    expect(built.sort()).toEqual(['data', 'loose', 'report']);
    expect([gate.versionOf('data'), gate.versionOf('loose'), gate.versionOf('report')]).toEqual(['1.2.0', '2.0.0', '0.3.0']);
  });

  it('starts what the planned agents need once they are built, while their versions are read; not what a fallback would', async () => {
    const { gate, warmed } = gateOf({ data: { pin: '1.0.0', reported: 'hangs', fallback: ['replica'] }, replica: { pin: '1.0.0' }, report: {} });
    void gate.refusal(planOf('data', 'report'));
    await settled();
    expect(warmed.sort()).toEqual(['data', 'report']);
  });

  it('starts an agent a later plan names, though it was checked as a fallback before', async () => {
    const { gate, warmed } = gateOf({ data: { pin: '1.0.0', reported: '1.0.0', fallback: ['replica'] }, replica: { pin: '1.0.0' } });
    await gate.refusal(planOf('data'));
    await gate.refusal(planOf('data'));
    expect(gate.passes(planOf('data'))).toBe(true);
    expect(gate.passes(planOf('replica'))).toBe(false);
    await gate.refusal(planOf('replica'));
    await settled();
    expect(warmed).toEqual(['data', 'replica']);
  });
});

/**
 * Runs a one-task run whose task's agent (`data`, a module agent) has a command agent as its
 * fallback, or is that command agent, in a fresh process, and returns how many launcher
 * processes that process has once the run ended (command agents are started through one).
 */
function launchersAfterRun(commandIsPrimary: boolean): number {
  const script = `
import { readdirSync, readFileSync } from 'node:fs';
import { manifestFromObject, Orchestrator } from ${JSON.stringify(path.join(REPO_ROOT, 'packages/core/src/index.ts'))};
const manifest = await manifestFromObject({
  version: 1,
  orchestrator: { name: 'data', description: 'Extracts data', subagents: ['data', 'replica'], deliverable: ['dataset'], policy: { retries: 0 } },
  agents: {
    data: { description: 'Extracts the dataset', produces: ['dataset'], kind: 'module', module: 'agents/reports-1.4.2.mjs', version: '^1', fallback: ['replica'] },
    replica: { description: 'Extracts the dataset in a process', produces: ['dataset'], kind: 'command', command: ['node', 'agents/dataset.mjs'], version: '1.0.0' },
  },
  workflows: { primary: { description: 'data', tasks: [{ id: 'd', agent: ${commandIsPrimary ? "'replica'" : "'data'"} }] } },
}, { baseDir: ${JSON.stringify(dir)} });
const orchestrator = new Orchestrator({ manifest });
const result = await orchestrator.run('', { workflow: 'primary' });
if (result.status !== 'succeeded') throw new Error(result.reason);
const children = readdirSync('/proc/self/task').flatMap((t) => readFileSync('/proc/self/task/' + t + '/children', 'utf8').trim().split(' ').filter(Boolean));
// (tsx's esbuild service is a child too)
const launchers = children.filter((pid) => readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes('launcher-process'));
console.log(launchers.length);
await orchestrator.close();
`;
  const file = path.join(tmp, `probe-${commandIsPrimary ? 'primary' : 'fallback'}.mts`);
  writeFileSync(file, script);
  const out = execFileSync(process.execPath, [...TS_NODE_ARGS, file], { cwd: REPO_ROOT, encoding: 'utf8' });
  return Number(out.trim().split('\n').at(-1));
}

describe.runIf(process.platform === 'linux')("command agents' launcher process", () => {
  it('is not started for a command agent that is only a fallback, and is for one the plan names', () => {
    expect(launchersAfterRun(false)).toBe(0);
    expect(launchersAfterRun(true)).toBe(1);
  });
});
