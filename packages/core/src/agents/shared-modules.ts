import { realpathSync } from 'node:fs';
import { fileVersion } from '../core/import-module.ts';
import { loadModule, namedFor } from './module-exports.ts';
import type { LoadedModule } from './module-exports.ts';

interface Shared {
  version: string;
  module: Promise<LoadedModule>;
  users: number;
  /** Its close() has begun: a later release must not call it again. */
  closing?: boolean;
}

/**
 * The `isolation: none` module agents loaded in this thread, by file. tsx gives each import of a
 * TypeScript file a new copy, kept for good: every orchestrator made over one manifest (a `baton
 * eval` case, a service that makes one per request) loaded its own copy of the agent and of all it
 * imports. Now one copy serves them, as Node serves one copy of a JavaScript file, and its
 * `close()` runs when the last orchestrator holding it closes: before, the first orchestrator to
 * close a JavaScript agent closed it under the others. A module that exports no `close()` has
 * nothing to release and stays loaded for the next orchestrator; one that does is loaded again
 * after its close (for JavaScript, Node hands back its one copy). A TypeScript file changed since
 * (its time or size) is loaded again, as is one whose load failed (it may have been fixed).
 */
const shared = new Map<string, Shared>();

/** One user's hold on a shared module agent: `release()` once, when that user closes. */
export interface ModuleHold {
  readonly module: Promise<LoadedModule>;
  release(): Promise<void>;
}

/**
 * The key and version of a module file. Node keeps one copy of a JavaScript module per real path,
 * whatever its time or size, so two agents naming one file, or one file touched while it is held,
 * must share one count; tsx makes a copy per import of TypeScript, so a changed file is a new one.
 */
function identity(file: string): { key: string; version: string } {
  let key = file;
  try {
    key = realpathSync(file);
  } catch {
    // Missing: the load says so.
  }
  return { key, version: /\.[cm]?tsx?$/.test(file) ? fileVersion(file) : '' };
}

/** Takes agent `agent`'s hold on the module in `file`, loading it unless a current copy is loaded. */
export function holdModule(file: string, agent: string): ModuleHold {
  const { key, version } = identity(file);
  let entry = shared.get(key);
  if (entry?.version !== version) {
    const fresh: Shared = { version, module: loadModule(file), users: 0 };
    fresh.module.catch(() => shared.get(key) === fresh && shared.delete(key));
    shared.set(key, fresh);
    entry = fresh;
  }
  const held = entry;
  held.users++;
  let released = false;
  return {
    module: held.module.catch((e: unknown) => {
      throw namedFor(agent, e);
    }),
    async release() {
      if (released) return;
      released = true;
      if (--held.users > 0) return;
      const loaded = await held.module.catch(() => undefined);
      if (!loaded?.close || held.users > 0 || held.closing) return;
      held.closing = true;
      if (shared.get(key) === held) shared.delete(key);
      await loaded.close();
    },
  };
}
