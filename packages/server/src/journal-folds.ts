import { isFinalStatus, RunResultBuilder } from 'batonjs/internal';
import type { RunEvent, RunRecord, RunStore } from 'batonjs/internal';
import type { ResultJson } from './ended-results.ts';
import { EventTouches } from './result-delta.ts';
import type { AttemptsSent } from './result-delta.ts';

/**
 * How many characters of JSON the folds of running runs may stand for by default: 8 Mi, and the
 * objects of a fold take a few times its JSON, so some tens of MB at most.
 */
export const RUNNING_FOLDS_CHARS = 8 * 1024 * 1024;

/** How long a fold no read has asked for is kept by default: a page that follows a run reads it every few seconds at most. */
export const RUNNING_FOLDS_IDLE_MS = 5 * 60_000;

interface Fold {
  /** The run record's `createdAt` when folding began: a run deleted and made again under its id is another run. */
  createdAt: string | undefined;
  builder: RunResultBuilder;
  /** The seq of the last event folded, and what tells that event from another with its seq ({@link identityOf}). */
  seq: number;
  lastIdentity: string;
  /** The result's JSON when last made, and the seq it was made at. */
  json: ResultJson | undefined;
  /** When a read last asked for it (ms since the epoch). */
  readAt: number;
  /** What each event folded changed (see {@link RunningResultFolds.since}). */
  touches: EventTouches;
}

/**
 * The results of running runs read from the journal (runs another process executes), kept
 * folded between reads: a read folds only the events stored since the one before, where it
 * read and folded the run's whole journal each time (a page following a 1,500-task run a worker
 * executes read ~3,000 events, 3-5 ms, and folded them, ~1 ms, several times a second). Kept
 * within a budget of characters of their JSON, the least recently read let go first, and for
 * as long as they are read; a run that has ended is not kept here ({@link EndedResultJson} keeps
 * its JSON).
 *
 * The journal only grows: events are appended under the run's fence and never rewritten, so what
 * was folded stays true while the run is the same run. A run deleted and made again under its id
 * (its record's `createdAt` differs, or the journal no longer holds the last event folded), or a
 * journal that does not follow on from the fold, is folded afresh from its start. Folds no read
 * has asked for in `idleMs` are let go at the next read, and by a sweep every minute while any
 * are kept.
 */
export class RunningResultFolds {
  private readonly folds = new Map<string, Fold>();
  private chars = 0;
  private sweep: NodeJS.Timeout | undefined;
  /** Set by {@link clear}: a read under way then keeps nothing. */
  private closed = false;

  constructor(
    private readonly store: Pick<RunStore, 'readEvents'>,
    private readonly budget = RUNNING_FOLDS_CHARS,
    private readonly idleMs = RUNNING_FOLDS_IDLE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The run's result as JSON with the seq of its last event, and whether the run has ended, from
   * the journal; undefined when the journal holds no event of it. `record` is the run's, read
   * before: a fold of another run made under the same id is not used.
   */
  async read(runId: string, record?: Pick<RunRecord, 'createdAt'>): Promise<(ResultJson & { ended: boolean }) | undefined> {
    this.letGoOfIdle(this.now());
    // Taken out while it is read: a read that fails leaves nothing half-folded behind.
    let fold = this.take(runId);
    if (!fold || fold.createdAt !== record?.createdAt) fold = newFold(record?.createdAt);
    if (fold.seq === 0) foldInto(fold, await this.store.readEvents(runId));
    else {
      // From the last event folded: the journal must still hold that very event, else the run
      // is another one under the same id (made again within the same millisecond).
      const events = await this.store.readEvents(runId, fold.seq - 1);
      if (events.length > 0 && follows(events, fold.seq - 1) && identityOf(events[0]!) === fold.lastIdentity) foldInto(fold, events.slice(1));
      else {
        fold = newFold(record?.createdAt);
        foldInto(fold, await this.store.readEvents(runId));
      }
    }
    const result = fold.builder.current();
    if (!result) return undefined;
    if (fold.json?.seq !== fold.seq) fold.json = { json: JSON.stringify(result), seq: fold.seq };
    const ended = isFinalStatus(result.status);
    if (!ended) {
      // When the read ends: the Map's order, the order of the reads, is then the order of readAt too.
      fold.readAt = this.now();
      this.keep(runId, fold);
    }
    return { ...fold.json, ended };
  }

  /**
   * What changed in a run kept folded since its event `sinceSeq`, as JSON (see `deltaJson`), with
   * the seq of the last event folded; undefined when only the whole result can say it: the run is
   * not kept folded (never read, ended, or being read right now), `sinceSeq` is not one of the
   * events folded, or an event since changed the plan or records it does not name. Made from what
   * was folded when called, in the same turn as the seq it gives. `attempts` as `deltaJson` takes it.
   */
  since(runId: string, sinceSeq: number, attempts: AttemptsSent = 'all'): ResultJson | undefined {
    const fold = this.folds.get(runId);
    if (!fold) return undefined;
    const json = fold.touches.since(fold.builder, sinceSeq, attempts);
    return json === undefined ? undefined : { json, seq: fold.seq };
  }

  /** Lets go of a run's fold (the run was deleted, or has ended). */
  forget(runId: string): void {
    this.take(runId);
  }

  /** How many runs are kept folded. */
  get size(): number {
    return this.folds.size;
  }

  private take(runId: string): Fold | undefined {
    const fold = this.folds.get(runId);
    if (fold === undefined) return undefined;
    this.folds.delete(runId);
    this.chars -= weightOf(fold);
    return fold;
  }

  private keep(runId: string, fold: Fold): void {
    const size = weightOf(fold);
    if (size > this.budget || this.closed) return;
    this.take(runId);
    // The Map's order is the order of the last reads: the least recently read come first.
    for (const [id, old] of this.folds) {
      if (this.chars + size <= this.budget) break;
      this.folds.delete(id);
      this.chars -= weightOf(old);
    }
    this.folds.set(runId, fold);
    this.chars += size;
    this.sweep ??= setInterval(() => {
      this.letGoOfIdle(this.now());
      if (this.folds.size === 0) this.stopSweeping();
    }, SWEEP_MS).unref();
  }

  /** Lets go of every fold and stops the sweep, for good: reads still fold, but keep nothing. */
  clear(): void {
    this.closed = true;
    for (const id of [...this.folds.keys()]) this.take(id);
    this.stopSweeping();
  }

  private stopSweeping(): void {
    clearInterval(this.sweep);
    this.sweep = undefined;
  }

  private letGoOfIdle(now: number): void {
    for (const [id, fold] of this.folds) {
      if (now - fold.readAt < this.idleMs) break;
      this.take(id);
    }
  }
}

/** How often idle folds are looked for while any are kept. */
const SWEEP_MS = 60_000;

function newFold(createdAt: string | undefined): Fold {
  return { createdAt, builder: new RunResultBuilder(), seq: 0, lastIdentity: '', json: undefined, readAt: 0, touches: new EventTouches() };
}

/** What a fold counts for against the budget: its result's JSON, and two entries per event of what changed. */
function weightOf(fold: Fold): number {
  return (fold.json?.json.length ?? 0) + 2 * fold.touches.size;
}

/** True when `events` go on from seq `seq` with no gap. */
function follows(events: readonly RunEvent[], seq: number): boolean {
  for (let i = 0; i < events.length; i++) if (events[i]!.seq !== seq + 1 + i) return false;
  return true;
}

function foldInto(fold: Fold, events: readonly RunEvent[]): void {
  for (const e of events) {
    fold.builder.apply(e);
    fold.touches.note(e);
    fold.seq = e.seq;
  }
  const last = events[events.length - 1];
  if (last) fold.lastIdentity = identityOf(last);
}

/** What tells an event from another of the same seq: its type and time, and its attempt's id (unique to a process and a run) if it has one. */
function identityOf(e: RunEvent): string {
  return `${e.type} ${e.at} ${'attemptId' in e ? String(e.attemptId) : ''}`;
}
