import type { AgentRegistry } from '../agents/registry.ts';
import type { Manifest } from '../core/types.ts';
import { redactUrl, resolveRedisUrl } from '../distributed/connection.ts';
import type { Orchestrator } from '../orchestrator.ts';

/** Where a process's orchestrator runs its agents' attempts. */
export interface Dispatch {
  /** Give it to the orchestrator; undefined means agents run in this process (the default). */
  registry?: AgentRegistry;
  /** `in-process`, or `bullmq <redis url>` (password hidden), for messages. */
  description: string;
  /**
   * Follows the orchestrator's runs: when a run resumes, jobs of the attempts its previous
   * process left running are cancelled. Call once, after creating the orchestrator.
   */
  attach(orchestrator: Orchestrator): void;
  close(): Promise<void>;
}

/**
 * Chooses the dispatch backend: BullMQ on Redis when a Redis URL is given (`--redis`) or
 * BATON_REDIS_URL is set, else in-process. With BullMQ every attempt of every agent is a job
 * run by a `baton worker`; the orchestrator keeps planning, validating and healing.
 */
export async function createDispatch(manifest: Manifest, opts: { redisUrl?: string } = {}): Promise<Dispatch> {
  const url = resolveRedisUrl(opts.redisUrl);
  if (!url) return { description: 'in-process', attach: () => undefined, close: async () => undefined };
  // Loaded on demand: in-process runs never load BullMQ.
  const { Dispatcher } = await import('../distributed/dispatcher.ts');
  const dispatcher = await Dispatcher.connect({ url });
  const agents = Object.keys(manifest.agents);
  const detach: (() => void)[] = [];
  return {
    registry: dispatcher.registry(),
    description: `bullmq ${redactUrl(url)}`,
    attach(orchestrator) {
      detach.push(
        orchestrator.on((event) => {
          if (event.type === 'run.resumed' && event.interruptedAttempts.length > 0) void dispatcher.cancelAttempts(event.interruptedAttempts, agents);
        }),
      );
    },
    async close() {
      for (const d of detach.splice(0)) d();
      await dispatcher.close();
    },
  };
}
