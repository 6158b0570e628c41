import type { Agent, AgentFactory } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import { importOptional } from '../core/optional.ts';
import type { AgentKind, AgentSpec, Manifest } from '../core/types.ts';

/**
 * Maps each agent kind to the factory that builds it. New kinds plug in with `register`,
 * without touching the orchestrator. Each built-in kind loads on first use: module agents bring worker
 * threads, command agents child processes, llm and a2a their optional packages.
 */
export class AgentRegistry {
  private readonly factories = new Map<string, AgentFactory>();
  private readonly lazy = new Map<string, () => Promise<AgentFactory>>();

  constructor() {
    this.registerLazy('module', async () => {
      const { createModuleAgent } = await import('./module-agent.ts');
      return (spec) => createModuleAgent(spec);
    });
    this.registerLazy('command', async () => {
      const { createCommandAgent } = await import('./command-agent.ts');
      return (spec) => createCommandAgent(spec);
    });
    this.registerLazy('llm', async () => (await importOptional('batonjs-llm', 'agents of kind llm')).createLlmAgent);
    this.registerLazy('a2a', async () => (await importOptional('batonjs-server/a2a-agent', 'agents of kind a2a')).a2aAgentFactory);
  }

  /** Registers (or replaces) the factory of a kind. */
  register(kind: AgentKind | (string & {}), factory: AgentFactory): this {
    this.factories.set(kind, factory);
    return this;
  }

  /** Registers a kind whose factory is imported the first time an agent of that kind is built. */
  registerLazy(kind: AgentKind | (string & {}), load: () => Promise<AgentFactory>): this {
    this.lazy.set(kind, load);
    return this;
  }

  async create(spec: AgentSpec, manifest: Manifest): Promise<Agent> {
    let factory = this.factories.get(spec.kind);
    if (!factory) {
      const load = this.lazy.get(spec.kind);
      if (load) {
        factory = await load();
        this.factories.set(spec.kind, factory);
      }
    }
    if (!factory) {
      throw new BatonError('AGENT_NOT_FOUND', `agent '${spec.name}' has kind '${spec.kind}', which this Baton cannot run (known kinds: ${this.kinds().join(', ')})`, {
        retryable: false,
      });
    }
    return factory(spec, manifest);
  }

  kinds(): string[] {
    return [...new Set([...this.factories.keys(), ...this.lazy.keys()])].sort();
  }
}
