import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

type ScopedImport = (specifier: string, parentURL: string) => Promise<unknown>;

/**
 * tsx's import scopes (its namespaces: every module loaded through one has it in its URL), by
 * file and version. tsx's `tsImport` makes a random one per import, so the modules' URLs were new
 * in every process: Node's compile cache (Node 22.8+, which the `baton` command turns on) never
 * found what it had kept, and kept it again at every start (7 files per run of the sample
 * report's integrator, for good). A namespace made of the file's URL and version is the same in
 * every process. One whose import failed, or whose exports its caller refused
 * ({@link forgetModule}), is not used again: a fix (to the file or to what it imports) must load
 * anew, as each new namespace did.
 */
const scopes = new Map<string, ScopedImport>();
const PARENT_URL = import.meta.url.replace(/\?.*$/, '');
/** How many imports of a file failed (or were refused) in this thread: each gives the next import a namespace of its own. */
const failures = new Map<string, number>();

/**
 * tsx loads TypeScript in CommonJS mode through its ES hooks from Node 20.11 and 21.3 (as its
 * tsImport does); before, tsImport is left to choose.
 */
const [NODE_MAJOR = 0, NODE_MINOR = 0] = process.versions.node.split('.').map(Number);
const SCOPED_IMPORTS = NODE_MAJOR > 21 || (NODE_MAJOR === 21 && NODE_MINOR >= 3) || (NODE_MAJOR === 20 && NODE_MINOR >= 11);

/** Imports a user's JS or TS file (agents, integrators). TypeScript loads through tsx, so no loader flag is needed. */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  if (!/\.[cm]?tsx?$/.test(file)) return (await import(url)) as Record<string, unknown>;
  if (!SCOPED_IMPORTS) return (await (await import('tsx/esm/api')).tsImport(url, PARENT_URL)) as Record<string, unknown>;
  const key = scopeKey(url, file);
  let scoped = scopes.get(key);
  if (!scoped) {
    const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
    scoped = scopes.get(key);
    if (!scoped) {
      const namespace = createHash('sha256').update(key).digest('hex').slice(0, 16);
      // As tsImport does: a TypeScript file in CommonJS mode (no "type": "module") is required
      // through tsx's CommonJS hooks, which must know the namespace too. Neither is ever taken
      // out (nor were tsImport's): a module of the namespace may still import lazily, and taking
      // one out turns source maps off for the whole process.
      cjs.register({ namespace });
      scoped = esm.register({ namespace }).import;
      scopes.set(key, scoped);
    }
  }
  try {
    // Without this module's own query: from the sources (a checkout, the tests) it was loaded
    // through tsx's namespace of the thread's entry, which would then take the import over.
    return (await scoped(url, PARENT_URL)) as Record<string, unknown>;
  } catch (e) {
    if (scopes.get(key) === scoped) forget(url, key);
    throw e;
  }
}

/**
 * The import of `file` is not to be used again (its caller refused what it exports): the next
 * import of it loads it, and what it imports, anew. Other callers keep the copy they have. A
 * no-op for JavaScript, which Node keeps.
 */
export function forgetModule(file: string): void {
  const url = pathToFileURL(file).href;
  const key = scopeKey(url, file);
  if (scopes.has(key)) forget(url, key);
}

function scopeKey(url: string, file: string): string {
  return `${url}\0${fileVersion(file)}\0${failures.get(url) ?? 0}`;
}

function forget(url: string, key: string): void {
  scopes.delete(key);
  failures.set(url, (failures.get(url) ?? 0) + 1);
}

/** The default export of a module, unwrapping the extra `default` a CommonJS build adds. */
export function defaultExport(mod: Record<string, unknown>): unknown {
  const d = mod.default;
  if (d && typeof d === 'object' && 'default' in d && !('run' in d)) return (d as { default: unknown }).default;
  return d;
}

/**
 * When and how big `file` was last written ('' when it cannot be read: its import says why). A
 * module loaded through tsx is a new copy once its file changed (its namespace is new), so the
 * caches of loaded modules use this to load a TypeScript file again, as Node would not for
 * JavaScript.
 */
export function fileVersion(file: string): string {
  try {
    const { mtimeMs, size } = statSync(file);
    return `${mtimeMs}:${size}`;
  } catch {
    return '';
  }
}
