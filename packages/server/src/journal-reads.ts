import type { RunEvent, RunStore } from 'batonjs/internal';

interface SharedRun {
  /** The run's events with seqs `from + 1`, `from + 2`…, as far as read. */
  events: RunEvent[];
  /** The seq just before the first event held; set by the first reader's first ask. */
  from: number;
  /** Where each open reader is (the seq it last asked for events after); undefined before it asked. */
  positions: Map<object, number | undefined>;
  /** The read under way. */
  reading: Promise<void> | undefined;
  /** The read after it, shared by every reader that asked while one was under way. */
  next: Promise<void> | undefined;
}

/** One event stream's view of a run's journal: see {@link SharedJournalReads}. */
export interface JournalReader {
  /** The run's events with seq > afterSeq, read from the journal now (shared objects: change nothing). Ask with a growing afterSeq. */
  eventsAfter(afterSeq: number): Promise<RunEvent[]>;
  /** Lets go of the run's events once no other reader holds them; again does nothing. */
  close(): void;
}

/**
 * The events of runs that event streams read from the journal (runs not held in this process):
 * one copy per run however many streams follow it, from where the furthest-behind stream is to
 * the last event read. Each stream used to read the journal of its run for itself and hold what it
 * read until its client had taken it: a client that reads slowly, or never, held its own copy for
 * as long as it stayed connected, so twenty such clients of a 20 MB run held 400 MB. Streams that
 * keep up hold almost nothing: events every open stream has asked past are let go. Reads asked for
 * while one is under way share the next one, never the one under way, which may have begun before
 * an event the caller knows of was stored.
 */
export class SharedJournalReads {
  private readonly runs = new Map<string, SharedRun>();

  constructor(private readonly store: Pick<RunStore, 'readEvents'>) {}

  open(runId: string): JournalReader {
    let run = this.runs.get(runId);
    if (!run) this.runs.set(runId, (run = { events: [], from: -1, positions: new Map(), reading: undefined, next: undefined }));
    const shared = run;
    const me = {};
    shared.positions.set(me, undefined);
    return {
      eventsAfter: async (afterSeq) => {
        shared.positions.set(me, afterSeq);
        if (shared.from < 0) shared.from = afterSeq;
        else if (afterSeq < shared.from) await this.readBefore(shared, runId, afterSeq);
        await this.refresh(shared, runId);
        const events = shared.events.slice(Math.max(0, afterSeq - shared.from));
        this.letGoOfPassed(shared);
        return events;
      },
      close: () => {
        if (!shared.positions.delete(me)) return;
        if (shared.positions.size === 0 && this.runs.get(runId) === shared) this.runs.delete(runId);
        else this.letGoOfPassed(shared);
      },
    };
  }

  /** How many of a run's events are held for its readers. */
  held(runId: string): number {
    return this.runs.get(runId)?.events.length ?? 0;
  }

  /** A reader asked for events from before those held: the missing ones are put in front. */
  private async readBefore(run: SharedRun, runId: string, afterSeq: number): Promise<void> {
    const read = await this.store.readEvents(runId, afterSeq);
    // Another read may have moved `from` meanwhile: take only what is still missing, in order.
    const missing = read.filter((e) => e.seq > afterSeq && e.seq <= run.from);
    if (missing.length === 0 || missing.length !== run.from - afterSeq || missing.some((e, i) => e.seq !== afterSeq + 1 + i)) return;
    run.events = [...missing, ...run.events];
    run.from = afterSeq;
  }

  /** Drops the events every open reader has asked past. */
  private letGoOfPassed(run: SharedRun): void {
    let behind = Infinity;
    for (const position of run.positions.values()) if (position !== undefined && position < behind) behind = position;
    if (behind === Infinity || behind <= run.from) return;
    const passed = Math.min(behind - run.from, run.events.length);
    run.events.splice(0, passed);
    run.from += passed;
  }

  private refresh(run: SharedRun, runId: string): Promise<void> {
    if (run.reading) {
      const after = (): Promise<void> => {
        run.next = undefined;
        return this.refresh(run, runId);
      };
      return (run.next ??= run.reading.then(after, after));
    }
    const reading = this.readMore(run, runId);
    run.reading = reading;
    const done = (): void => {
      if (run.reading === reading) run.reading = undefined;
    };
    reading.then(done, done);
    return reading;
  }

  private async readMore(run: SharedRun, runId: string): Promise<void> {
    const more = await this.store.readEvents(runId, run.from + run.events.length);
    for (const e of more) if (e.seq === run.from + run.events.length + 1) run.events.push(e);
  }
}
