import type { Agent } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import type { AgentSpec } from '../core/types.ts';
import { memoryLimitProblem } from '../manifest/code-check.ts';
import { withinDeadline } from './deadline.ts';
import { createProcessModuleAgent } from './module-process-agent.ts';
import type { LoadedModule } from './module-exports.ts';
import { ModuleThreadPool } from './module-thread-pool.ts';
import { markSendsInput } from './sends-input.ts';
import { noteInThreadAgent } from './in-thread-agents.ts';
import { holdModule } from './shared-modules.ts';
import type { ModuleHold } from './shared-modules.ts';

/**
 * A `kind: module` agent: a JS/TS file whose default export runs the agent. With `isolation:
 * thread` (the default) each attempt runs in a worker thread, so a module that computes for long
 * neither holds the orchestrator's event loop nor outlives its timeout; with `isolation: process`
 * each attempt runs in a process of its own (see module-process-agent.ts); with `isolation: none` it
 * runs in this thread, sharing its memory and its event loop, and one copy of the module serves
 * every orchestrator of the thread that uses it at once (see shared-modules.ts).
 */
export function createModuleAgent(spec: AgentSpec): Agent {
  const file = spec.module;
  if (!file) throw new BatonError('MANIFEST_INVALID', `agent '${spec.name}' is of kind module but has no module path`, { retryable: false });
  const problem = memoryLimitProblem(spec);
  if (problem) throw new BatonError('MANIFEST_INVALID', `agent '${spec.name}': ${problem}`, { retryable: false });
  if (spec.isolation === 'process') return createProcessModuleAgent(spec, file);
  return spec.isolation === 'none' ? inThisThread(spec, file) : inWorkerThreads(spec, file);
}

function inWorkerThreads(spec: AgentSpec, file: string): Agent {
  const pool = new ModuleThreadPool({ file, agent: spec.name });
  // Loads the module ahead of the first attempt, whose time would otherwise include it.
  pool.warm();
  const run: Agent['run'] = (input, ctx) => pool.run(input, ctx, run);
  // Its input is cloned into the thread as the attempt is posted there (see sends-input.ts).
  return markSendsInput({ spec, run, version: () => pool.version(), close: () => pool.close() });
}

function inThisThread(spec: AgentSpec, file: string): Agent {
  const attempts = noteInThreadAgent(spec.name, file);
  let hold: ModuleHold | undefined;
  const load = (): Promise<LoadedModule> => {
    if (!hold) {
      const taken = holdModule(file, spec.name);
      hold = taken;
      // A failed load is tried again at the next attempt (the file may have been fixed).
      taken.module.catch(() => {
        if (hold === taken) hold = undefined;
        void taken.release();
      });
    }
    return hold.module;
  };
  return {
    spec,
    async run(input, ctx) {
      const { run } = await load();
      return attempts.track(withinDeadline(ctx, run, input));
    },
    version: async () => (await load()).version,
    async close() {
      // Only an agent that was loaded holds a module (whose close() releases e.g. the MCP servers of an exported LLM agent).
      const taken = hold;
      hold = undefined;
      await taken?.release();
    },
  };
}
