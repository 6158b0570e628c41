import type { Agent } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import type { Manifest } from '../core/types.ts';
import { within } from '../core/within.ts';
import type { AgentRegistry } from './registry.ts';

/** How long an agent's `close()` may take before its pool goes on without it (ms). */
export const AGENT_CLOSE_MS = 10_000;

/**
 * Closes each of `agents` once, all at once, each within {@link AGENT_CLOSE_MS}: one whose
 * `close()` fails or hangs does not keep the others' threads, processes or connections open.
 * @throws BatonError `AGENT_FAILED`, once the others are closed, naming the agents that failed or hung.
 */
export async function closeAgents(agents: Iterable<Agent>): Promise<void> {
  const problems: string[] = [];
  await Promise.all(
    [...new Set(agents)].map(async (agent) => {
      const close = agent.close?.bind(agent);
      if (!close) return;
      const closed = await within((async () => close())(), AGENT_CLOSE_MS);
      if ('value' in closed) return;
      problems.push(`agent '${agent.spec.name}': ${closed.problem === 'hung' ? `its close() did not finish within ${AGENT_CLOSE_MS} ms` : `its close() failed: ${errorMessage(closed.error)}`}`);
    }),
  );
  if (problems.length > 0) throw new BatonError('AGENT_FAILED', `could not close ${problems.join('; ')}`, { retryable: false });
}

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

  /**
   * The agents built so far, their builds awaited (each at most {@link AGENT_CLOSE_MS}): what a
   * close must close (see {@link closeAgents}). A build that failed or hangs has no agent to close.
   */
  async builtAgents(): Promise<Agent[]> {
    const settled = await Promise.all([...this.built.values()].map((building) => within(building, AGENT_CLOSE_MS)));
    return settled.flatMap((s) => ('value' in s ? [s.value] : []));
  }
}
