import type { AgentContext } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import { defaultExport, forgetModule, importModule } from '../core/import-module.ts';
import type { AgentInput, AgentOutput } from '../core/types.ts';

export type RunFn = (input: AgentInput, ctx: AgentContext) => Promise<AgentOutput> | AgentOutput;

/** What a module agent's file exports, made callable: its run function, its close, its version. */
export interface LoadedModule {
  run: RunFn;
  close?: () => Promise<void>;
  /** The module's `version` export, when it is a string. */
  version?: string;
}

function findRun(mod: Record<string, unknown>, file: string): LoadedModule {
  const exported = defaultExport(mod);
  const version = typeof mod['version'] === 'string' ? { version: mod['version'] } : {};
  if (typeof exported === 'function') return { run: exported as RunFn, ...version };
  if (exported && typeof exported === 'object' && typeof (exported as { run?: unknown }).run === 'function') {
    const obj = exported as { run: RunFn; close?: () => Promise<void> };
    const loaded: LoadedModule = { run: (input, ctx) => obj.run(input, ctx), ...version };
    if (typeof obj.close === 'function') loaded.close = () => obj.close!();
    return loaded;
  }
  throw new BatonError(
    'AGENT_FAILED',
    `${file} must default-export a function (input, ctx) => output, or an agent made by defineAgent(); found ${exported === undefined ? 'no default export' : typeof exported}`,
    { retryable: false },
  );
}

/**
 * Imports a module agent's file (TypeScript through tsx) and finds what runs it; its errors name
 * the file, not an agent (several agents may share the file: see {@link namedFor}).
 * @throws BatonError `AGENT_FAILED`, not retryable, when the file cannot be loaded or exports nothing runnable.
 */
export async function loadModule(file: string): Promise<LoadedModule> {
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (e) {
    throw new BatonError('AGENT_FAILED', `cannot load ${file}: ${errorMessage(e, 'the module')}`, { retryable: false, cause: e });
  }
  try {
    return findRun(mod, file);
  } catch (e) {
    // A fix to what the file imports must load at the next try, as a failed import's does.
    forgetModule(file);
    throw e;
  }
}

/** The error of a module's load, as agent `agent`'s. */
export function namedFor(agent: string, e: unknown): unknown {
  return BatonError.isInstance(e) ? new BatonError(e.code, `agent '${agent}': ${e.message}`, { retryable: e.retryable, cause: e.cause, details: e.details, ...(e.runId === undefined ? {} : { runId: e.runId }) }) : e;
}

/**
 * Imports agent `agent`'s module file (TypeScript through tsx) and finds what runs it.
 * @throws BatonError `AGENT_FAILED`, not retryable, when the file cannot be loaded or exports nothing runnable.
 */
export async function loadModuleAgent(file: string, agent: string): Promise<LoadedModule> {
  try {
    return await loadModule(file);
  } catch (e) {
    throw namedFor(agent, e);
  }
}
