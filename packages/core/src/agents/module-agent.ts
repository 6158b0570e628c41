import type { Agent } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import type { AgentSpec } from '../core/types.ts';
import { withinDeadline } from './deadline.ts';
import { loadModuleAgent } from './module-exports.ts';
import type { LoadedModule } from './module-exports.ts';
import { ModuleThreadPool } from './module-thread-pool.ts';

/**
 * A `kind: module` agent: a JS/TS file whose default export runs the agent. With `isolation:
 * thread` (the default) each attempt runs in a worker thread, so a module that computes for long
 * neither holds the orchestrator's event loop nor outlives its timeout; with `isolation: none` it
 * runs in this thread, sharing its memory and its event loop.
 */
export function createModuleAgent(spec: AgentSpec): Agent {
  const file = spec.module;
  if (!file) throw new BatonError('MANIFEST_INVALID', `agent '${spec.name}' is of kind module but has no module path`, { retryable: false });
  return spec.isolation === 'none' ? inThisThread(spec, file) : inWorkerThreads(spec, file);
}

function inWorkerThreads(spec: AgentSpec, file: string): Agent {
  const pool = new ModuleThreadPool({ file, agent: spec.name });
  // Loads the module ahead of the first attempt, whose time would otherwise include it.
  pool.warm();
  return {
    spec,
    run: (input, ctx) => pool.run(input, ctx),
    version: () => pool.version(),
    close: () => pool.close(),
  };
}

function inThisThread(spec: AgentSpec, file: string): Agent {
  let loading: Promise<LoadedModule> | undefined;
  const load = (): Promise<LoadedModule> => {
    if (!loading) {
      loading = loadModuleAgent(file, spec.name);
      loading.catch(() => (loading = undefined));
    }
    return loading;
  };
  return {
    spec,
    async run(input, ctx) {
      const { run } = await load();
      return withinDeadline(ctx, run, input);
    },
    version: async () => (await load()).version,
    async close() {
      // Only an agent that was loaded has anything to release (e.g. MCP servers of an exported LLM agent).
      const loaded = await loading?.catch(() => undefined);
      await loaded?.close?.();
    },
  };
}
