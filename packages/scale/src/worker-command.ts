import { BatonError } from 'batonjs/internal';
import type { AgentWorkerOptions } from './agent-worker.ts';
import { REDIS_URL_ENV, redactUrl, resolveRedisUrl } from './connection.ts';
import { DEFAULT_PREFIX, resolveQueuePrefix } from './names.ts';
import type { CommonOptions } from 'batonjs/internal';
import { readManifest } from 'batonjs/internal';

export interface WorkerCommandOptions extends CommonOptions {
  redis?: string;
  /** `--queue-prefix` (default: BATON_QUEUE_PREFIX, else `baton:agent`). */
  queuePrefix?: string;
  concurrency?: string;
  agents?: string;
  healthPort?: string;
  healthHost?: string;
  graceMs?: string;
  lockMs?: string;
}

/** `baton worker`: consume the agents' queues until SIGTERM/SIGINT; a second signal hands jobs back at once. */
export async function workerCommand(opts: WorkerCommandOptions): Promise<number> {
  const url = resolveRedisUrl(opts.redis);
  if (!url) throw new BatonError('BAD_REQUEST', `baton worker needs Redis: pass --redis redis://host:6379 or set ${REDIS_URL_ENV}`, { retryable: false });
  const prefix = resolveQueuePrefix(opts.queuePrefix);
  const manifest = await readManifest(opts);
  const options: AgentWorkerOptions = {
    manifest,
    url,
    prefix,
    concurrency: parseConcurrency(opts.concurrency),
    lockMs: positiveInt(opts.lockMs ?? '30000', '--lock-ms'),
    log: (line) => process.stderr.write(`baton worker: ${line}\n`),
  };
  if (opts.agents) options.agents = opts.agents.split(',').map((a) => a.trim()).filter(Boolean);
  const graceMs = nonNegativeInt(opts.graceMs ?? '30000', '--grace-ms');
  // Loaded here, not at CLI start: only workers need BullMQ.
  const { AgentWorker } = await import('./agent-worker.ts');
  const { serveHealth } = await import('./health-server.ts');
  const worker = await AgentWorker.start(options);
  const health = opts.healthPort === undefined ? undefined : await serveHealth(() => worker.health(), { port: nonNegativeInt(opts.healthPort, '--health-port'), host: opts.healthHost ?? '127.0.0.1' });
  const queues = worker
    .health()
    .queues.map((q) => `${q.agent}(${q.concurrency})`)
    .join(', ');
  const healthNote = health ? `; health on http://${opts.healthHost ?? '127.0.0.1'}:${health.port}/healthz` : '';
  const prefixNote = prefix === DEFAULT_PREFIX ? '' : ` (queue prefix ${prefix})`;
  // Listened for before the worker says it is ready: a SIGTERM sent as soon as that line shows
  // finishes its jobs instead of finding no handler yet and killing it.
  const stopped = new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals): void => {
      signals++;
      if (signals === 1) {
        process.stderr.write(`baton worker: ${sig}: finishing running jobs (up to ${graceMs} ms, then they go back to the queue; again to hand back now)\n`);
        void worker.close(graceMs).then(resolve);
      } else {
        process.stderr.write(`baton worker: ${sig}: handing running jobs back to the queue\n`);
        void worker.close(0);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  process.stderr.write(`baton worker ${worker.id} ready: agents ${queues} on ${redactUrl(url)}${prefixNote}${healthNote}\n`);
  await stopped;
  await health?.close();
  const h = worker.health();
  process.stderr.write(`baton worker ${worker.id} stopped: ${h.completed} completed, ${h.failed} failed, ${h.handedBack} handed back\n`);
  // Stopped means done: a timer BullMQ left running after a close cut short (its stalled-jobs
  // check sleeps up to the lock time, 30 s, after an unreachable Redis) must not hold the process.
  setTimeout(() => process.exit(), 1000).unref();
  return 0;
}

/** `"4"`, `"analytics=8"` or `"2,analytics=8"`: a default and per-agent values. */
export function parseConcurrency(text: string | undefined): NonNullable<AgentWorkerOptions['concurrency']> {
  const result: NonNullable<AgentWorkerOptions['concurrency']> = {};
  if (!text) return result;
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    if (eq < 0) result.default = positiveInt(item, '--concurrency');
    else (result.perAgent ??= {})[item.slice(0, eq).trim()] = positiveInt(item.slice(eq + 1), `--concurrency ${item.slice(0, eq)}`);
  }
  return result;
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new BatonError('BAD_REQUEST', `${flag} must be a whole number of at least 1; got '${text}'`, { retryable: false });
  return n;
}

function nonNegativeInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new BatonError('BAD_REQUEST', `${flag} must be a whole number of at least 0; got '${text}'`, { retryable: false });
  return n;
}
