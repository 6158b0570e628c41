/**
 * A worker process of the distributed soak: `node --import tsx bench/soak/worker.ts '<json>'`.
 * It is `baton worker` with the soak's misbehaving agents: some attempts kill this very process
 * (SIGKILL), so BullMQ must hand their jobs to another worker. Prints `ready` when it takes jobs;
 * SIGTERM hands running jobs back and exits.
 */
import { AgentWorker } from '../../packages/scale/src/agent-worker.ts';
import { loadManifest } from '../../packages/core/src/manifest/index.ts';
import { faultyRegistry } from './faulty-agents.ts';
import type { FaultConfig } from './faulty-agents.ts';

interface WorkerArgs {
  manifestFile: string;
  redisUrl: string;
  lockMs: number;
  config: FaultConfig;
}

const args = JSON.parse(process.argv[2] ?? '{}') as WorkerArgs;
const manifest = await loadManifest(args.manifestFile);
const worker = await AgentWorker.start({ manifest, url: args.redisUrl, registry: faultyRegistry(args.config), lockMs: args.lockMs });
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void worker.close(0).then(() => process.exit(0));
});
