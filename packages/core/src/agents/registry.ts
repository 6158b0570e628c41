import type { Agent, AgentFactory } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import { importOptional } from '../core/optional.ts';
import type { AgentKind, AgentSpec, Manifest } from '../core/types.ts';
import { createCommandAgent } from './command-agent.ts';
import { createModuleAgent } from './module-agent.ts';

/**
 * Maps each agent kind to the factory that builds it. New kinds plug in with `register`,
 * without touching the orchestrator. Kinds whose code is heavy (llm, a2a) load on first use.
 */
export class AgentRegistry {
  private readonly factories = new Map<string, AgentFactory>();
  private readonly lazy = new Map<string, () => Promise<AgentFactory>>();

  constructor() {
    this.factories.set('module', (spec) => createModuleAgent(spec));
    this.factories.set('command', (spec) => createCommandAgent(spec));
    this.registerLazy('llm', async () => (await importOptional('batonjs-llm', 'agents of kind llm')).createLlmAgent);
    this.registerLazy('a2a', async () => (await importOptional('batonjs-server', 'agents of kind a2a')).a2aAgentFactory);
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
