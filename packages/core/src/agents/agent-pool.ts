import type { Agent } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import type { Manifest } from '../core/types.ts';
import type { AgentRegistry } from './registry.ts';

/**
 * The agents of one orchestrator: code agents as given, manifest agents built by the registry on
 * first use and kept (a failed build is forgotten, so the next attempt tries again).
 */
export class AgentPool {
  private readonly code = new Map<string, Agent>();
  private readonly built = new Map<string, Promise<Agent>>();
  /** The agents whose build finished, for callers that can go on without awaiting. */
  private readonly ready = new Map<string, Agent>();

  constructor(
    private readonly registry: AgentRegistry,
    codeAgents: readonly Agent[],
  ) {
    for (const a of codeAgents) this.code.set(a.spec.name, a);
  }

  /** The agents defined in code, by name. */
  codeAgentNames(): string[] {
    return [...this.code.keys()];
  }

  get(name: string, manifest: Manifest): Promise<Agent> {
    let p = this.built.get(name);
    if (!p) {
      const code = this.code.get(name);
      const spec = manifest.agents[name];
      if (code) p = Promise.resolve(code);
      else if (spec) p = this.registry.create(spec, manifest);
      else p = Promise.reject(new BatonError('AGENT_NOT_FOUND', `no agent named '${name}'`, { retryable: false }));
      const building = p;
      building.then(
        (agent) => {
          if (this.built.get(name) === building) this.ready.set(name, agent);
        },
        () => this.built.delete(name),
      );
      this.built.set(name, building);
    }
    return p;
  }

  /** The agent of a name when it is built already (what {@link get} would resolve to), else undefined. */
  peek(name: string): Agent | undefined {
    return this.ready.get(name);
  }

  /** Closes every agent that was built. */
  async close(): Promise<void> {
    for (const p of this.built.values()) {
      const agent = await p.catch(() => undefined);
      await agent?.close?.();
    }
  }
}
