import type { Agent, AgentContext } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import { defaultExport, importModule } from '../core/import-module.ts';
import type { AgentInput, AgentOutput, AgentSpec } from '../core/types.ts';

type RunFn = (input: AgentInput, ctx: AgentContext) => Promise<AgentOutput> | AgentOutput;

/** What a module exports, made callable: its run function and, for an exported agent, its close. */
interface Loaded {
  run: RunFn;
  close?: () => Promise<void>;
}

const loaded = new Map<string, Promise<Loaded>>();

function findRun(mod: Record<string, unknown>, file: string, agent: string): Loaded {
  const exported = defaultExport(mod);
  if (typeof exported === 'function') return { run: exported as RunFn };
  if (exported && typeof exported === 'object' && typeof (exported as { run?: unknown }).run === 'function') {
    const obj = exported as { run: RunFn; close?: () => Promise<void> };
    const loadedAgent: Loaded = { run: (input, ctx) => obj.run(input, ctx) };
    if (typeof obj.close === 'function') loadedAgent.close = () => obj.close!();
    return loadedAgent;
  }
  throw new BatonError(
    'AGENT_FAILED',
    `agent '${agent}': ${file} must default-export a function (input, ctx) => output, or an agent made by defineAgent(); found ${exported === undefined ? 'no default export' : typeof exported}`,
    { retryable: false },
  );
}

function load(spec: AgentSpec): Promise<Loaded> {
  const file = spec.module;
  if (!file) throw new BatonError('MANIFEST_INVALID', `agent '${spec.name}' is of kind module but has no module path`, { retryable: false });
  let p = loaded.get(file);
  if (!p) {
    p = importModule(file).then(
      (mod) => findRun(mod, file, spec.name),
      (e: unknown) => {
        throw new BatonError('AGENT_FAILED', `agent '${spec.name}': cannot load ${file}: ${errorMessage(e, 'the module')}`, {
          retryable: false,
          cause: e,
        });
      },
    );
    p.catch(() => loaded.delete(file));
    loaded.set(file, p);
  }
  return p;
}

/** A `kind: module` agent: a JS/TS file whose default export runs in this process. */
export function createModuleAgent(spec: AgentSpec): Agent {
  return {
    spec,
    async run(input, ctx) {
      const { run } = await load(spec);
      return run(input, ctx);
    },
    async close() {
      // Only an agent that was loaded has anything to release (e.g. MCP servers of an exported LLM agent).
      const p = spec.module ? loaded.get(spec.module) : undefined;
      const agent = p ? await p.catch(() => undefined) : undefined;
      await agent?.close?.();
    },
  };
}
