import type { Agent } from '../core/contracts.ts';
import { BatonError, errorMessage } from '../core/errors.ts';
import type { Manifest } from '../core/types.ts';
import type { AgentRegistry } from './registry.ts';

/** How long an agent's `close()` may take before its pool goes on without it (ms). */
export const AGENT_CLOSE_MS = 10_000;

/** Why `agent.close()` did not finish well within `ms`, or undefined when it did. */
async function closeWithin(agent: Agent, ms: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`its close() did not finish within ${ms} ms`), ms);
  });
  const closing = (async () => {
    await agent.close?.();
    return undefined;
  })().catch((e: unknown) => `its close() failed: ${errorMessage(e)}`);
  try {
    return await Promise.race([closing, hung]);
  } finally {
    clearTimeout(timer);
  }
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
   * Closes every agent that was built, at once, each within {@link AGENT_CLOSE_MS}: one whose
   * `close()` fails or hangs does not keep the others' threads, processes or connections open.
   * @throws BatonError `AGENT_FAILED`, once the others are closed, naming the agents that failed or hung.
   */
  async close(): Promise<void> {
    const problems: string[] = [];
    await Promise.all(
      [...this.built].map(async ([name, building]) => {
        const agent = await building.catch(() => undefined);
        const problem = agent?.close ? await closeWithin(agent, AGENT_CLOSE_MS) : undefined;
        if (problem) problems.push(`agent '${name}': ${problem}`);
      }),
    );
    if (problems.length > 0) throw new BatonError('AGENT_FAILED', `could not close ${problems.join('; ')}`, { retryable: false });
  }
}
