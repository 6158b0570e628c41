import type { AgentRegistry } from '../agents/registry.ts';
import { importOptional } from '../core/optional.ts';
import type { Manifest } from '../core/types.ts';
import type { Orchestrator } from '../orchestrator.ts';

/** The environment variable that switches dispatch to BullMQ on Redis. */
export const REDIS_URL_ENV = 'BATON_REDIS_URL';

/** The environment variable of the BullMQ queue prefix (`--queue-prefix`), read by batonjs-scale. */
export const QUEUE_PREFIX_ENV = 'BATON_QUEUE_PREFIX';

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

/** The Redis URL to dispatch on: the explicit one, else BATON_REDIS_URL; undefined means in-process. */
export function redisUrlFrom(explicit: string | undefined, env: Record<string, string | undefined> = process.env): string | undefined {
  const url = (explicit ?? env[REDIS_URL_ENV])?.trim();
  return url ? url : undefined;
}

/**
 * Chooses the dispatch backend: BullMQ on Redis (the batonjs-scale package) when a Redis URL is
 * given (`--redis`) or BATON_REDIS_URL is set, else in-process. With BullMQ every attempt of every
 * agent is a job run by a `baton worker`; the orchestrator keeps planning, validating and healing.
 */
export async function createDispatch(manifest: Manifest, opts: { redisUrl?: string } = {}): Promise<Dispatch> {
  const url = redisUrlFrom(opts.redisUrl);
  if (!url) return { description: 'in-process', attach: () => undefined, close: async () => undefined };
  const scale = await importOptional('batonjs-scale', `${REDIS_URL_ENV} (running agents on baton workers)`);
  return scale.createBullmqDispatch(manifest, url);
}
