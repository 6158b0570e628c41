import { realpathSync } from 'node:fs';
import { fileVersion } from '../core/import-module.ts';
import { within } from '../core/within.ts';
import { AGENT_CLOSE_MS } from './agent-pool.ts';
import { loadModule, namedFor } from './module-exports.ts';
import type { LoadedModule } from './module-exports.ts';

interface Shared {
  version: string;
  module: Promise<LoadedModule>;
  users: number;
  /**
   * Counts the times its users fell to none: a release closes the module only if no user came
   * (and went) while it waited for the load, so one generation of users ends in one close.
   */
  emptied: number;
  /**
   * Whether it may hold something to release: true from its load (an import may open things),
   * false once its close begins, true again when a user is handed it. A user that comes while it
   * closes and leaves before it is handed the module has opened nothing, so it closes nothing.
   */
  open: boolean;
  /** Its close(), until it settles: no other is begun on top of it. */
  closeRunning: Promise<void> | undefined;
  /**
   * Settles when its close ends, or AGENT_CLOSE_MS after the close began, whichever is first: what a
   * user that comes meanwhile, or a release, waits for. One timer per close.
   */
  closing: Promise<void> | undefined;
}

/**
 * The `isolation: none` module agents loaded in this thread, by file. tsx gives each import of a
 * TypeScript file a new copy, kept for good: every orchestrator made over one manifest (a `baton
 * eval` case, a service that makes one per request) loaded its own copy of the agent and of all it
 * imports. Now one copy serves them, as Node serves one copy of a JavaScript file, and its
 * `close()` runs when the last orchestrator holding it closes: before, the first orchestrator to
 * close a JavaScript agent closed it under the others. The copy stays loaded after its close, for
 * the next orchestrator (loading a TypeScript one again would keep another copy for good, each
 * time); one that comes while the close runs waits for it, until AGENT_CLOSE_MS after the close
 * began at most. While a close still runs past that (it hangs) the module is not closed again,
 * nor waited for. A TypeScript file changed since (its time or size) is loaded again, as is one
 * whose load failed (it may have been fixed).
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
    const fresh: Shared = { version, module: loadModule(file), users: 0, emptied: 0, open: true, closeRunning: undefined, closing: undefined };
    fresh.module.catch(() => shared.get(key) === fresh && shared.delete(key));
    shared.set(key, fresh);
    entry = fresh;
  }
  const held = entry;
  held.users++;
  const waitFor = held.closing;
  let released = false;
  const module = (waitFor ? waitFor.then(() => held.module) : held.module).then(
    (loaded) => {
      if (!released) held.open = true;
      return loaded;
    },
    (e: unknown) => {
      throw namedFor(agent, e);
    },
  );
  // A hold released before anyone awaited its module must not make a failed load an unhandled rejection.
  module.catch(() => undefined);
  return {
    module,
    async release() {
      if (released) return;
      released = true;
      if (--held.users > 0) return;
      const emptied = ++held.emptied;
      const loaded = await held.module.catch(() => undefined);
      // A close still running goes first: two closes of one module never overlap.
      if (held.closing) await held.closing;
      if (!loaded?.close || !held.open || held.users > 0 || held.emptied !== emptied || held.closeRunning) return;
      await closeShared(held, loaded.close);
    },
  };
}

/** Runs the module's close() for the generation of users that just ended; rejects with what it rejects. */
async function closeShared(held: Shared, close: () => Promise<void>): Promise<void> {
  held.open = false;
  const running = (async () => close())();
  held.closeRunning = running;
  const closing: Promise<void> = within(running, AGENT_CLOSE_MS).then(() => {
    if (held.closing === closing) held.closing = undefined;
  });
  held.closing = closing;
  try {
    await running;
  } finally {
    if (held.closeRunning === running) held.closeRunning = undefined;
  }
}
