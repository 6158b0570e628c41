import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestError } from '../../src/core/errors.ts';
import { manifestFromObject, parseManifest } from '../../src/manifest/index.ts';
import { Orchestrator } from '../../src/orchestrator.ts';
import { AgentRegistry } from '../../src/agents/registry.ts';
import { startRemoteAgent } from '../../../server/test/a2a-remote.ts';
import type { RemoteAgent } from '../../../server/test/a2a-remote.ts';

const dir = path.resolve(import.meta.dirname, '../fixtures/versions');
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-versions-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let logs = 0;

/** A two-step manifest: `data` (the agent under test, producing `dataset`) then a command agent that logs each run. */
async function manifestWith(data: Record<string, unknown>) {
  const log = path.join(tmp, `run-${++logs}.log`);
  const manifest = await manifestFromObject(
    {
      version: 1,
      orchestrator: { name: 'reports', description: 'Builds reports', subagents: ['data', 'summary'], deliverable: ['summary'], policy: { retries: 0 } },
      agents: {
        data: { description: 'Extracts the dataset', produces: ['dataset'], ...data },
        summary: { description: 'Summarises the dataset', consumes: ['dataset'], produces: ['summary'], kind: 'command', command: ['node', 'agents/log-run.mjs'], env: { RUN_LOG: log } },
      },
    },
    { baseDir: dir },
  );
  return { manifest, log };
}

async function run(data: Record<string, unknown>) {
  const { manifest, log } = await manifestWith(data);
  const orchestrator = new Orchestrator({ manifest });
  try {
    const result = await orchestrator.run('the summary');
    return { result, ran: existsSync(log) ? readFileSync(log, 'utf8') : '' };
  } finally {
    await orchestrator.close();
  }
}

const moduleAgent = (file: string, version?: string) => ({ kind: 'module', module: `agents/${file}`, ...(version === undefined ? {} : { version }) });
/** `data` always fails, so the scheduler turns to `backup`, a capable stand-in (not a fallback). */
function standInManifest(backup: Record<string, unknown>) {
  return manifestFromObject(
    {
      version: 1,
      orchestrator: { name: 'reports', description: 'Builds reports', subagents: ['data', 'backup'], deliverable: ['dataset'], policy: { retries: 0 } },
      agents: {
        data: { description: 'Extracts the dataset', produces: ['dataset'], kind: 'module', module: 'agents/fails.mjs' },
        backup: { description: 'Extracts the dataset elsewhere', produces: ['dataset'], ...backup },
      },
    },
    { baseDir: dir },
  );
}
const commandAgent = (reported: string, version: string) => ({
  kind: 'command',
  command: ['node', 'agents/dataset.mjs'],
  versionCommand: ['node', 'agents/version.mjs', reported],
  version,
});

describe('version pins', () => {
  it('runs a module agent inside its range and records the version it reported, not the range', async () => {
    const { result, ran } = await run(moduleAgent('reports-1.4.2.mjs', '^1.2.0'));
    expect(result.status).toBe('succeeded');
    const data = result.tasks.find((t) => t.agent === 'data')!;
    expect(data.attempts[0]?.agentVersion).toBe('1.4.2');
    expect(result.deliverable.provenance.summary?.agentVersion).toBe('0.0.0');
    expect(ran).toContain('ran t2-');
  });

  it('refuses a module agent outside its pin before any agent runs, saying where each version came from', async () => {
    const { result, ran } = await run(moduleAgent('reports-1.4.2.mjs', '~1.3'));
    expect(result.status).toBe('failed');
    expect(result.tasks.every((t) => t.attempts.length === 0)).toBe(true);
    expect(ran).toBe('');
    expect(result.reason).toContain("agent 'data' reports version 1.4.2");
    expect(result.reason).toContain(`export const version in ${path.join(dir, 'agents/reports-1.4.2.mjs')}`);
    expect(result.reason).toContain('outside its pin ~1.3 (agents.data.version');
  });

  it('refuses a pinned module agent that cannot load, naming what stops the load before the pin', async () => {
    const { result, ran } = await run(moduleAgent('no-default.mjs', '^1'));
    expect(result.status).toBe('failed');
    expect(ran).toBe('');
    expect(result.reason).toMatch(/^agent 'data': .*no-default\.mjs must default-export a function .*; found no default export \(agent 'data' is pinned to \^1 at agents\.data\.version/);
  });

  it('an exact version pins exactly; an agent that reports nothing runs under the manifest version', async () => {
    expect((await run(moduleAgent('reports-1.4.2.mjs', '1.4.1'))).result.reason).toContain('outside its pin 1.4.1');
    const { result } = await run(moduleAgent('reports-none.mjs', '^2.0.0'));
    expect(result.status).toBe('succeeded');
    expect(result.tasks.find((t) => t.agent === 'data')?.attempts[0]?.agentVersion).toBe('^2.0.0');
    const exact = await run(moduleAgent('reports-none.mjs', '2.1.0'));
    expect(exact.result.deliverable.provenance.summary).toBeDefined();
    expect(exact.result.tasks.find((t) => t.agent === 'data')?.attempts[0]?.agentVersion).toBe('2.1.0');
  });

  it("reads a command agent's version from its versionCommand", async () => {
    const ok = await run(commandAgent('v1.5.0', '>=1 <2'));
    expect(ok.result.status).toBe('succeeded');
    expect(ok.result.tasks.find((t) => t.agent === 'data')?.attempts[0]?.agentVersion).toBe('1.5.0');

    const out = await run(commandAgent('2.0.0', '>=1 <2'));
    expect(out.result.status).toBe('failed');
    expect(out.result.reason).toContain(`agent 'data' reports version 2.0.0 (versionCommand ["node","agents/version.mjs","2.0.0"]), outside its pin >=1 <2`);
    expect(out.ran).toBe('');

    const broken = await run(commandAgent('fail', '^1'));
    expect(broken.result.reason).toBe(`agent 'data' is pinned to ^1 (agents.data.version) but its version could not be read from versionCommand ["node","agents/version.mjs","fail"]: exited with code 3: no version here`);
    const garbage = await run(commandAgent('latest', '^1'));
    expect(garbage.result.reason).toContain('reports "latest"');
    expect(garbage.result.reason).toContain('not a semver version');
  });

  it('checks a capable stand-in when the scheduler first turns to it, and does not run it outside its pin', async () => {
    const manifest = await standInManifest(moduleAgent('reports-1.4.2.mjs', '^2'));
    const orchestrator = new Orchestrator({ manifest });
    const result = await orchestrator.run('the dataset');
    await orchestrator.close();
    const attempts = result.tasks[0]?.attempts ?? [];
    expect(attempts.map((a) => [a.agent, a.status])).toEqual([
      ['data', 'failed'],
      ['backup', 'failed'],
    ]);
    expect(attempts[1]?.error).toContain("agent 'backup' reports version 1.4.2");
    // The attempt of a refused agent shows the version it reported, not its pin.
    expect(attempts[1]?.agentVersion).toBe('1.4.2');
    expect(result.status).toBe('failed');
  });

  it('does not start a stand-in whose run is cancelled while it loads, nor call it', async () => {
    const manifest = await standInManifest(moduleAgent('slow-standin.mjs'));
    const marker = path.join(tmp, 'stand-in-ran');
    process.env.RAN_MARKER = marker;
    process.env.SLOW_LOAD_MS = '1500';
    const orchestrator = new Orchestrator({ manifest });
    const seen: string[] = [];
    let cancelledAt = 0;
    try {
      const result = await orchestrator.run('the dataset', {
        onEvent: (e) => {
          seen.push(e.type === 'task.started' ? `task.started ${e.agent}` : e.type);
          if (e.type === 'task.reassigned') {
            setTimeout(() => {
              cancelledAt = Date.now();
              orchestrator.cancel(e.runId, 'not wanted any more');
            }, 200);
          }
        },
      });
      // It ends at once: it does not wait for the stand-in to load.
      expect(Date.now() - cancelledAt).toBeLessThan(1_000);
      expect(result.status).toBe('cancelled');
      expect(seen.slice(seen.indexOf('task.reassigned'))).toEqual(['task.reassigned', 'task.cancelled', 'run.ended']);
      expect(result.tasks[0]?.attempts.map((a) => a.agent)).toEqual(['data']);
      // Its module loads on (the orchestrator keeps the agent), but it is never called.
      await new Promise((resolve) => setTimeout(resolve, 1_800));
    } finally {
      await orchestrator.close();
      delete process.env.RAN_MARKER;
      delete process.env.SLOW_LOAD_MS;
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('records the version a capable stand-in reports in its first attempt and in the provenance, pinned or not', async () => {
    for (const pin of ['^1', undefined]) {
      const manifest = await standInManifest(moduleAgent('reports-1.4.2.mjs', pin));
      const orchestrator = new Orchestrator({ manifest });
      try {
        const result = await orchestrator.run('the dataset');
        expect(result.status).toBe('succeeded');
        const attempts = result.tasks[0]?.attempts ?? [];
        expect(attempts.map((a) => [a.agent, a.status, a.agentVersion])).toEqual([
          ['data', 'failed', '0.0.0'],
          ['backup', 'succeeded', '1.4.2'],
        ]);
        expect(result.deliverable.provenance.dataset).toMatchObject({ agent: 'backup', agentVersion: '1.4.2' });
      } finally {
        await orchestrator.close();
      }
    }
  });

  it("refuses a pinned agent whose version() gives something other than a string (an A2A card's version here), and runs an unpinned one under its manifest version", async () => {
    const registry = new AgentRegistry().register('a2a', (spec) => ({ spec, run: async () => ({ dataset: { rows: 1 } }), version: async () => 2 as unknown as string }));
    const orchestrate = async (version?: string) => {
      const { manifest } = await manifestWith({ kind: 'a2a', url: 'http://127.0.0.1:9/', ...(version === undefined ? {} : { version }) });
      const orchestrator = new Orchestrator({ manifest, registry });
      try {
        return await orchestrator.run('the summary');
      } finally {
        await orchestrator.close();
      }
    };
    const pinned = await orchestrate('^1');
    expect(pinned.status).toBe('failed');
    expect(pinned.reason).toBe("agent 'data' is pinned to ^1 (agents.data.version) but reports a number (the agent card at http://127.0.0.1:9/), not a version such as 1.2.0");
    const loose = await orchestrate();
    expect(loose.status).toBe('succeeded');
    expect(loose.tasks.find((t) => t.agent === 'data')?.attempts[0]?.agentVersion).toBe('0.0.0');
  });

  describe('a2a agents', () => {
    let remote: RemoteAgent;
    beforeAll(async () => {
      remote = await startRemoteAgent('dataset', 'artifact');
    });
    afterAll(async () => remote.close());

    it("checks the agent card's version", async () => {
      const refused = await run({ kind: 'a2a', url: remote.url, version: '^2' });
      expect(refused.result.status).toBe('failed');
      expect(refused.result.reason).toContain(`agent 'data' reports version 1.0.0 (the agent card at ${remote.url}), outside its pin ^2`);
      expect(remote.inputs).toHaveLength(0);
    });

    it('runs an agent whose card is inside its pin and records the card version', async () => {
      // The fake remote answers with a "summary" artifact, which is not a dataset: only that it ran matters here.
      const { result } = await run({ kind: 'a2a', url: remote.url, version: '^1' });
      expect(result.tasks.find((t) => t.agent === 'data')?.attempts[0]?.agentVersion).toBe('1.0.0');
      expect(remote.inputs).toHaveLength(1);
    });
  });
});

describe('baton worker', () => {
  it('does not start with an agent outside its pin, before reaching Redis', async () => {
    const { manifest } = await manifestWith(moduleAgent('reports-1.4.2.mjs', '^2'));
    const { AgentWorker } = await import('../../../scale/src/agent-worker.ts');
    const error = await AgentWorker.start({ manifest, url: 'redis://127.0.0.1:1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AGENT_VERSION_REFUSED', message: expect.stringContaining("agent 'data' reports version 1.4.2") });
  });
});

describe('version field in the manifest', () => {
  const yaml = (data: string[]) =>
    [
      'version: 1',
      'orchestrator:',
      '  name: reports',
      '  description: Builds reports',
      '  subagents: [data]',
      'agents:',
      '  data:',
      '    description: Extracts data',
      '    produces: [dataset]',
      ...data,
    ].join('\n');

  it('accepts exact versions and ranges, and keeps 0.0.0 without a pin when none is given', async () => {
    const load = (lines: string[]) => parseManifest(yaml(lines), { file: 'baton.yaml', baseDir: dir });
    const pinned = await load(['    kind: command', '    command: [node, x.js]', '    version: ">=1.2 <2"', '    versionCommand: [node, v.js]']);
    expect(pinned.agents['data']).toMatchObject({ version: '>=1.2 <2', versionPin: '>=1.2 <2', versionCommand: ['node', 'v.js'] });
    const plain = await load(['    kind: command', '    command: [node, x.js]']);
    expect(plain.agents['data']?.version).toBe('0.0.0');
    expect(plain.agents['data']?.versionPin).toBeUndefined();
  });

  it('rejects a version that is neither a version nor a range, and versionCommand on another kind, with the line', async () => {
    const error = await parseManifest(yaml(['    kind: module', '    module: agents/reports-none.mjs', '    version: latest', '    versionCommand: [node, v.js]']), { file: 'baton.yaml', baseDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    const problems = (error as ManifestError).problems;
    expect(problems).toContainEqual(
      expect.objectContaining({ path: 'agents.data.version', line: 12, message: 'expected a version (1.2.0) or a semver range (^1.2.0, ~1.2, >=1 <2), got "latest"' }),
    );
    expect(problems).toContainEqual(expect.objectContaining({ path: 'agents.data.versionCommand', line: 13, message: expect.stringContaining('only for agents of kind command') }));
  });
});
