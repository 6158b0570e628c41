import { execFileSync } from 'node:child_process';
import { REPO_ROOT, TS_NODE_ARGS } from './paths.ts';

/**
 * The start of a probe run as a fresh process: every ES module it loads from then on is added to
 * `urls` by a module hook.
 */
export const RECORD_LOADS = `
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const urls = [];
port1.on('message', (u) => urls.push(u));
port1.unref();
register('data:text/javascript,' + encodeURIComponent('let p; export function initialize(d) { p = d.port; } export async function load(u, c, n) { p.postMessage(u); return n(u, c); }'), { data: { port: port2 }, transferList: [port2] });
`;

/** The npm packages a module's URL is in (`ai`, `@modelcontextprotocol/sdk`), if any. */
export function packageOfUrl(url: string): string | undefined {
  return /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
}

/**
 * Runs `script` (an ES module: top-level await, `import()` of Baton's packages by name, resolved to
 * their sources) in a fresh process from the repository's root, and returns the URL of every ES
 * module it loaded and the path of every CommonJS one. The script must not print to stdout.
 */
export function modulesLoadedBy(script: string): string[] {
  const probe = `${RECORD_LOADS}
${script}
await new Promise((r) => setTimeout(r, 100));
const { createRequire } = await import('node:module');
console.log(JSON.stringify([...urls, ...Object.keys(createRequire(import.meta.url).cache)]));
`;
  const out = execFileSync(process.execPath, [...TS_NODE_ARGS, '--input-type=module', '-e', probe], { cwd: REPO_ROOT, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!) as string[];
}

/** The npm packages {@link modulesLoadedBy} `script` loaded, sorted. */
export function packagesLoadedBy(script: string): string[] {
  return [...new Set(modulesLoadedBy(script).flatMap((u) => packageOfUrl(u) ?? []))].sort();
}
