import type { Agent, AgentContext } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import { defaultExport, importModule } from '../core/import-module.ts';
import type { AgentInput, AgentOutput, AgentSpec } from '../core/types.ts';

type RunFn = (input: AgentInput, ctx: AgentContext) => Promise<AgentOutput> | AgentOutput;

/** What a module exports, made callable: its run function and, for an exported agent, its close. */
interface Loaded {
  run: RunFn;
  close?: () => Promise<void>;
  /** The module's `export const version`, when it has one. */
  version?: string;
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

function withVersion(found: Loaded, mod: Record<string, unknown>, file: string, agent: string): Loaded {
  const version = mod['version'];
  if (version === undefined) return found;
  if (typeof version !== 'string') {
    throw new BatonError('AGENT_FAILED', `agent '${agent}': ${file} exports a version that is not a string (${typeof version}); write export const version = '1.2.0'`, { retryable: false });
  }
  return { ...found, version };
}

function load(spec: AgentSpec): Promise<Loaded> {
  const file = spec.module;
  if (!file) throw new BatonError('MANIFEST_INVALID', `agent '${spec.name}' is of kind module but has no module path`, { retryable: false });
  let p = loaded.get(file);
  if (!p) {
    p = importModule(file).then(
      (mod) => withVersion(findRun(mod, file, spec.name), mod, file, spec.name),
      (e: unknown) => {
        throw new BatonError('AGENT_FAILED', `agent '${spec.name}': cannot load ${file}: ${(e as Error).message}`, {
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
    // Loads the module as the first attempt would (the same cached import), a little earlier.
    async version() {
      return (await load(spec)).version;
    },
    async close() {
      // Only an agent that was loaded has anything to release (e.g. MCP servers of an exported LLM agent).
      const p = spec.module ? loaded.get(spec.module) : undefined;
      const agent = p ? await p.catch(() => undefined) : undefined;
      await agent?.close?.();
    },
  };
}
