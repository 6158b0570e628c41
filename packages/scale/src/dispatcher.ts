import { Queue, QueueEvents } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { AgentRegistry } from 'batonjs/internal';
import type { AgentContext } from 'batonjs/internal';
import { BatonError, errorMessage, SlotMap, within } from 'batonjs/internal';
import type { AgentKind, AgentOutput } from 'batonjs/internal';
import { answeredWithin, closeWithin, QUIT_MS, quitWithin, redactUrl, redisOptions } from './connection.ts';
import { publishCancel, UNKNOWN_TIMEOUT_MS } from './cancels.ts';
import { LossWatch } from './loss-watch.ts';
import { checkQueuePrefix, DEFAULT_PREFIX, jobIdOf, jobIdOfAttempt, queueNameOf } from './names.ts';
import type { AttemptJobData, FailureNote } from './payload.ts';
import { errorOfFailedJob, isFailureNote, isJobResult, isUsageNote } from './payload.ts';
import { RemoteAgent } from './remote-agent.ts';
import { UsageTally } from './usage-tally.ts';
import { NO_WORKER_GRACE_MS, readLiveWorkers, ServedAgents, unservedMessage } from './served-agents.ts';

export interface DispatcherOptions {
  /** `redis://host:port[/db]`. */
  url: string;
  /** Key prefix of Baton's queues, heartbeats and cancel channel (default `baton:agent`); orchestrators and workers must agree. */
  prefix?: string;
  /** How often the workers of awaited jobs are checked for loss (ms, default 1000). */
  watchIntervalMs?: number;
  /**
   * How long an attempt's job may wait while no live worker serves its agent (ms, default 10000):
   * then the attempt fails, not retryable (`AGENT_NOT_FOUND`), and the orchestrator reassigns the
   * task to a fallback agent or fails it, instead of waiting for the attempt's timeout.
   */
  noWorkerGraceMs?: number;
}

/**
 * Finished jobs stay in Redis this long (seconds) so that a job whose completion event was
 * missed (Redis connection lost, orchestrator restarted) can still be read; the journal, not
 * Redis, is the record of attempts.
 */
const KEEP_FINISHED = { age: 300, count: 10_000 };

const ALL_KINDS: readonly AgentKind[] = ['module', 'command', 'llm', 'a2a', 'code'];

/**
 * How long `close()` waits for cancellations still on their way to Redis (ms). Against a reachable
 * Redis they take milliseconds; the bound only keeps an unreachable one from holding a process's exit.
 */
const CANCEL_FLUSH_MS = 5_000;

/** A failure may carry what the agent reported having used before it failed (its worker's failure note). */
type Settlement = { ok: true; value: unknown } | { ok: false; error: Error; note?: FailureNote | undefined };

/** An attempt handed to a worker whose result this process awaits. */
interface Pending {
  agent: string;
  queue: string;
  /** The attempt's timeout: how long its cancel must stay recorded, past the moment it is sent. */
  timeoutMs: number;
  /** The job is known to be in Redis (its `add` returned). */
  added: boolean;
  /** Why the worker failed, sent as job progress before the failure. */
  note?: FailureNote;
  /** Counts a run's usage total so far, as the worker streams it (as job progress) or returns it. */
  countUsage(run: string | undefined, total: unknown): void;
  settle(s: Settlement): void;
}

/**
 * The orchestrator's side of distributed dispatch. Each attempt becomes a BullMQ job on its
 * agent's queue, with the attempt's id as job id; results come back through BullMQ's queue event
 * stream (one reader per queue, shared by every attempt). Timeouts, retries and reassignment stay
 * the orchestrator's: jobs are never retried by BullMQ (`attempts: 1`), and an attempt the
 * orchestrator abandons is removed from its queue or, when a worker already runs it, cancelled
 * over pub/sub. Once a second, one pass checks the heartbeats of the workers holding awaited
 * jobs: the job of a lost worker is failed in Redis, so it never runs again, and its attempt
 * fails at once as a retryable loss, which the orchestrator's ladder retries as a new attempt.
 * The same pass fails, not retryable, the attempts whose jobs wait for an agent that no live worker
 * serves (workers name their agents in their heartbeats) once that has lasted `noWorkerGraceMs`.
 */
export class Dispatcher {
  readonly prefix: string;
  private readonly queues = new Map<string, Queue>();
  private readonly readers = new Map<string, Promise<QueueEvents>>();
  /** Every event reader made, ready or not: one still starting when Redis froze is closed too. */
  private readonly eventReaders = new Set<QueueEvents>();
  /** A SlotMap: a Map's old tables kept every settled attempt's closures (and what they hold) through minor GCs. */
  private readonly pending = new SlotMap<string, Pending>();
  private readonly watch: LossWatch;
  private readonly served: ServedAgents;
  /** Cancellations not yet sent: `close()` waits for them, or a `baton runs cancel` exits before its message leaves. */
  private readonly cancelling = new Set<Promise<void>>();
  private closed = false;
  /** The cancellations are flushed and the connection is closing: nothing more is sent. */
  private disconnected = false;

  private constructor(
    readonly url: string,
    private readonly connection: Redis,
    prefix: string,
    watchIntervalMs: number,
    private readonly noWorkerGraceMs: number,
  ) {
    this.prefix = prefix;
    this.served = new ServedAgents(() => readLiveWorkers(connection, prefix), noWorkerGraceMs);
    this.watch = new LossWatch(
      connection,
      prefix,
      {
        awaited: () => this.pending.entries().filter(([, p]) => p.added).map(([jobId, p]) => ({ jobId, queue: this.queue(p.queue) })),
        settleFromRedis: (jobId) => void this.settleFromStoredJob(jobId),
        lost: (jobId, message) => this.pending.get(jobId)?.settle({ ok: false, error: new BatonError('AGENT_FAILED', message, { retryable: true }) }),
        cancelOnWorker: (jobId) => publishCancel(connection, prefix, jobId, this.pending.get(jobId)?.timeoutMs ?? UNKNOWN_TIMEOUT_MS),
        waiting: (jobIds) => this.failUnserved(jobIds),
      },
      watchIntervalMs,
    );
    // After a reconnection, Redis may have restarted empty: look again at every awaited job.
    connection.on('ready', () => {
      this.watch.reconnected();
      this.served.reset();
      void this.recheckPending();
    });
    connection.on('error', () => undefined);
  }

  /** Connects to Redis; fails with a readable error when it cannot be reached. */
  static async connect(options: DispatcherOptions): Promise<Dispatcher> {
    const prefix = checkQueuePrefix(options.prefix ?? DEFAULT_PREFIX, 'prefix');
    const connection = new Redis({ ...redisOptions(options.url, false), lazyConnect: true });
    connection.on('error', () => undefined);
    try {
      await answeredWithin(connection.connect());
    } catch (e) {
      connection.disconnect();
      throw new BatonError('BAD_REQUEST', `cannot reach Redis at ${redactUrl(options.url)} (BATON_REDIS_URL): ${errorMessage(e)}; start Redis or unset BATON_REDIS_URL to run agents in this process`, {
        retryable: false,
        cause: e,
      });
    }
    return new Dispatcher(options.url, connection, prefix, options.watchIntervalMs ?? 1_000, options.noWorkerGraceMs ?? NO_WORKER_GRACE_MS);
  }

  /** A registry whose every agent kind is a RemoteAgent: the orchestrator runs nothing itself. */
  registry(): AgentRegistry {
    const registry = new AgentRegistry();
    for (const kind of ALL_KINDS) registry.register(kind, (spec, manifest) => new RemoteAgent(this, spec, manifest));
    return registry;
  }

  /**
   * Queues one attempt and settles with the worker's raw output, or rejects with its error.
   * Aborting `ctx.signal` abandons the attempt: the job is removed or cancelled, and a result
   * that still arrives is ignored.
   */
  async dispatch(data: AttemptJobData, ctx: AgentContext): Promise<AgentOutput> {
    if (this.closed) throw new BatonError('INTERNAL', 'the dispatcher is closed', { retryable: false });
    const queueName = queueNameOf(data.agent);
    await this.reader(queueName);
    // Closed meanwhile: close() failed the attempts it found, and its queues are going; this one is not queued.
    if (this.closed) throw closedWhileRunning();
    ctx.signal.throwIfAborted();
    const jobId = jobIdOf(data.input);
    const tally = new UsageTally();
    // Counted as it comes, as in-process, where usage reported before an attempt ends (in any way) is
    // the attempt's. What is not three counts is not counted: a settlement must not throw.
    const countUsage = (run: string | undefined, total: unknown): void => {
      try {
        const added = tally.add(run, total);
        if (added) ctx.reportUsage?.(added);
      } catch {
        // not three counts
      }
    };
    const settled = new Promise<unknown>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.pending.get(jobId) !== entry) return;
        this.pending.delete(jobId);
        reject(ctx.signal.reason as Error);
        void this.cancel([queueName], jobId, data.timeoutMs);
      };
      const entry: Pending = {
        agent: data.agent,
        queue: queueName,
        timeoutMs: data.timeoutMs,
        added: false,
        countUsage,
        settle: (s) => {
          ctx.signal.removeEventListener('abort', onAbort);
          if (this.pending.get(jobId) === entry) this.pending.delete(jobId);
          if (s.ok) return resolve(s.value);
          const usage = s.note?.failure.usage;
          if (usage) countUsage(s.note?.failure.run, usage);
          reject(s.error);
        },
      };
      // One attempt per job id; a second one (not expected) takes over and the first fails.
      this.pending.get(jobId)?.settle({ ok: false, error: new BatonError('AGENT_FAILED', `attempt ${jobId} was dispatched again`) });
      this.pending.set(jobId, entry);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const { deadline } = ctx;
      if (deadline !== undefined) ctx.setAnswerCheck?.(() => this.finishedBy(queueName, jobId, deadline));
      this.queue(queueName)
        .add(data.agent, data, { jobId, attempts: 1, removeOnComplete: KEEP_FINISHED, removeOnFail: KEEP_FINISHED })
        .then(
          () => {
            entry.added = true;
          },
          (e: unknown) => entry.settle({ ok: false, error: new BatonError('AGENT_FAILED', `could not queue the attempt on Redis (${redactUrl(this.url)}): ${errorMessage(e)}`, { cause: e }) }),
        );
    });
    const value = await settled;
    if (!isJobResult(value)) throw new BatonError('OUTPUT_INVALID', `the worker of agent '${data.agent}' returned no result envelope (is it a Baton worker of the same version?)`);
    if (value.usage) countUsage(value.run, value.usage);
    return value.output;
  }

  /**
   * Abandons attempts a previous orchestrator process left running (the `interruptedAttempts`
   * of `run.resumed`): their jobs are removed from the queues of `agents`, or cancelled on
   * the worker running them, so that no worker keeps doing work nobody awaits. `timeoutMs`, the
   * longest timeout those attempts may have had, bounds how long their cancels stay recorded.
   */
  async cancelAttempts(attemptIds: readonly string[], agents: readonly string[], timeoutMs = UNKNOWN_TIMEOUT_MS): Promise<void> {
    const jobIds = attemptIds.map(jobIdOfAttempt).filter((id): id is string => id !== undefined);
    await Promise.all(jobIds.map((jobId) => this.cancel(agents.map(queueNameOf), jobId, timeoutMs)));
  }

  /** Attempts awaited now (for health reports and tests). */
  inFlight(): number {
    return this.pending.size;
  }

  /** Fails every awaited attempt and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watch.close();
    for (const [jobId, p] of this.pending.entries()) {
      p.settle({ ok: false, error: closedWhileRunning() });
      // Journaled as failed, the attempt is never cancelled by a resume: its job must not run later, unawaited.
      void this.cancel([p.queue], jobId, p.timeoutMs);
    }
    await this.flushCancels();
    // Whatever comes later would be sent on queues and a connection about to close.
    this.disconnected = true;
    // A reader still starting waits on Redis: against a frozen one, for good.
    await within(Promise.allSettled([...this.readers.values()]), QUIT_MS);
    await Promise.all([...this.eventReaders].map((r) => closeWithin(r.close(), () => r.disconnect().catch(() => undefined))));
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    await quitWithin(this.connection);
  }

  /** Waits, at most CANCEL_FLUSH_MS, for the cancellations on their way, those started meanwhile included. */
  private async flushCancels(): Promise<void> {
    const deadline = Date.now() + CANCEL_FLUSH_MS;
    while (this.cancelling.size > 0 && Date.now() < deadline) await within(Promise.allSettled([...this.cancelling]), deadline - Date.now());
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix });
      q.on('error', () => undefined);
      this.queues.set(name, q);
    }
    return q;
  }

  /** The queue's event reader, started before any job of this process is added to the queue. */
  private reader(name: string): Promise<QueueEvents> {
    let r = this.readers.get(name);
    if (!r) {
      r = this.startReader(name);
      r.catch(() => this.readers.delete(name));
      this.readers.set(name, r);
    }
    return r;
  }

  private async startReader(name: string): Promise<QueueEvents> {
    // Read from the Redis server's clock now, not from '$': an event published between this call
    // and the reader's first XREAD would otherwise be missed.
    const [seconds, micros] = await answeredWithin(this.connection.time());
    const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const events = new QueueEvents(name, { connection: redisOptions(this.url, true), prefix: this.prefix, lastEventId: `${nowMs - 1}-0` });
    this.eventReaders.add(events);
    events.on('error', () => undefined);
    events.on('completed', ({ jobId, returnvalue }) => this.pending.get(jobId)?.settle({ ok: true, value: returnvalue }));
    events.on('progress', ({ jobId, data }) => {
      const p = this.pending.get(jobId);
      if (p && isFailureNote(data)) p.note = data;
      else if (p && isUsageNote(data)) p.countUsage(data.run, data.usage);
    });
    events.on('failed', ({ jobId, failedReason }) => {
      const p = this.pending.get(jobId);
      p?.settle({ ok: false, error: errorOfFailedJob(failedReason, p.note), note: p.note });
    });
    events.on('removed', ({ jobId }) => {
      this.pending.get(jobId)?.settle({ ok: false, error: new BatonError('AGENT_FAILED', `the job of this attempt (${jobId}) was removed from queue ${name} before it finished`) });
    });
    // The job id existed already (an earlier process queued this very attempt): take its result.
    events.on('duplicated', ({ jobId }) => void this.settleFromStoredJob(jobId));
    await events.waitUntilReady();
    return events;
  }

  /**
   * Whether the job of an awaited attempt finished on its worker by `deadline` (the worker's clock,
   * as BullMQ stores it). Its result may still be on its way in the event stream: if it finished,
   * the attempt is settled from the stored job at once.
   */
  private async finishedBy(queueName: string, jobId: string, deadline: number): Promise<boolean> {
    let finishedOn: number | undefined;
    try {
      finishedOn = (await this.queue(queueName).getJob(jobId))?.finishedOn;
    } catch {
      return false; // Redis unreachable: no evidence.
    }
    if (finishedOn === undefined || finishedOn > deadline) return false;
    void this.settleFromStoredJob(jobId);
    return true;
  }

  /** Settles an awaited attempt from its job as stored in Redis, if it has finished or vanished. */
  private async settleFromStoredJob(jobId: string): Promise<void> {
    const p = this.pending.get(jobId);
    if (!p) return;
    let job: Job | undefined;
    let state: string;
    try {
      job = await this.queue(p.queue).getJob(jobId);
      state = job ? await job.getState() : 'unknown';
    } catch {
      return; // Redis unreachable again: the next reconnection looks again.
    }
    if (this.pending.get(jobId) !== p) return;
    if (!job || state === 'unknown') {
      p.settle({ ok: false, error: new BatonError('AGENT_FAILED', `the job of this attempt (${jobId}) is gone from Redis (${redactUrl(this.url)}): was Redis restarted or flushed?`) });
    } else if (state === 'completed') {
      p.settle({ ok: true, value: job.returnvalue });
    } else if (state === 'failed') {
      const progress: unknown = job.progress;
      const note = isFailureNote(progress) ? progress : p.note;
      p.settle({ ok: false, error: errorOfFailedJob(job.failedReason, note), note });
    }
  }

  /**
   * Fails the attempts whose jobs wait for an agent that no live worker has served for the grace
   * period, and takes their jobs off the queue (or cancels them, had a worker just taken one).
   */
  private async failUnserved(jobIds: readonly string[]): Promise<void> {
    const waiting = jobIds.flatMap((jobId) => {
      const p = this.pending.get(jobId);
      return p ? [{ jobId, agent: p.agent }] : [];
    });
    const where = `${redactUrl(this.url)} with queue prefix '${this.prefix}'`;
    for (const { agent, jobIds: unserved, served } of await this.served.unserved(waiting)) {
      const message = unservedMessage(agent, served, this.noWorkerGraceMs, where);
      for (const jobId of unserved) {
        const p = this.pending.get(jobId);
        if (!p) continue;
        p.settle({ ok: false, error: new BatonError('AGENT_NOT_FOUND', message, { retryable: false }) });
        void this.cancel([p.queue], jobId, p.timeoutMs);
      }
    }
  }

  private async recheckPending(): Promise<void> {
    const added = this.pending.entries().filter(([, p]) => p.added).map(([id]) => id);
    await Promise.all(added.map((id) => this.settleFromStoredJob(id)));
  }

  /**
   * Removes the job if it still waits in one of `queueNames` (BullMQ does not remove a job a
   * worker holds), and asks the workers to abort it if one runs it. BullMQ's remove also reports
   * success for a job that does not exist, so the cancel is always sent (recorded for the
   * attempt's `timeoutMs` and a margin, and published). A job held by a lost worker, which no
   * cancel reaches, is failed in Redis so BullMQ never runs it again.
   */
  private cancel(queueNames: readonly string[], jobId: string, timeoutMs: number): Promise<void> {
    if (this.disconnected) return Promise.resolve();
    const sending = this.sendCancel(queueNames, jobId, timeoutMs).finally(() => this.cancelling.delete(sending));
    this.cancelling.add(sending);
    return sending;
  }

  private async sendCancel(queueNames: readonly string[], jobId: string, timeoutMs: number): Promise<void> {
    // A failure here (Redis unreachable) leaves the cancel to do the work.
    const removed = await Promise.all(queueNames.map((name) => this.queue(name).remove(jobId).catch(() => 1)));
    await publishCancel(this.connection, this.prefix, jobId, timeoutMs).catch(() => undefined);
    await Promise.all(queueNames.filter((_, i) => removed[i] === 0).map((name) => this.watch.retireIfLost(this.queue(name), jobId)));
  }
}

/** How an attempt in flight ends when its dispatcher closes. */
function closedWhileRunning(): BatonError {
  return new BatonError('AGENT_FAILED', 'the dispatcher was closed while the attempt ran');
}
