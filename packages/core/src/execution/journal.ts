import type { AppendOptions, RunStore } from '../core/contracts.ts';
import { BatonError } from '../core/errors.ts';
import { EVENT_SCHEMA_VERSION } from '../core/events.ts';
import type { RunEvent, RunEventBody } from '../core/events.ts';
import { RunResultBuilder } from '../core/reduce.ts';
import { journaledForm } from './artifact-refs.ts';
import { isJournalUnavailable } from '../store/journal-rules.ts';
import type { NewRunRecord } from '../store/journal-rules.ts';
import type { EventListener, RunEventListeners } from './event-listeners.ts';

export type { EventListener } from './event-listeners.ts';

let lastMs = 0;
let lastIso = '';

/** The current time as ISO-8601; formatted once per millisecond, as many events share one. */
export function nowIso(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** Told once when the run's journal can take no more of it. */
export interface FenceListener {
  /** The store refused a batch because another process took the run. */
  runFenced(error: BatonError): void;
  /**
   * A write failed because the journal could not be reached (`JOURNAL_UNAVAILABLE`): nothing more
   * of the run will be written here, and whoever carries it on redoes what happens after it.
   */
  journalUnreachable?(error: unknown): void;
}

export interface RunJournalOptions {
  /** The fencing token this process holds for the run (stores that record ownership check it). */
  fence?: number | undefined;
  /** The run's own listener (`RunOptions.onEvent`), told after the orchestrator's listeners. */
  onEvent?: EventListener | undefined;
  /** Told once when the store refuses a batch because another process took the run, or cannot be reached. */
  onFenced?: FenceListener | undefined;
}

/**
 * Stamps a run's events (seq, time, format version), folds them into the live RunResult, tells
 * listeners at once, and writes them to the store in batches: every event emitted in the same
 * tick of the event loop goes to the store in one `append` (one transaction for SQLite/PostgreSQL).
 * Listeners of stored events are told of a batch once the store has accepted it.
 * Once the store says another process took the run, nothing more is written or told.
 */
export class RunJournal {
  readonly builder = new RunResultBuilder();
  private seq: number;
  private pending: RunEvent[] = [];
  /** The store's last write, until it settles (none before the first). */
  private flushing: Promise<void> | undefined;
  /** The pending write of this tick's events, cleared when a flush writes them first. */
  private scheduled: NodeJS.Immediate | undefined;
  private failure: unknown;
  private fenced = false;
  /** Set by {@link hold}: events emitted from then on wait for {@link flush} to be written. */
  private holding = false;
  /** Set by {@link handOver}: events emitted from then on are neither told nor written. */
  private handedOver = false;
  /** `run.ended` as listeners get it (whole), once emitted: the batch that writes it holds its journaled form. */
  private end: RunEvent | undefined;
  /** Events of batches whose write failed (not refused by a fence): told to stored listeners once a later batch is stored. */
  private unconfirmed: RunEvent[] | undefined;
  private readonly appendOptions: AppendOptions | undefined;

  constructor(
    readonly runId: string,
    private readonly store: RunStore,
    private readonly listeners: RunEventListeners,
    startSeq = 0,
    private readonly options: RunJournalOptions = {},
  ) {
    this.seq = startSeq;
    this.appendOptions = options.fence === undefined ? undefined : { fence: options.fence };
  }

  /** True once another process took the run: this journal writes nothing more. */
  get lost(): boolean {
    return this.fenced;
  }

  /** True once a write failed because the journal could not be reached: nothing of the run is written after it. */
  get unreachable(): boolean {
    return isJournalUnavailable(this.failure);
  }

  /** Replays already-journaled events into the live result (resume). */
  replay(events: readonly RunEvent[]): void {
    for (const e of events) this.builder.apply(e);
    const last = events[events.length - 1];
    if (last) this.seq = last.seq;
  }

  /**
   * Registers the run in the store together with its first events, in one write, before anything
   * else of the run happens: a process that dies while starting a run leaves the whole start in
   * the journal or nothing, never a run without its `run.started` that no process could carry on.
   * Listeners are told of these events once they are stored (so a run they hear of exists).
   */
  async begin(record: NewRunRecord, bodies: RunEventBody[]): Promise<void> {
    const events = bodies.map((body) => this.stamp(body));
    const { store } = this;
    if (store.createRunWithEvents) {
      await store.createRunWithEvents(record, events);
    } else {
      await store.createRun(record);
      await store.append(this.runId, events, this.appendOptions);
    }
    for (const event of events) {
      this.builder.apply(event);
      this.tell(event);
    }
    this.tellStored(events);
  }

  /**
   * Journals an event. The body object becomes the event (stamped in place): do not reuse it.
   * A frequent event made with its stamps as placeholders (`runId, seq: 0, at: '', v`, as
   * `taskStarted` makes them) keeps them in the object itself instead of in a property array
   * added when it is stamped, with the same key order.
   */
  emit(body: RunEventBody | RunEvent): RunEvent {
    const event = this.stamp(body);
    if (this.fenced || this.handedOver) return event;
    this.builder.apply(event);
    // Listeners get run.ended whole; the journal stores artifacts already journaled as references.
    if (event.type === 'run.ended') {
      this.end = event;
      this.pending.push(journaledForm(event, this.builder));
    } else {
      this.pending.push(event);
    }
    this.tell(event);
    if (!this.holding) this.scheduled ??= setImmediate(RunJournal.writeScheduled, this);
    return event;
  }

  /**
   * Holds what is emitted from now on, and what waits to be written, until {@link flush}: a run's
   * end is folded into its result at once, so its files can be written from that result before
   * the end is journaled. Held events are written with the end, in one batch (a store's commit
   * per run is dear).
   */
  hold(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.holding = true;
  }

  /**
   * The run is handed to another process: what was emitted so far is still written, and nothing
   * emitted from now on is (its aborted attempts stay unfinished in the journal, to be redone).
   */
  handOver(): void {
    this.writeBatch();
    this.handedOver = true;
  }

  private stamp(body: RunEventBody | RunEvent): RunEvent {
    const event = body as RunEvent;
    event.runId = this.runId;
    event.seq = ++this.seq;
    event.at = nowIso();
    event.v = EVENT_SCHEMA_VERSION;
    return event;
  }

  private tell(event: RunEvent): void {
    this.listeners.tell(event, this.options.onEvent);
  }

  /** Tells the listeners of stored events (if any) of events the store has accepted. */
  private tellStored(events: readonly RunEvent[]): void {
    if (!this.listeners.hasStoredListeners) return;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      this.listeners.tellStored(event.type === 'run.ended' && this.end ? this.end : event);
    }
  }

  /** Waits until every emitted event is in the store; rethrows a store failure. */
  async flush(): Promise<void> {
    this.holding = false;
    if (this.pending.length > 0 || this.scheduled) this.writeBatch();
    if (this.flushing) await this.flushing;
    if (this.failure) throw this.failure;
  }

  // A static function with the journal as argument: a bound method would be a closure per run.
  private static writeScheduled(journal: RunJournal): void {
    journal.writeBatch();
  }

  private writeBatch(): void {
    // A run whose awaits are all microtasks never yields to the event loop: a write left
    // scheduled would hold the whole run (and every run after it) in memory until it did.
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const write = (): Promise<void> | undefined => {
      if (this.fenced) return undefined;
      // The journal could not be reached: the run ends with that error (flush rethrows it) and is
      // carried on from what was stored. A later batch would be refused for the gap unless the
      // failed one was stored all the same, and waiting out each piled-up batch's bound in turn
      // (a frozen database) would hold the run's end for that many bounds.
      if (isJournalUnavailable(this.failure)) return undefined;
      let appended: Promise<void>;
      try {
        appended = this.store.append(this.runId, batch, this.appendOptions);
      } catch (e) {
        appended = Promise.reject(e as Error);
      }
      return appended.then(
        () => {
          // A store refuses a gap in a run's seqs: this batch stored proves the failed ones were too.
          const unconfirmed = this.unconfirmed;
          if (unconfirmed) {
            this.unconfirmed = undefined;
            this.tellStored(unconfirmed);
          }
          this.tellStored(batch);
        },
        (e: unknown) => {
          const first = this.failure === undefined;
          this.failure ??= e;
          if (this.fenced) return;
          if (first && isJournalUnavailable(e)) this.options.onFenced?.journalUnreachable?.(e);
          if (BatonError.isInstance(e) && e.code === 'RUN_FENCED') {
            this.fenced = true;
            this.pending = [];
            this.options.onFenced?.runFenced(e);
            return;
          }
          // Perhaps stored all the same (a connection lost after its commit): told once a later batch is.
          (this.unconfirmed ??= []).push(...batch);
        },
      );
    };
    // Batches are written one after another, the first at once.
    this.flushing = this.flushing ? this.flushing.then(write) : write();
  }
}
