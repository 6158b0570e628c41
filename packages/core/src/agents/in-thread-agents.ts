import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** An agent whose code runs in Baton's own thread, and the folder its own files are in. */
export interface InThreadAgent {
  readonly agent: string;
  readonly module: string;
  readonly folder: string;
}

/** Every `isolation: none` module agent this thread has made, by folder: kept for good (a few entries), since what an agent left may fail long after it closed. */
const agents = new Map<string, InThreadAgent>();

/** Baton's own source: frames there are skipped, as are those of any installed package (a checkout keeps Baton outside `node_modules`). */
const BATON_SOURCE = batonSource();

function batonSource(): string {
  const ownPackage = path.resolve(fileURLToPath(import.meta.url), '../../..');
  const parent = path.dirname(ownPackage);
  return path.basename(parent) === 'packages' ? parent : ownPackage;
}

/** Notes that agent `agent` runs the module `file` in this thread. */
export function noteInThreadAgent(agent: string, file: string): void {
  for (const folder of new Set([path.dirname(file), path.dirname(realPath(file))])) {
    if (!agents.has(folder)) agents.set(folder, { agent, module: file, folder });
  }
}

function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/**
 * The in-thread agent an error was raised in, if its stack says so: the first frame of its stack
 * that is neither Node's own, nor in an installed package (`node_modules`), nor in Baton's source,
 * is in the folder of an `isolation: none` module agent. An error with no stack (a rejection with
 * a string), or one raised only in packages or in Node, is nobody's that can be told.
 */
export function inThreadAgentOf(error: unknown): InThreadAgent | undefined {
  if (agents.size === 0 || !(error instanceof Error)) return undefined;
  const stack = stackOf(error);
  if (stack === undefined) return undefined;
  for (const line of stack.split('\n')) {
    const file = frameFile(line);
    if (file === undefined || file.includes(`${path.sep}node_modules${path.sep}`) || within(file, BATON_SOURCE)) continue;
    return [...agents.values()].find((entry) => within(file, entry.folder));
  }
  return undefined;
}

/** Its stack, unless it has none or its `stack` is a getter that throws. */
function stackOf(error: Error): string | undefined {
  try {
    return typeof error.stack === 'string' ? error.stack : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The file of one line of a V8 stack: `at f (file:///a/b.mjs:1:2)`, `at /a/b.js:1:2`, or the
 * `data:` URL tsx runs a TypeScript module as, which names the file in its `filePath`; none for
 * `node:` and native frames.
 */
function frameFile(line: string): string | undefined {
  const where = /(?:^\s+at |\()((?:file:|data:|\/).*?):\d+:\d+\)?$/.exec(line)?.[1];
  if (where === undefined) return undefined;
  if (where.startsWith('/')) return where;
  try {
    if (where.startsWith('file:')) return fileURLToPath(new URL(where.replace(/[?#].*$/, '')));
    const named = /[?&]filePath=([^&]*)$/.exec(where)?.[1];
    return named === undefined ? undefined : decodeURIComponent(named).replace(/\?.*$/, '');
  } catch {
    return undefined;
  }
}

function within(file: string, folder: string): boolean {
  return file.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);
}
