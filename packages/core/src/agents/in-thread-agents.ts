import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where an error an in-thread agent left was raised, and which agents it can be. */
export interface StrayOrigin {
  /** The agent whose module it is; the agents whose modules share its folder when it is another file there. */
  readonly agents: readonly string[];
  /** The file of the frame that tells: the module, or another of its folder (a helper it imports). */
  readonly file: string;
  /**
   * Fails, with `error`, every attempt of those agents still in flight in this thread, as the death
   * of its worker thread fails the attempts in it under `isolation: thread`. Returns how many.
   */
  failAttempts(error: Error): number;
}

/** What an in-thread agent's attempts go through, so that an error it leaves can fail them. */
export interface InThreadAttempts {
  /** `work`, the attempt's answer, unless the agent leaves an error nobody handles first: then that. */
  track<T>(work: Promise<T>): Promise<T>;
}

interface InThreadModule extends InThreadAttempts {
  readonly agent: string;
  /** The module's path as given, and as resolved: a stack names the one Node loaded. */
  readonly files: ReadonlySet<string>;
  readonly folders: ReadonlySet<string>;
  /** How to fail each attempt in flight. */
  readonly inFlight: Set<(error: Error) => void>;
}

/** Every `isolation: none` module agent this thread has made: kept for good (a few entries), since what an agent left may fail long after it closed. */
const modules = new Map<string, InThreadModule>();

/** Baton's own package; in a checkout, the folder of all its packages (none of them is installed in `node_modules` there). */
const OWN_PACKAGE = path.resolve(fileURLToPath(import.meta.url), '../../..');
const CHECKOUT_PACKAGES = path.basename(path.dirname(OWN_PACKAGE)) === 'packages' ? path.dirname(OWN_PACKAGE) : undefined;

/**
 * Whether `file` is Baton's own code, passed over as a package's is: in a checkout, any package's
 * `src` or `dist` (its tests' agents are not), else the installed package's.
 */
function isBatonSource(file: string): boolean {
  if (CHECKOUT_PACKAGES === undefined) return within(file, OWN_PACKAGE);
  if (!within(file, CHECKOUT_PACKAGES)) return false;
  const folder = file.slice(CHECKOUT_PACKAGES.length + 1).split(path.sep)[1];
  return folder === 'src' || folder === 'dist';
}

/** Notes that agent `agent` runs the module `file` in this thread; its attempts go through what this returns. */
export function noteInThreadAgent(agent: string, file: string): InThreadAttempts {
  const key = `${agent}\0${file}`;
  const known = modules.get(key);
  if (known) return known;
  const files = new Set([file, realPath(file)]);
  const inFlight = new Set<(error: Error) => void>();
  const module: InThreadModule = {
    agent,
    files,
    folders: new Set([...files].map((each) => path.dirname(each))),
    inFlight,
    track: <T>(work: Promise<T>) =>
      new Promise<T>((resolve, reject) => {
        const fail = (error: Error): void => reject(error);
        inFlight.add(fail);
        work.then(
          (value) => {
            inFlight.delete(fail);
            resolve(value);
          },
          (error: unknown) => {
            inFlight.delete(fail);
            reject(error);
          },
        );
      }),
  };
  modules.set(key, module);
  return module;
}

function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/**
 * Where an error was raised, if its stack tells an in-thread agent's: the first frame of its stack
 * that is neither Node's own, nor in an installed package (`node_modules`), nor in Baton's source,
 * is an `isolation: none` agent's module, or another file of its folder. An error with no stack (a
 * rejection with a string), or one raised only in packages or in Node, is nobody's that can be told.
 */
export function inThreadAgentOf(error: unknown): StrayOrigin | undefined {
  if (modules.size === 0 || !(error instanceof Error)) return undefined;
  const stack = stackOf(error);
  if (stack === undefined) return undefined;
  for (const line of stack.split('\n')) {
    const file = frameFile(line);
    if (file === undefined || file.includes(`${path.sep}node_modules${path.sep}`) || isBatonSource(file)) continue;
    const all = [...modules.values()];
    const own = all.filter((module) => module.files.has(file));
    const near = own.length > 0 ? own : all.filter((module) => [...module.folders].some((folder) => within(file, folder)));
    const agents = [...new Set(near.map((module) => module.agent))];
    return agents.length === 0 ? undefined : { agents, file, failAttempts: (failure) => failAll(near, failure) };
  }
  return undefined;
}

function failAll(of: readonly InThreadModule[], error: Error): number {
  let failed = 0;
  for (const module of of) {
    for (const fail of [...module.inFlight]) {
      module.inFlight.delete(fail);
      fail(error);
      failed++;
    }
  }
  return failed;
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
