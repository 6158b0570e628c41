/**
 * The soak's distributed backend: a throwaway Redis, the orchestrator's BullMQ dispatcher, and a
 * pool of worker processes running the misbehaving agents. A worker killed by a `crash` fault is
 * replaced at once, so the pool keeps its size while BullMQ re-runs the dead worker's jobs.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Dispatcher } from '../../packages/scale/src/dispatcher.ts';
import { startRedis } from '../../packages/core/test/support/redis.ts';
import type { FaultConfig } from './faulty-agents.ts';
import type { Backend } from './run-soak.ts';
import type { Workspace } from './workspace.ts';

/** How long a dead worker's job stays claimed before another worker re-runs it. */
const LOCK_MS = 1_500;

interface WorkerProcess {
  proc: ChildProcess;
  exited: Promise<void>;
}

export async function startDistributed(o: { config: FaultConfig; workspace: Workspace; workers: number; log: (line: string) => void }): Promise<Backend> {
  const redis = await startRedis();
  const dispatcher = await Dispatcher.connect({ url: redis.url });
  const script = path.join(import.meta.dirname, 'worker.ts');
  const args = JSON.stringify({ manifestFile: o.workspace.manifestFile, redisUrl: redis.url, lockMs: LOCK_MS, config: o.config });
  const pool = new Set<WorkerProcess>();
  let closing = false;
  const figures = { 'workers killed': 0, 'workers started': 0 };

  const startWorker = (): Promise<void> => {
    const proc = spawn(process.execPath, ['--import', 'tsx', script, args], { stdio: ['ignore', 'pipe', 'inherit'] });
    figures['workers started']++;
    const w: WorkerProcess = { proc, exited: new Promise((resolve) => proc.once('exit', () => resolve())) };
    pool.add(w);
    void w.exited.then(() => {
      pool.delete(w);
      if (closing) return;
      figures['workers killed']++;
      if (proc.signalCode !== 'SIGKILL') o.log(`soak: worker ${proc.pid} exited (${proc.exitCode ?? proc.signalCode}) without being killed`);
      startWorker().catch((e: unknown) => o.log(`soak: ${(e as Error).message}`));
    });
    return new Promise((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('ready\n')) resolve();
      });
      void w.exited.then(() => reject(new Error(`soak worker ${proc.pid} exited before it was ready`)));
    });
  };

  await Promise.all(Array.from({ length: o.workers }, startWorker));
  return {
    registry: dispatcher.registry(),
    description: `distributed (BullMQ on ${redis.url}, ${o.workers} workers, lock ${LOCK_MS} ms)`,
    figures: () => ({ ...figures }),
    async close() {
      closing = true;
      const all = [...pool];
      for (const w of all) w.proc.kill('SIGTERM');
      await Promise.all(all.map((w) => w.exited));
      await dispatcher.close();
      await redis.stop();
    },
  };
}
