import type { Dispatch, Manifest } from 'batonjs/internal';
import { redactUrl } from './connection.ts';
import { Dispatcher } from './dispatcher.ts';

/**
 * Dispatch over BullMQ: every attempt of every agent is a job run by a `baton worker`. When a
 * run resumes, the jobs of attempts its previous process left running are cancelled.
 */
export async function createBullmqDispatch(manifest: Manifest, url: string): Promise<Dispatch> {
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
