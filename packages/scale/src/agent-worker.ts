import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { AgentRegistry } from 'batonjs/internal';
import { AgentVersionError, closeAgents, verifyAgentVersion, warmUp } from 'batonjs/internal';
import type { Agent } from 'batonjs/internal';
import { DEFAULT_MAX_OUTPUT_BYTES } from 'batonjs/internal';
import { BatonError, checkedUsage, errorMessage, SlotMap, untilAborted, within } from 'batonjs/internal';
import type { Manifest, Usage } from 'batonjs/internal';
import { answeredWithin, quitWithin, redactUrl, redisOptions } from './connection.ts';
import { Heartbeat, HEARTBEAT_DEFAULTS } from './heartbeat.ts';
import { cancelChannel, cancelledKey, checkQueuePrefix, DEFAULT_PREFIX, heartbeatKey, queueNameOf, workersKey } from './names.ts';
import type { AttemptJobData, AttemptJobResult } from './payload.ts';
import { failureNote } from './payload.ts';
import { RecentIds } from './recent-ids.ts';
import { UsageStream } from './usage-stream.ts';
import { outputAsJson } from 'batonjs/internal';

export interface AgentWorkerOptions {
  manifest: Manifest;
  /** `redis://host:port[/db]`. */
  url: string;
  /** Key prefix of Baton's queues, heartbeats and cancel channel (default `baton:agent`); must match the orchestrators'. */
  prefix?: string;
  /** The agents whose queues this worker consumes (default: every agent of the manifest). */
  agents?: readonly string[];
  /** Agents defined in code; they replace manifest agents of the same name. The worker closes them as it closes, or when it cannot start, as an orchestrator does. */
  codeAgents?: readonly Agent[];
  /** Builds manifest agents (default: the standard kinds). */
  registry?: AgentRegistry;
  /** Jobs run at once, per agent: `default` for all, or per agent name (default `policy.maxParallel`). */
  concurrency?: { default?: number; perAgent?: Record<string, number> };
  /**
   * How long a job stays claimed by a worker that stopped renewing its lock (ms, default 30000):
   * BullMQ's stalled-job check re-runs such a job after about twice this. It is the safety net for
   * jobs nobody awaits any more; an orchestrator that awaits a job learns of its worker's loss
   * from the heartbeat, much sooner. Keep it well above the heartbeat's TTL.
   */
  lockMs?: number;
  /**
   * The worker's heartbeat, renewed from a thread of its own (ms, default every 1000, lasting
   * 5000): orchestrators take a worker whose heartbeat has expired for lost and retry its
   * attempts elsewhere.
   */
  heartbeat?: { intervalMs?: number; ttlMs?: number };
  /** Receives log lines (default: none). */
  log?: (line: string) => void;
}

/** What a worker reports about itself on `/healthz`. */
export interface WorkerHealth {
  status: 'ready' | 'closing' | 'closed';
  /** Redis connection state (`ready` when connected). */
  redis: string;
  id: string;
  pid: number;
  host: string;
  redisUrl: string;
  uptimeMs: number;
  queues: { agent: string; queue: string; concurrency: number; active: number }[];
  /** The Redis key of the worker's heartbeat. */
  heartbeatKey: string;
  /** Ids of the jobs (attempts) running now. */
  activeJobs: string[];
  completed: number;
  failed: number;
  /** Jobs given back to their queue at shutdown, for another worker to run. */
  handedBack: number;
}

/** How long a cancel for a job this worker has not started yet is remembered. */
const CANCEL_MEMORY_MS = 10 * 60_000;
/** How long the worker waits for Redis to say who holds a job's lock after BullMQ failed to renew it. */
const LOCK_CHECK_MS = 2_000;
/** Extra time past the attempt's timeout before the worker stops an agent on its own. */
const SAFETY_MARGIN_MS = 5_000;
/**
 * Once no job is left to finish (none ran, or the grace is over and they were handed back), how
 * long BullMQ's close may take before the worker cuts its Redis connections: against an
 * unreachable Redis that close never ends (it waits for its blocking connection to end, which a
 * connection between two reconnection tries never does), and the process would never exit.
 */
const CLOSE_BOUND_MS = 5_000;

interface Running {
  agent: string;
  controller: AbortController;
  /** The job's lock in Redis, and the token this run holds it by (none when BullMQ gave none). */
  lockKey: string;
  token: string | undefined;
}

const LOCK_LOST = 'this worker no longer holds the job (the orchestrator took it for lost: was this worker frozen or cut off from Redis?)';
const TAKEN_AGAIN = 'this run of the job lost its lock, and the job was taken again (by this worker): the new run replaces it';

/**
 * `baton worker`: consumes the queues of a manifest's agents and runs each job's attempt with
 * the real agent (module, command, llm, a2a). It reports the raw output or the error, and
 * nothing else: validation, retries and timeouts are the orchestrator's. It heartbeats from a
 * thread of its own and names itself on every job it takes, so an orchestrator that sees its
 * heartbeat expire fails its jobs at once and retries them elsewhere (BullMQ's stalled-job check
 * remains for jobs nobody awaits). On `close` the worker finishes its jobs within a grace period
 * and hands the rest back to their queues.
 */
export class AgentWorker {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
  private readonly startedAt = Date.now();
  private readonly workers = new Map<string, Worker>();
  /** A SlotMap: a Map's old tables kept every finished job's controller (and what it holds) through minor GCs. */
  private readonly running = new SlotMap<string, Running>();
  private readonly cancelled = new RecentIds(CANCEL_MEMORY_MS);
  private status: WorkerHealth['status'] = 'ready';
  private handingBack = false;
  private closing: Promise<void> | undefined;
  /** Stops waiting for BullMQ's close and cuts its connections (set while closing). */
  private cutAfterBound: (() => void) | undefined;
  private readonly stats = { completed: 0, failed: 0, handedBack: 0 };
  private readonly lastLogged = new Map<string, number>();

  private readonly prefix: string;
  private heartbeat: Heartbeat | undefined;

  private constructor(
    private readonly options: AgentWorkerOptions,
    private readonly agents: Map<string, Agent>,
    private readonly subscriber: Redis,
  ) {
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
  }

  /** Builds the agents (and loads their modules), subscribes to cancellations and starts consuming; resolves when ready. */
  static async start(options: AgentWorkerOptions): Promise<AgentWorker> {
    const intervalMs = options.heartbeat?.intervalMs ?? HEARTBEAT_DEFAULTS.intervalMs;
    const ttlMs = options.heartbeat?.ttlMs ?? HEARTBEAT_DEFAULTS.ttlMs;
    if (!(intervalMs > 0 && ttlMs >= 2 * intervalMs)) {
      throw new BatonError('BAD_REQUEST', `heartbeat.ttlMs must be at least twice heartbeat.intervalMs (a live worker must survive a missed beat); got intervalMs ${intervalMs}, ttlMs ${ttlMs}`, { retryable: false });
    }
    const prefix = checkQueuePrefix(options.prefix ?? DEFAULT_PREFIX, 'prefix');
    const agents = await buildAgents(options);
    // Loads every module before taking jobs (a module agent's thread reads its version as it loads
    // it): a job must not spend its time waiting for a worker that just started, e.g. after a crash.
    await Promise.all([...agents.values()].map((agent) => agent.version?.().catch(() => undefined)));
    const subscriber = new Redis({ ...redisOptions(options.url, true), lazyConnect: true });
    subscriber.on('error', () => undefined);
    try {
      await answeredWithin(subscriber.connect().then(() => subscriber.subscribe(cancelChannel(prefix))));
    } catch (e) {
      subscriber.disconnect();
      await closeAll(agents, options.log);
      throw new BatonError('BAD_REQUEST', `cannot reach Redis at ${redactUrl(options.url)} (--redis or BATON_REDIS_URL): ${errorMessage(e)}`, { retryable: false, cause: e });
    }
    const worker = new AgentWorker(options, agents, subscriber);
    subscriber.on('message', (_channel: string, jobId: string) => worker.onCancel(jobId));
    // Back after a disconnection: cancels published meanwhile were not received. Once subscribed
    // again (so that none can fall between), the running jobs' cancel records are read at once.
    subscriber.on('ready', () => {
      subscriber.subscribe(cancelChannel(prefix)).then(
        () => worker.heartbeat?.beatNow(),
        () => undefined,
      );
    });
    try {
      // The first beat is in Redis before the first job is taken: a job held without one looks lost.
      worker.heartbeat = await Heartbeat.start(
        {
          url: options.url,
          key: heartbeatKey(prefix, worker.id),
          workersKey: workersKey(prefix),
          workerId: worker.id,
          // The agents it serves: orchestrators fail at once the attempts of an agent no live worker serves.
          value: { host: hostname(), pid: process.pid, ttlMs, agents: worker.agentNames() },
          intervalMs,
          lockMs: options.lockMs ?? 30_000,
          lockSlots: worker.agentNames().reduce((sum, name) => sum + worker.concurrencyFor(name), 0),
          // Each beat also reads the running jobs' cancel records: pub/sub keeps no message for a subscriber that was away.
          cancelledKeyPrefix: cancelledKey(prefix, ''),
          onCancelled: (jobId) => worker.onCancel(jobId),
        },
        (line) => worker.options.log?.(line),
      );
    } catch (e) {
      subscriber.disconnect();
      await closeAll(agents, options.log);
      throw e;
    }
    try {
      await worker.consume(prefix);
    } catch (e) {
      await worker.close(0);
      throw e;
    }
    return worker;
  }

  /** The names of the agents this worker serves. */
  agentNames(): string[] {
    return [...this.agents.keys()];
  }

  health(): WorkerHealth {
    const active = (agent: string): number => this.running.values().filter((r) => r.agent === agent).length;
    return {
      status: this.status,
      redis: this.subscriber.status,
      id: this.id,
      pid: process.pid,
      host: hostname(),
      redisUrl: redactUrl(this.options.url),
      heartbeatKey: heartbeatKey(this.prefix, this.id),
      uptimeMs: Date.now() - this.startedAt,
      queues: this.agentNames().map((agent) => ({ agent, queue: queueNameOf(agent), concurrency: this.concurrencyFor(agent), active: active(agent) })),
      activeJobs: [...this.running.keys()],
      ...this.stats,
    };
  }

  /**
   * Stops taking jobs, lets running ones finish for up to `graceMs` (default 30 s), then aborts
   * the rest and puts them back in their queues for another worker. Calling it again with a
   * shorter grace (a second SIGTERM) hands back at once.
   */
  close(graceMs = 30_000): Promise<void> {
    if (this.closing) {
      if (graceMs === 0) this.handBack();
      return this.closing;
    }
    this.status = 'closing';
    const all = Promise.all([...this.workers.values()].map((w) => w.close()));
    let bound: NodeJS.Timeout | undefined;
    const cut = new Promise<void>((resolve) => {
      this.cutAfterBound = () => {
        bound ??= setTimeout(() => {
          for (const w of this.workers.values()) cutConnections(w);
          resolve();
        }, CLOSE_BOUND_MS);
      };
    });
    const timer = setTimeout(() => this.handBack(), graceMs);
    if (this.running.size === 0) this.cutAfterBound?.();
    this.closing = Promise.race([all, cut])
      .finally(() => {
        clearTimeout(timer);
        clearTimeout(bound);
      })
      .then(async () => {
        await quitWithin(this.subscriber);
        await closeAll(this.agents, this.options.log);
        // Last: while a job runs, the worker must not look lost.
        await this.heartbeat?.stop();
        this.status = 'closed';
      });
    if (graceMs === 0) this.handBack();
    return this.closing;
  }

  private handBack(): void {
    if (this.handingBack) return;
    this.handingBack = true;
    // This map, not BullMQ's cancelAllJobs: BullMQ tracks its jobs by id too, and once the earlier
    // run of a job taken again ends, it no longer knows of the new run.
    for (const r of this.running.values()) r.controller.abort(new BatonError('RUN_CANCELLED', 'the worker is shutting down'));
    this.cutAfterBound?.();
  }

  /** Puts a job back in its queue, untouched: another worker runs it and the orchestrator keeps waiting. */
  private async giveBack(job: Job<AttemptJobData, AttemptJobResult>, token: string): Promise<never> {
    await job.moveToWait(token);
    this.stats.handedBack++;
    throw new WaitingError();
  }

  /** Logs a line, but the same line at most once a minute (a Redis outage repeats its error on every try). */
  private logOnce(line: string): void {
    const now = Date.now();
    if (now - (this.lastLogged.get(line) ?? -Infinity) < 60_000) return;
    if (this.lastLogged.size > 100) this.lastLogged.clear();
    this.lastLogged.set(line, now);
    this.options.log?.(line);
  }

  private onCancel(jobId: string): void {
    this.cancelled.add(jobId);
    this.running.get(jobId)?.controller.abort(new BatonError('RUN_CANCELLED', 'cancelled: the orchestrator abandoned this attempt'));
  }

  /**
   * BullMQ could not renew a job's lock. It says so by job id, and the renewal may have been of an
   * earlier run's token, answered after the job was taken again: the run holding the job now is
   * stopped only if Redis no longer holds its own token, or does not say so within 2 s.
   */
  private async lockRenewalFailed(worker: Worker, jobId: string): Promise<void> {
    const entry = this.running.get(jobId);
    if (!entry) return;
    if (entry.token && (await lockHolder(worker, entry.lockKey)) === entry.token) return;
    entry.controller.abort(new BatonError('RUN_CANCELLED', LOCK_LOST));
  }

  /** Jobs of an agent's queue this worker runs at once. */
  private concurrencyFor(name: string): number {
    return this.options.concurrency?.perAgent?.[name] ?? this.options.concurrency?.default ?? this.options.manifest.orchestrator.policy.maxParallel;
  }

  private async consume(prefix: string): Promise<void> {
    const lockMs = this.options.lockMs ?? 30_000;
    for (const [name, agent] of this.agents) {
      const concurrency = this.concurrencyFor(name);
      const worker = new Worker<AttemptJobData, AttemptJobResult>(queueNameOf(name), (job, token) => this.process(agent, job, token), {
        connection: redisOptions(this.options.url, true),
        prefix,
        concurrency,
        // Written on the job with its lock, atomically: orchestrators read which worker holds a job.
        name: this.id,
        lockDuration: lockMs,
        stalledInterval: lockMs,
        // A job whose worker died while nobody awaited it is re-run, twice at most; a third loss fails it.
        maxStalledCount: 2,
      });
      worker.on('error', (e) => this.logOnce(`queue ${name}: ${errorMessage(e)}`));
      // The job was failed or taken by someone else (this worker was frozen or cut off): stop its agent.
      worker.on('lockRenewalFailed', (jobIds) => {
        for (const id of jobIds) void this.lockRenewalFailed(worker, id);
      });
      this.workers.set(name, worker);
    }
    await Promise.all([...this.workers.values()].map((w) => w.waitUntilReady()));
  }

  /**
   * Refuses a job whose run expects another version of the agent than this worker's manifest gives
   * (workers started with another manifest): its output would be journaled under a version that
   * did not make it. Not retryable: another attempt may reach a worker of the right version.
   */
  private checkVersion(agent: Agent, expected: string | undefined): void {
    if (expected === undefined) return;
    const name = agent.spec.name;
    const mine = Object.hasOwn(this.options.manifest.agents, name) ? this.options.manifest.agents[name]!.version : agent.spec.version;
    if (mine === expected) return;
    throw new BatonError(
      'AGENT_VERSION_REFUSED',
      `worker ${this.id} runs agent '${name}' at version ${mine ?? '(none)'}, but the run's manifest gives version ${expected}: start the workers with the manifest the run was started with`,
      { retryable: false },
    );
  }

  private async process(agent: Agent, job: Job<AttemptJobData, AttemptJobResult>, token: string | undefined): Promise<AttemptJobResult> {
    const jobId = job.id ?? '';
    // The same job taken again while an earlier run of it goes on (its lock lapsed, BullMQ put the
    // job back and this worker fetched it): that run's result can no longer complete the job, and
    // cancels from now on are for the new run. Stop its agent, whatever becomes of the new run.
    this.running.get(jobId)?.controller.abort(new BatonError('RUN_CANCELLED', TAKEN_AGAIN));
    if (this.cancelled.has(jobId)) throw new UnrecoverableError('cancelled: the orchestrator abandoned this attempt before it started');
    // A fetch already under way when closing began can still deliver a job: a closing worker starts nothing.
    if (this.status !== 'ready' && token) return this.giveBack(job, token);
    const controller = new AbortController();
    const limitMs = Number.isFinite(job.data.timeoutMs) && job.data.timeoutMs > 0 ? job.data.timeoutMs + SAFETY_MARGIN_MS : undefined;
    const safety = limitMs === undefined ? undefined : setTimeout(() => controller.abort(new BatonError('AGENT_TIMEOUT', `stopped by the worker: no result within ${limitMs} ms`)), limitMs);
    const lockKey = `${job.queueQualifiedName}:${jobId}:lock`;
    const entry: Running = { agent: agent.spec.name, controller, lockKey, token };
    this.running.set(jobId, entry);
    if (token) this.heartbeat?.hold(lockKey, token);
    let usage: Usage | undefined;
    const run = randomBytes(6).toString('hex');
    const usageStream = new UsageStream(job, run);
    const maxOutputBytes = job.data.maxOutputBytes ?? this.options.manifest.orchestrator.policy.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    try {
      this.checkVersion(agent, job.data.agentVersion);
      const output = await untilAborted(
        agent.run(job.data.input, {
          signal: controller.signal,
          reportUsage: (reported) => {
            const u = checkedUsage(reported);
            usage = usage ? { llmCalls: usage.llmCalls + u.llmCalls, inputTokens: usage.inputTokens + u.inputTokens, outputTokens: usage.outputTokens + u.outputTokens } : u;
            if (this.running.get(jobId) === entry) usageStream.report(usage);
          },
          maxOutputBytes,
        }),
        controller.signal,
      );
      // Checked here, as the validator would: an output JSON cannot hold, or one over the limit, is
      // an invalid attempt (its code travels in the failure note), never a job BullMQ fails by itself.
      outputAsJson(output, maxOutputBytes);
      usageStream.stop();
      this.stats.completed++;
      return usage ? { output, usage, run } : { output };
    } catch (e) {
      // Before the failure note, which must be the job's last progress.
      usageStream.stop();
      // A run the job was taken from holds it no more: it neither gives it back nor writes its note on it.
      const holdsJob = this.running.get(jobId) === entry;
      if (this.handingBack && token && holdsJob) return this.giveBack(job, token);
      this.stats.failed++;
      this.options.log?.(`${agent.spec.name} failed job ${jobId}: ${errorMessage(e, 'agent')}`);
      if (holdsJob) await job.updateProgress(failureNote(e, usage, run)).catch(() => undefined);
      const retryable = BatonError.isInstance(e) ? e.retryable : true;
      throw retryable ? new Error(errorMessage(e, 'agent')) : new UnrecoverableError(errorMessage(e, 'agent'));
    } finally {
      clearTimeout(safety);
      if (this.running.get(jobId) === entry) this.running.delete(jobId);
      if (token) this.heartbeat?.release(lockKey, token);
      // Closing, and nothing left to finish: BullMQ's close gets its bound from now, not from the grace's end.
      if (this.running.size === 0) this.cutAfterBound?.();
    }
  }
}

/**
 * Closes the agents of a worker that stops or will not start (their threads would keep the
 * process alive), each within core's AGENT_CLOSE_MS; a failure to close does not stop the rest.
 */
async function closeAll(agents: Map<string, Agent>, log: ((line: string) => void) | undefined): Promise<void> {
  await closeAgents(agents.values()).catch((e: unknown) => log?.(errorMessage(e)));
}

/** The agents a worker serves, built once at start so a broken one is reported at once. */
async function buildAgents(options: AgentWorkerOptions): Promise<Map<string, Agent>> {
  const { manifest } = options;
  const code = new Map((options.codeAgents ?? []).map((a) => [a.spec.name, a] as const));
  const names = options.agents && options.agents.length > 0 ? [...options.agents] : [...new Set([...Object.keys(manifest.agents), ...code.keys()])];
  const unknown = names.filter((n) => !manifest.agents[n] && !code.has(n));
  if (unknown.length > 0) {
    const known = [...new Set([...Object.keys(manifest.agents), ...code.keys()])].join(', ');
    throw new BatonError('BAD_REQUEST', `no agent named ${unknown.map((n) => `'${n}'`).join(', ')} in ${manifest.file ?? 'the manifest'} (its agents: ${known})`, { retryable: false });
  }
  const registry = options.registry ?? new AgentRegistry();
  const agents = new Map<string, Agent>();
  try {
    for (const name of names) {
      const spec = manifest.agents[name];
      const agent = code.get(name) ?? (await registry.create(spec!, manifest));
      agents.set(name, agent);
      // What this worker serves it runs: what an agent starts ahead of its first job (a command
      // agent's launcher) starts now, while the versions are read.
      warmUp(agent);
    }
  } catch (e) {
    await closeAll(agents, options.log);
    throw e;
  }
  // A worker serves only agents inside their manifest's version pins; it does not start otherwise.
  const verdicts = await Promise.all([...agents].map(([name, agent]) => verifyAgentVersion(agent, manifest.agents[name] ?? agent.spec, manifest.file)));
  const refused = verdicts.filter((v) => v.refusal !== undefined);
  if (refused.length > 0) {
    await closeAll(agents, options.log);
    throw new AgentVersionError(refused);
  }
  return agents;
}

/**
 * What BullMQ's own close would have ended (bullmq is pinned; these members are its, not public):
 * its two Redis connections, closed by force (dropped at once, whatever they wait for, and marked
 * closing, so BullMQ stops retrying the commands that fail then: it would retry a job's completion
 * on a dropped connection in a loop that starves the event loop), and the timer that renews its
 * jobs' locks, and the stalled-jobs check's sleep. Nothing of the worker keeps the process alive then.
 */
function cutConnections(worker: Worker): void {
  type Connection = { close(force: boolean): Promise<void>; disconnect(wait: boolean): Promise<void> };
  const inner = worker as unknown as { blockingConnection?: Connection; connection?: Connection; lockManager?: { close(): Promise<void> }; stalledCheckStopper?: () => void };
  void inner.lockManager?.close().catch(() => undefined);
  // The stalled-jobs check sleeps on a timer that only the end of close() stops.
  inner.stalledCheckStopper?.();
  for (const connection of [inner.blockingConnection, inner.connection]) {
    void connection?.close(true).catch(() => undefined);
    // Also when BullMQ's close already got to it and waits for the answer to its QUIT.
    void connection?.disconnect(false).catch(() => undefined);
  }
}

/**
 * The token Redis holds a job's lock by, or undefined when Redis does not answer within
 * {@link LOCK_CHECK_MS}: BullMQ's connection queues a command while it reconnects, and a run whose
 * lock may be lost must not go on for as long as an outage lasts.
 */
async function lockHolder(worker: Worker, lockKey: string): Promise<string | null | undefined> {
  const asked = await within(worker.client.then((client) => client.get(lockKey)), LOCK_CHECK_MS);
  return 'value' in asked ? asked.value : undefined;
}

