import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { VersionGate } from '../../src/agents/version-gate.ts';
import { WARM_UP } from '../../src/agents/warm-up.ts';
import type { Agent } from '../../src/core/contracts.ts';
import type { AgentSpec, Manifest, Plan } from '../../src/core/types.ts';
import { manifestFromObject } from '../../src/manifest/index.ts';
import { Orchestrator } from '../../src/orchestrator.ts';
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
  const gate = new VersionGate(
    manifest,
    async (name) => {
      built.push(name);
      return made.get(name)!;
    },
    (name) => made.get(name),
  );
  return { gate, built, warmed };
}

const planOf = (...agents: string[]): Plan => ({ tasks: agents.map((agent, i) => ({ id: `t${i}`, title: agent, instructions: '', agent, dependsOn: [], consumes: [], produces: [`a${i}`] })) });
const settled = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 10));

describe('the version gate', () => {
  it('waits only for the agents a pin could refuse: one without a pin is never refused', async () => {
    const { gate, built } = gateOf({ data: { pin: '^1', reported: '1.2.0' }, slow: { reported: 'hangs' } });
    expect(await gate.refusal(planOf('data', 'slow'))).toBeUndefined();
    expect(built.sort()).toEqual(['data', 'slow']);
    expect(gate.versionOf('data')).toBe('1.2.0');
  });

  it('still refuses a planned agent outside its pin, and starts none that was refused', async () => {
    const { gate, warmed } = gateOf({ data: { pin: '^2', reported: '1.2.0' }, other: {} });
    expect(await gate.refusal(planOf('data', 'other'))).toContain("agent 'data' reports version 1.2.0");
    await settled();
    expect(warmed).toEqual(['other']);
  });

  it('builds the pinned fallbacks of the plan up front, the others when first called on', async () => {
    const { gate, built } = gateOf({ data: { pin: '1.0.0', reported: '1.0.0', fallback: ['pinned', 'loose'] }, pinned: { pin: '^1', reported: '1.1.0' }, loose: {} });
    expect(await gate.refusal(planOf('data'))).toBeUndefined();
    expect(built.sort()).toEqual(['data', 'pinned']);
    await gate.agent('loose');
    expect(built).toContain('loose');
  });

  it('starts what the planned agents need ahead of their first attempt, not what a fallback would', async () => {
    const { gate, warmed } = gateOf({ data: { pin: '1.0.0', reported: '1.0.0', fallback: ['replica'] }, replica: { pin: '1.0.0' }, report: {} });
    await gate.refusal(planOf('data', 'report'));
    await settled();
    expect(warmed.sort()).toEqual(['data', 'report']);
  });
});

describe('a run and the agents it does not need to wait for', () => {
  afterEach(() => {
    delete process.env['LOADED_MARKER'];
  });

  async function firstTaskSawSlowLoaded(slowVersion: string | undefined): Promise<boolean> {
    const marker = path.join(tmp, `loaded-${slowVersion ?? 'unpinned'}`);
    process.env['LOADED_MARKER'] = marker;
    const manifest = await manifestFromObject(
      {
        version: 1,
        orchestrator: { name: 'pair', description: 'Two independent steps', subagents: ['fast', 'slow'], deliverable: ['fast', 'slow'], policy: { retries: 0 } },
        agents: {
          fast: { description: 'Answers at once', produces: ['fast'], kind: 'module', module: 'agents/sees-marker.mjs' },
          slow: { description: 'Loads slowly', produces: ['slow'], kind: 'module', module: 'agents/slow-load.mjs', ...(slowVersion === undefined ? {} : { version: slowVersion }) },
        },
        workflows: { both: { description: 'Both at once', tasks: [{ id: 'f', agent: 'fast' }, { id: 's', agent: 'slow' }] } },
      },
      { baseDir: dir },
    );
    const orchestrator = new Orchestrator({ manifest });
    try {
      const result = await orchestrator.run('', { workflow: 'both' });
      expect(result.status).toBe('succeeded');
      expect(existsSync(marker)).toBe(true);
      return (result.deliverable.artifacts['fast'] as { slowLoaded: boolean }).slowLoaded;
    } finally {
      await orchestrator.close();
    }
  }

  it('starts its first task before an unpinned agent of the plan has loaded', async () => {
    expect(await firstTaskSawSlowLoaded(undefined)).toBe(false);
  });

  it('waits for a pinned one (its version is checked before any agent runs)', async () => {
    expect(await firstTaskSawSlowLoaded('1.0.0')).toBe(true);
  });

  it('does not load an unpinned fallback while its primary succeeds', async () => {
    const marker = path.join(tmp, 'fallback-loaded');
    process.env['LOADED_MARKER'] = marker;
    const manifest = await manifestFromObject(
      {
        version: 1,
        orchestrator: { name: 'data', description: 'Extracts data', subagents: ['data', 'backup'], deliverable: ['dataset'], policy: { retries: 0 } },
        agents: {
          data: { description: 'Extracts the dataset', produces: ['dataset'], kind: 'module', module: 'agents/reports-1.4.2.mjs', version: '^1', fallback: ['backup'] },
          backup: { description: 'Extracts the dataset elsewhere', produces: ['dataset'], kind: 'module', module: 'agents/marks-load.mjs' },
        },
      },
      { baseDir: dir },
    );
    const orchestrator = new Orchestrator({ manifest });
    try {
      expect((await orchestrator.run('the dataset')).status).toBe('succeeded');
    } finally {
      await orchestrator.close();
    }
    expect(existsSync(marker)).toBe(false);
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
