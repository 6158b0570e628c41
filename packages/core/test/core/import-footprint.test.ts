import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, SALES_REPORT, TS_NODE_ARGS } from '../support/paths.ts';

// Imports Baton's main entry in a fresh process, then (optionally) reads a manifest, and prints
// the npm packages loaded after each step: ESM loads seen by a module hook, CommonJS ones in
// require.cache.
const probe = `
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const urls = [];
port1.on('message', (u) => urls.push(u));
port1.unref();
register('data:text/javascript,' + encodeURIComponent('let p; export function initialize(d) { p = d.port; } export async function load(u, c, n) { p.postMessage(u); return n(u, c); }'), { data: { port: port2 }, transferList: [port2] });
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
