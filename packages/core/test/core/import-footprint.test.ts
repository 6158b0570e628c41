import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { modulesLoadedBy, packagesLoadedBy, RECORD_LOADS } from '../support/module-loads.ts';
import { BATON_BIN, REPO_ROOT, SALES_REPORT, TS_NODE_ARGS } from '../support/paths.ts';

// Imports Baton's main entry in a fresh process, then (optionally) reads a manifest, and prints
// the npm packages loaded after each step: ESM loads seen by a module hook, CommonJS ones in
// require.cache.
const probe = `${RECORD_LOADS}
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const settle = () => new Promise((r) => setTimeout(r, 100));
const packages = () => [...new Set([...urls, ...Object.keys(require.cache)].flatMap((u) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(u)?.[1] ?? []))].sort();
const baton = await import('batonjs');
await settle();
const afterImport = packages();
if (process.env.MANIFEST) await baton.loadManifest(process.env.MANIFEST);
await settle();
console.log(JSON.stringify({ afterImport, afterManifest: packages() }));
`;

function loadedPackages(manifest?: string): { afterImport: string[]; afterManifest: string[] } {
  const out = execFileSync(process.execPath, [...TS_NODE_ARGS, '--input-type=module', '-e', probe], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...(manifest ? { MANIFEST: manifest } : {}) },
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { afterImport: string[]; afterManifest: string[] };
}

// What only manifests, plan checks and schemas need: an orchestrator defined in code loads none of it.
const ON_FIRST_USE = ['ajv', 'ajv-formats', 're2js', 'semver', 'yaml', 'zod'];

describe('importing the main entry', () => {
  it('loads neither zod, yaml, semver, re2js nor ajv; reading a manifest loads them', () => {
    const { afterImport, afterManifest } = loadedPackages(path.join(SALES_REPORT, 'baton.yaml'));
    expect(afterImport.filter((p) => ON_FIRST_USE.includes(p))).toEqual([]);
    expect(afterManifest).toEqual(expect.arrayContaining(['semver', 'yaml', 'zod']));
  });
});

// Imports entries (a package entry, or files) in a fresh process and prints the core's files loaded.
const coreFilesProbe = `${RECORD_LOADS}
for (const entry of JSON.parse(process.env.ENTRIES)) await import(entry);
await new Promise((r) => setTimeout(r, 100));
console.log(JSON.stringify(urls.filter((u) => u.includes('/packages/core/src/')).map((u) => u.replace(/.*\\/packages\\/core\\//, ''))));
`;

function coreFilesLoadedBy(...entries: string[]): string[] {
  const out = execFileSync(process.execPath, [...TS_NODE_ARGS, '--input-type=module', '-e', coreFilesProbe], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ENTRIES: JSON.stringify(entries) } });
  return JSON.parse(out.trim().split('\n').at(-1)!) as string[];
}

describe('the agent entry (batonjs/agent)', () => {
  it("loads a few of the core's files, where the main entry loads over a hundred", () => {
    const agent = coreFilesLoadedBy('batonjs/agent');
    expect(agent.length).toBeGreaterThan(0);
    expect(agent.length).toBeLessThanOrEqual(10);
    expect(coreFilesLoadedBy('batonjs').length).toBeGreaterThan(100);
  });

  // The LLM sample's agent (examples/sales-report/llm) imports batonjs-llm, which needs the main entry.
  it("is what the examples' agents/ load of Baton, not the main entry", () => {
    const agents = readdirSync(path.join(REPO_ROOT, 'examples'))
      .flatMap((example) => {
        const dir = path.join(REPO_ROOT, 'examples', example, 'agents');
        return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('-cli.ts')).map((f) => pathToFileURL(path.join(dir, f)).href) : [];
      });
    expect(agents.length).toBeGreaterThanOrEqual(6);
    const loaded = coreFilesLoadedBy(...agents);
    expect(loaded).toContain('src/agent.ts');
    expect(loaded).not.toContain('src/index.ts');
  });

  it("is the main entry's own code: its errors are instances of the same classes", async () => {
    const agent = await import('batonjs/agent');
    const main = await import('batonjs');
    expect(agent.UnrecoverableAgentError).toBe(main.UnrecoverableAgentError);
    expect(agent.BatonError).toBe(main.BatonError);
    expect(agent.defineAgent).toBe(main.defineAgent);
    expect(agent.openSqlite).toBe(main.openSqlite);
    expect(new agent.UnrecoverableAgentError('no data')).toBeInstanceOf(main.BatonError);
  });
});

// The `baton` command as a user starts it, with a module hook that writes every ES module loaded to
// a file, and the CommonJS ones (ajv, re2js and semver are required) written there at exit.
const cliProbe = `
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent('import { appendFileSync } from "node:fs"; export async function load(u, c, n) { appendFileSync(process.env.LOADED_LOG, u + "\\\\n"); return n(u, c); }'));
process.on('exit', () => appendFileSync(process.env.LOADED_LOG, Object.keys(createRequire('/probe.js').cache).join('\\n') + '\\n'));
`;

function cliPackages(args: string[]): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-cli-footprint-'));
  const log = path.join(dir, 'loaded.txt');
  try {
    execFileSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(cliProbe)}`, BATON_BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, LOADED_LOG: log } });
    const urls = readFileSync(log, 'utf8').split('\n');
    return [...new Set(urls.flatMap((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []))].sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the baton command', () => {
  it('loads none of what manifests and plans need for --version, --help or runs list', () => {
    for (const args of [['--version'], ['--help'], ['runs', 'list', '--store', 'memory']]) {
      const loaded = cliPackages(args);
      expect(loaded, args.join(' ')).toContain('commander');
      expect(loaded.filter((p) => ON_FIRST_USE.includes(p)), args.join(' ')).toEqual([]);
    }
    // What the probe sees when a command does need them.
    expect(cliPackages(['agents', 'check', '-m', path.join(SALES_REPORT, 'baton.yaml')])).toEqual(expect.arrayContaining(['ajv', 'semver', 'yaml', 'zod']));
  });
});

describe('opening a PostgreSQL journal', () => {
  it('loads its driver but neither BullMQ nor ioredis, which only agents on workers need', () => {
    // Nothing listens on port 1: the store is not opened, but its code is loaded first.
    const loaded = packagesLoadedBy(`const { openStore } = await import('batonjs');
      const refused = await openStore('postgres://127.0.0.1:1/none').then(() => undefined, (e) => e);
      if (!String(refused?.message).includes('cannot open the journal database')) throw new Error('unexpected: ' + String(refused?.message ?? 'opened'));`);
    expect(loaded).toContain('pg');
    expect(loaded.filter((p) => ['bullmq', 'ioredis'].includes(p))).toEqual([]);
  });
});

describe('an agent of kind a2a', () => {
  it("loads the A2A SDK's client, not the server's own modules (Hono, the A2A server)", () => {
    const loaded = packagesLoadedBy(`const { AgentRegistry } = await import('batonjs');
      const agent = await new AgentRegistry().create({ name: 'remote', kind: 'a2a', url: 'http://127.0.0.1:1/', description: 'd', version: '1.0.0', capabilities: [], consumes: [], produces: ['x'], fallback: [] }, {});
      if (typeof agent.run !== 'function') throw new Error('no agent');`);
    expect(loaded).toContain('@a2a-js/sdk');
    expect(loaded.filter((p) => ['hono', '@hono/node-server'].includes(p))).toEqual([]);
  });

  it("loads the server package's entry for it and the agent's module, nothing else of the server", () => {
    const urls = modulesLoadedBy(`const { AgentRegistry } = await import('batonjs');
      await new AgentRegistry().create({ name: 'remote', kind: 'a2a', url: 'http://127.0.0.1:1/', description: 'd', version: '1.0.0', capabilities: [], consumes: [], produces: ['x'], fallback: [] }, {});`);
    const server = urls.filter((u) => u.includes('/packages/server/')).map((u) => u.replace(/.*\/packages\/server\//, ''));
    expect(server.sort()).toEqual(['src/a2a-agent.ts', 'src/a2a/a2a-agent.ts']);
    expect(urls.filter((u) => /@a2a-js\/sdk\/dist\/server/.test(u))).toEqual([]);
  });
});

describe("the core's internal entry (what the optional packages import)", () => {
  it('loads neither pino nor commander, which only a logger and the CLI need', () => {
    const loaded = packagesLoadedBy(`const internal = await import('batonjs/internal');
      if (internal.parseDuration('7d') !== 7 * 86_400_000) throw new Error('parseDuration');`);
    expect(loaded.filter((p) => ['pino', 'commander'].includes(p))).toEqual([]);
    // What the probe sees once they are used.
    const used = packagesLoadedBy(`const internal = await import('batonjs/internal');
      internal.createLogger({ level: 'silent' });
      try { internal.parseDuration('soon'); } catch (e) { if (e.code !== 'commander.invalidArgument') throw e; }`);
    expect(used).toEqual(expect.arrayContaining(['pino', 'commander']));
  });
});
