import type { Dispatch, Manifest } from 'batonjs/internal';
import { redactUrl } from './connection.ts';
import { Dispatcher } from './dispatcher.ts';
import { DEFAULT_PREFIX, resolveQueuePrefix } from './names.ts';

/**
 * Dispatch over BullMQ: every attempt of every agent is a job run by a `baton worker`. When a
 * run resumes, the jobs of attempts its previous process left running are cancelled. The queue
 * prefix is `options.prefix`, else BATON_QUEUE_PREFIX (which `--queue-prefix` sets), else `baton:agent`.
 */
export async function createBullmqDispatch(manifest: Manifest, url: string, options: { prefix?: string } = {}): Promise<Dispatch> {
  const prefix = resolveQueuePrefix(options.prefix);
  const dispatcher = await Dispatcher.connect({ url, prefix });
  const agents = Object.keys(manifest.agents);
  // How long an interrupted attempt may have had: its cancel stays recorded at least that long.
  const longestTimeoutMs = Math.max(manifest.orchestrator.policy.taskTimeoutMs, ...Object.values(manifest.agents).map((a) => a.timeoutMs ?? 0));
  const detach: (() => void)[] = [];
  return {
    registry: dispatcher.registry(),
    description: `bullmq ${redactUrl(url)}${prefix === DEFAULT_PREFIX ? '' : ` (queue prefix ${prefix})`}`,
    attach(orchestrator) {
      detach.push(
        orchestrator.on((event) => {
          if (event.type === 'run.resumed' && event.interruptedAttempts.length > 0) void dispatcher.cancelAttempts(event.interruptedAttempts, agents, longestTimeoutMs);
        }),
      );
    },
    async close() {
      for (const d of detach.splice(0)) d();
      await dispatcher.close();
    },
  };
}
