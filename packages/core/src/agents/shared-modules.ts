import { fileVersion } from '../core/import-module.ts';
import { loadModuleAgent } from './module-exports.ts';
import type { LoadedModule } from './module-exports.ts';

interface Shared {
  version: string;
  module: Promise<LoadedModule>;
  users: number;
}

/**
 * The `isolation: none` module agents loaded in this thread, by agent and file. tsx gives each
 * import of a TypeScript file a new copy, kept for good: every orchestrator made over one manifest
 * (a `baton eval` case, a service that makes one per request) loaded its own copy of the agent and
 * of all it imports. Orchestrators that use an agent at the same time now share one copy, as Node
 * shares a JavaScript file, and its `close()` runs when the last of them closes: before, the first
 * orchestrator to close a JavaScript agent closed it under the others. A module that exports no
 * `close()` has nothing to release and stays loaded for the next user; one that does is loaded
 * again after its close. A TypeScript file changed since (its time or size) is loaded again, as is
 * one whose load failed (it may have been fixed).
 */
const shared = new Map<string, Shared>();

/** One user's hold on a shared module agent: `release()` once, when that user closes. */
export interface ModuleHold {
  readonly module: Promise<LoadedModule>;
  release(): Promise<void>;
}

/** Takes a hold on the module agent `agent` in `file`, loading it unless a current copy is loaded. */
export function holdModule(file: string, agent: string): ModuleHold {
  const key = `${agent}\0${file}`;
  const version = fileVersion(file);
  let entry = shared.get(key);
  if (entry?.version !== version) {
    const fresh: Shared = { version, module: loadModuleAgent(file, agent), users: 0 };
    fresh.module.catch(() => shared.get(key) === fresh && shared.delete(key));
    shared.set(key, fresh);
    entry = fresh;
  }
  const held = entry;
  held.users++;
  let released = false;
  return {
    module: held.module,
    async release() {
      if (released) return;
      released = true;
      if (--held.users > 0) return;
      const loaded = await held.module.catch(() => undefined);
      if (!loaded?.close || held.users > 0) return;
      if (shared.get(key) === held) shared.delete(key);
      await loaded.close();
    },
  };
}
